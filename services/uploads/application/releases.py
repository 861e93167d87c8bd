"""Use cases on releases after upload: list and read staged files, publish or discard a stage,
yank or un-yank a release. The decisions are in domain/releases.py; the caller's login facts
come from the gateway (as identity answered them), an API token is verified here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.tokens.v1 import tokens_pb2
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import repository
from services.uploads.application.handlers import READ_CHUNK, Dependencies, distribution_file
from services.uploads.application.policies import MINUTE_US, manager_of, project_state
from services.uploads.application.upload import check_verified
from services.uploads.domain import model, releases
from services.uploads.domain.errors import FileNotFound, NotACollaborator

log = structlog.get_logger(__name__)


async def _collaborator_state(deps: Dependencies, principal, project: str) -> tuple[model.ProjectState, str]:
    async with deps.units() as unit:
        state = await project_state(unit, project)
    role = state.roles.get(principal.user_id, "")
    if role not in model.UPLOAD_ROLES:
        raise NotACollaborator(
            f"Only the Owners and Maintainers of project '{state.name}' can see its staged releases."
        )
    return state, role


async def list_stages(deps: Dependencies, request: uploads_pb2.ListStagesRequest) -> uploads_pb2.ListStagesResponse:
    """The project's staged releases, each file with its digests. Raises ProjectNotFound or
    NotACollaborator."""
    state, role = await _collaborator_state(deps, request.principal, request.project)
    async with deps.units() as unit:
        rows = await repository.files_of(unit.connection, state.project_id, repository.STAGED)
    stages: dict[str, uploads_pb2.StagedRelease] = {}
    for row in rows:
        stage = stages.setdefault(model.release_key(row.version), uploads_pb2.StagedRelease(version=row.version))
        stage.files.append(distribution_file(row))
    return uploads_pb2.ListStagesResponse(
        project=uploads_pb2.ProjectSummary(project_id=state.project_id, name=state.name,
                                           normalized_name=state.normalized_name),
        stages=list(stages.values()), role=role,
    )


async def read_staged_file(deps: Dependencies, request: uploads_pb2.ReadStagedFileRequest) -> AsyncIterator[bytes]:
    """A staged file's bytes in 64 KiB chunks, for the project's collaborators. Raises
    ProjectNotFound, NotACollaborator or FileNotFound."""
    state, _ = await _collaborator_state(deps, request.principal, request.project)
    async with deps.units() as unit:
        row = await repository.staged_file(unit.connection, state.project_id, request.filename)
    if row is None:
        raise FileNotFound(f"No file named '{request.filename[:200]}' is staged in project '{state.name}'.")
    handle = await asyncio.to_thread(deps.files.open, row.path)
    with handle:
        while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
            yield chunk


async def _command(deps: Dependencies, request) -> releases.ReleaseCommand:
    manager = None if request.token else await manager_of(deps, request)
    return releases.ReleaseCommand(version=request.version, manager=manager, now_us=now_us(),
                                   fresh_window_us=deps.reauth_minutes * MINUTE_US, reason=request.reason)


async def _token_owner(deps: Dependencies, request, state: model.ProjectState) -> common_pb2.Principal:
    """The owner of the request's API token, verified for yanking this project's version.
    Raises InvalidToken or TokensUnavailable."""
    operation = tokens_pb2.Operation(project=state.name, project_id=state.project_id, action="yank",
                                     version=request.version)
    verification = await deps.tokens.verify(request.token, operation, request.context)
    check_verified(verification)
    uploader = verification.uploader
    return common_pb2.Principal(user_id=uploader.user_id, username=uploader.username, token_id=uploader.token_id)


async def _act(deps: Dependencies, request, decide, response_type, outcome: str, token_allowed: bool = False):
    """Loads the project, decides, records the events and updates the read models in one unit
    of work (re-run on a concurrent change). An API token is verified only where `token_allowed`;
    elsewhere the decision refuses it (no person, no second factor)."""
    command = await _command(deps, request)
    async with deps.units() as unit:
        first = await project_state(unit, request.project)
    principal = request.principal
    if request.token and token_allowed:
        principal = await _token_owner(deps, request, first)

    async def handle(unit):
        state = await project_state(unit, request.project)
        new_events = decide(state, command, principal.user_id, principal.username)
        if new_events:
            subjects = envelope_pb2.Subjects(user_id=principal.user_id, username=principal.username,
                                             project=state.normalized_name, project_id=state.project_id)
            envelopes = await unit.record(model.stream_of(state.project_id), state.version, new_events,
                                          actor_from(request.context, principal), subjects)
            await repository.project(unit.connection, list(zip(envelopes, new_events)))
            log.info("uploads.release_action", project=state.normalized_name, outcome=outcome,
                     version=new_events[0].version)
        done = new_events[0] if new_events else None
        return response_type(project=state.name, version=done.version if done else request.version,
                             outcome=outcome if done else "unchanged",
                             filenames=list(getattr(done, "filenames", [])) if done else [])

    return await deps.units.run(handle)


def _session_only(decide):
    return lambda state, command, user_id, username: decide(state, command)


async def publish_stage(deps: Dependencies, request: uploads_pb2.PublishStageRequest):
    """Publishes the version's whole stage at once. Raises ProjectNotFound, StageNotFound,
    SecondFactorRequired, NotACollaborator, ReauthenticationRequired, the project policy errors
    or TokensUnavailable (mfa down)."""
    return await _act(deps, request, _session_only(releases.decide_publish),
                      uploads_pb2.PublishStageResponse, "published")


async def discard_stage(deps: Dependencies, request: uploads_pb2.DiscardStageRequest):
    """Discards the version's stage (its filenames stay used). Raises as publish_stage."""
    return await _act(deps, request, _session_only(releases.decide_discard),
                      uploads_pb2.DiscardStageResponse, "discarded")


async def yank_release(deps: Dependencies, request: uploads_pb2.YankReleaseRequest):
    """Yanks a published release (PEP 592) with a reason. Raises ProjectNotFound, ReleaseNotFound,
    InvalidYankReason, NotACollaborator, ReauthenticationRequired, the project policy errors,
    InvalidToken (a token whose caveats do not allow `yank`) or TokensUnavailable."""
    return await _act(deps, request, releases.decide_yank, uploads_pb2.YankReleaseResponse, "yanked",
                      token_allowed=True)


async def unyank_release(deps: Dependencies, request: uploads_pb2.UnyankReleaseRequest):
    """Un-yanks a release. Raises as yank_release (except InvalidYankReason)."""
    return await _act(deps, request, releases.decide_unyank, uploads_pb2.UnyankReleaseResponse, "unyanked",
                      token_allowed=True)
