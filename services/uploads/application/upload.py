"""The Upload use case as a pipeline of named steps, in PyPI's order:

1. form  2. filename  3. authentication and authorization  4. content (size, digests, archive)
5. duplicates  6. consume a single-use token, store the file, then record the events and read
models in one unit of work.

Each step raises an UploadsError whose message is the sentence twine shows. A refusal after the
token was verified is recorded as UploadRejected.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace

import sqlalchemy as sa
import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import uploads_pb2 as events
from gatehouse.eventstore.store import ConcurrencyConflict, actor_from
from gatehouse.tokens.v1 import tokens_pb2
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import archives, repository
from services.uploads.adapters.storage import IncomingFile, StoredFile
from services.uploads.application import upload_rules
from services.uploads.application.handlers import Dependencies
from services.uploads.application.receiving import OffLoopWriter
from services.uploads.domain import model, policies, record_mismatches
from services.uploads.domain.content import ContentMeter, Digests, check_digests, check_not_empty
from services.uploads.domain.errors import (
    FileAlreadyExists, FilenameReused, InvalidForm, InvalidToken, NotAuthenticated, SecondFactorRequired,
    UploadsError,
)
from services.uploads.domain.filenames import Distribution, check_filename
from services.uploads.domain.form import UploadForm, clean_fields, parse_form
from services.uploads.domain.limits import SizeQuota
from services.uploads.domain.metadata import check_form_metadata
from services.uploads.domain.names import normalize

log = structlog.get_logger(__name__)
TOKEN_REASON_PREFIX = "Invalid API Token: "


@dataclass(frozen=True)
class Submission:
    """An upload whose form, filename and token passed (steps 1 to 3a)."""

    header: uploads_pb2.UploadHeader
    form: UploadForm
    distribution: Distribution
    uploader: model.Uploader

    def actor(self) -> envelope_pb2.Actor:
        """The uploader (and their token) plus the client's address, for the events."""
        principal = common_pb2.Principal(user_id=self.uploader.user_id,
                                         username=self.uploader.username,
                                         token_id=self.uploader.token_id)
        return actor_from(self.header.context, principal)

    def subjects(self, project_id: str) -> envelope_pb2.Subjects:
        """The uploader and the project, whose security logs the events belong to."""
        return envelope_pb2.Subjects(user_id=self.uploader.user_id, username=self.uploader.username,
                                     project=normalize(self.form.name), project_id=project_id)


async def upload(
    deps: Dependencies, requests: AsyncIterable[uploads_pb2.UploadRequest]
) -> uploads_pb2.UploadResponse:
    """Validates, stores and records one uploaded distribution.

    Raises InvalidForm, InvalidMetadata, InvalidFilename, InvalidProjectName,
    ProhibitedProjectName (steps 1-3),
    NotAuthenticated, InvalidToken, SecondFactorRequired, NotACollaborator,
    VersionNotNewer, ProjectPolicyRefused, TokensUnavailable, ProjectNameTooSimilar,
    ProjectCreationRateLimited, SdistAlreadyExists, ReleaseClosed (step 3), FileTooLarge,
    ProjectTooLarge, EmptyFile, DigestMismatch, InvalidDistribution (step 4) or
    FileAlreadyExists, FilenameReused (step 5).
    """
    stream = aiter(requests)
    header = await read_header(stream)
    with structlog.contextvars.bound_contextvars(request_id=header.context.request_id):
        raw_fields = [(field.name, list(field.values)) for field in header.fields]
        form = parse_form(raw_fields, header.file_fields)
        await _off_loop_when(_description_length(raw_fields) > SHORT_DESCRIPTION,
                             check_form_metadata, clean_fields(raw_fields))
        distribution = check_filename(header.filename, form)
        state = await load_project(deps, form.name)
        uploader = await authenticate(deps, header, form, state)
        submission = Submission(header, form, distribution, uploader)
        actor_bound = structlog.contextvars.bound_contextvars(
            user_id=uploader.user_id, token_id=uploader.token_id
        )
        with actor_bound:
            try:
                return await _accept(deps, submission, state, stream)
            except UploadsError as refusal:
                await record_rejection(deps, submission, state, refusal)
                raise


# Below these sizes the work costs less than handing it to a worker thread and back.
SHORT_DESCRIPTION = 4 * 1024  # characters of description to validate and render
SMALL_FILE = 64 * 1024  # bytes of archive to inspect


async def _off_loop_when(long: bool, function, *args):
    """`function(*args)`, in a worker thread when `long` (rendering a long reStructuredText
    description or reading a big archive would hold up every other request on the event loop)."""
    return await asyncio.to_thread(function, *args) if long else function(*args)


def _description_length(raw_fields) -> int:
    return sum(len(value) for name, values in raw_fields if name == "description" for value in values)


async def read_header(
    stream: AsyncIterator[uploads_pb2.UploadRequest],
) -> uploads_pb2.UploadHeader:
    """The first message's header. Raises InvalidForm when the stream does not start with one."""
    first = await anext(stream, None)
    if first is None or first.WhichOneof("part") != "header":
        raise InvalidForm("The upload must begin with its form fields, before the file's bytes.")
    return first.header


async def _project_state(deps: Dependencies, unit, name: str) -> model.ProjectState | None:
    row = await repository.find_project(unit.connection, normalize(name))
    return await deps.project_states.current(unit, model.stream_of(row.project_id)) if row else None


async def load_project(deps: Dependencies, name: str) -> model.ProjectState | None:
    """The project named `name` (any spelling that normalizes alike), or None."""
    async with deps.units.reading() as unit:
        return await _project_state(deps, unit, name)


async def authenticate(deps: Dependencies, header, form: UploadForm, state) -> model.Uploader:
    """Step 3a: the uploader behind the presented token.
    Raises NotAuthenticated, InvalidToken or TokensUnavailable."""
    if not header.token:
        raise NotAuthenticated(
            "Invalid or non-existent authentication information. "
            f"See {deps.origin}/help/#invalid-auth for more information."
        )
    # A single-use token is not consumed yet: the upload may still be refused (consume_token).
    verification = await deps.tokens.verify(header.token, operation_for(form, state), header.context,
                                            defer_consumption=True)
    check_verified(verification)
    await require_second_factor(deps, verification.uploader)
    return verification.uploader


def operation_for(form: UploadForm, state) -> tokens_pb2.Operation:
    """What the token is presented for: `upload`, or `create-project` when the upload would create
    the project (the tokens service then requires both actions)."""
    return tokens_pb2.Operation(project=form.name, project_id=state.project_id if state else "",
                                action="upload" if state else "create-project", version=form.version)


def check_verified(verification) -> None:
    """Raises InvalidToken with the tokens service's reason unless the token was valid."""
    if not verification.valid:
        reason = verification.reason or "The token is not valid."
        prefix = "" if reason.startswith(TOKEN_REASON_PREFIX) else TOKEN_REASON_PREFIX
        raise InvalidToken(prefix + reason)


async def consume_token(deps: Dependencies, submission: Submission, state) -> None:
    """Consumes a single-use token once every check passed, right before the upload is recorded
    (a refused upload leaves it usable). The tokens service lets exactly one concurrent
    consumption win. Raises InvalidToken for the others, or TokensUnavailable."""
    if not submission.uploader.single_use:
        return
    header = submission.header
    check_verified(await deps.tokens.verify(header.token, operation_for(submission.form, state), header.context))


async def require_second_factor(deps: Dependencies, uploader: model.Uploader) -> None:
    """Step 3b: with two-factor authentication required, the uploader must have set one up.
    Raises SecondFactorRequired."""
    if not deps.require_2fa:
        return
    if deps.second_factors is not None and await deps.second_factors.has_second_factor(uploader.user_id):
        return
    raise SecondFactorRequired(
        f"Two-factor authentication is required to upload: user '{uploader.username}' has no "
        f"second factor. Add an authenticator app or a security key at {deps.origin}/account/two-factor."
    )


async def require_project_policies(deps: Dependencies, state, uploader: model.Uploader) -> None:
    """Step 3d: the project's policies (none for a new project): a token scoped to the project,
    a second factor, a security key (a token upload has no login to look at, so the careful rule
    is that the token's owner has a security key enrolled). Raises ScopedTokenRequired,
    ProjectRequiresSecondFactor, ProjectRequiresPhishingResistantFactor or TokensUnavailable."""
    if state is None or not state.policies:
        return
    policies.check_scoped_token(state, uploader)
    if policies.needs_factor_methods(state):
        methods = await deps.second_factors.methods_of(uploader.user_id) if deps.second_factors else frozenset()
        policies.check_uploader_factors(state, uploader, methods)


async def _accept(
    deps: Dependencies, submission: Submission, state, stream
) -> uploads_pb2.UploadResponse:
    """Steps 3c to 6, for an uploader the tokens service vouched for."""
    form, filename = submission.form, submission.distribution.filename
    model.authorize(state, form.name, submission.uploader, form.version)
    await require_project_policies(deps, state, submission.uploader)
    async with deps.units.reading() as unit:  # checked again where the upload is recorded
        await upload_rules.check_project_rules(unit.connection, deps, state, submission)
        quota = await upload_rules.size_quota(unit.connection, deps, state, form.name)
    with deps.files.incoming() as incoming:
        digests, size = await receive(quota, form, stream, incoming)
        metadata, mismatches = await inspect_archive(deps, submission, incoming, size)
        async with deps.units.reading() as unit:  # checked again where the upload is recorded
            identical = await check_duplicates(unit.connection, filename, digests, deps.origin)
        await consume_token(deps, submission, state)
        if identical:
            return _response("exists", submission, _name_of(state, form.name), digests)
        stored = await asyncio.to_thread(deps.files.keep, incoming, digests.blake2_256, filename, metadata)
        command = _add_file(submission, state, digests, size, stored.path, metadata, mismatches)
        return await _record_stored(deps, submission, command, stored, (incoming, metadata))


async def _record_stored(deps: Dependencies, submission: Submission, command: model.AddFile,
                         stored: StoredFile, source: tuple[IncomingFile, bytes | None]):
    """Records the stored file. A path this upload created is removed again when the record is
    refused (a concurrent upload won); a path that was already there (an identical concurrent
    upload's) is linked again after success, in case that upload lost and removed it."""
    try:
        response = await deps.units.run(lambda unit: _record(unit, deps, submission, command))
    except UploadsError:  # refused for sure; on any other failure the commit may have happened
        if stored.created:
            await asyncio.to_thread(deps.files.discard, stored.path)
        raise
    if not stored.created and response.outcome != "exists":
        incoming, metadata = source
        await asyncio.to_thread(deps.files.keep, incoming, command.digests.blake2_256, command.filename, metadata)
    return response


async def inspect_archive(
    deps: Dependencies, submission: Submission, incoming: IncomingFile, size: int
) -> tuple[bytes | None, model.RecordMismatches]:
    """Step 4 (archive), off the event loop unless the file is small: the wheel's METADATA (None
    for an sdist) and the RECORD mismatches an operator lets through (GATEHOUSE_RECORD_MISMATCH=warn),
    which are logged here and recorded with the file (WheelRecordMismatched). Raises InvalidDistribution."""
    form, filename = submission.form, submission.distribution.filename
    inspection = await _off_loop_when(size > SMALL_FILE, archives.inspect, incoming.path, submission.distribution,
                                      form.name, form.version, deps.archive_limits)
    for warning in inspection.warnings:
        log.warning("upload.record_mismatch", filename=filename, warning=warning)
    descriptions = tuple(warning.removeprefix(f"{filename}: ") for warning in inspection.warnings)
    return inspection.metadata, model.RecordMismatches(descriptions, inspection.unlisted_warnings)


async def receive(
    quota: SizeQuota, form: UploadForm, stream, incoming: IncomingFile
) -> tuple[Digests, int]:
    """Step 4: writes the chunks to `incoming`, hashing and counting as they come (hashing and
    writing in a worker thread, see OffLoopWriter). Raises FileTooLarge or ProjectTooLarge (at the
    first chunk past a limit), EmptyFile or DigestMismatch."""
    meter = ContentMeter(quota.file_limit, form.name)
    writer = OffLoopWriter(meter, incoming)
    try:
        async for request in stream:
            if request.WhichOneof("part") != "chunk":
                raise InvalidForm("The upload's form fields must be sent once, before the file's bytes.")
            quota.check(meter.size + len(request.chunk))
            meter.count(len(request.chunk))
            await writer.add(request.chunk)
        await writer.finish()
    except BaseException:
        await writer.abandon()
        raise
    check_not_empty(meter.size)
    digests = meter.digests()
    check_digests(form.digests, digests)
    return digests, meter.size


async def check_duplicates(connection, filename: str, digests: Digests, origin: str) -> bool:
    """Step 5: True for a byte-identical re-upload of `filename` (published or staged). Raises
    FileAlreadyExists when the name is taken by other content or by a discarded stage's file,
    or the content was already uploaded under another name; FilenameReused when the name
    belonged to a file since deleted (names are never reused)."""
    same_name = await repository.file_named(connection, filename)
    return await judge_duplicates(connection, same_name, filename, digests, origin)


async def judge_duplicates(connection, same_name, filename: str, digests: Digests, origin: str) -> bool:
    """check_duplicates for a caller that already read `same_name` (the file row named
    `filename`, or None) in this transaction. Raises what check_duplicates raises."""
    if (same_name is not None and same_name.status != repository.DISCARDED
            and hmac.compare_digest(same_name.sha256, digests.sha256)):
        return True
    content_seen, name_used = (False, False)
    if same_name is None:
        content_seen, name_used = await repository.content_or_name_seen(connection, digests.blake2_256, filename)
    if same_name is not None or content_seen:
        raise FileAlreadyExists(
            f"File already exists ('{filename}'). "
            f"See {origin}/help/#file-name-reuse for more information."
        )
    if name_used:
        raise FilenameReused(
            "This filename has already been used, use a different version. "
            f"See {origin}/help/#file-name-reuse for more information."
        )
    return False


def _name_of(state: model.ProjectState | None, fallback: str) -> str:
    return state.name if state else fallback


def _add_file(submission: Submission, state, digests: Digests, size: int, path: str, metadata,
              mismatches: model.RecordMismatches):
    form, distribution = submission.form, submission.distribution
    return model.AddFile(
        project_id=state.project_id if state else str(uuid.uuid4()),
        name=form.name, version=form.version, filename=distribution.filename,
        packagetype=distribution.packagetype, python_version=form.pyversion,
        size=size, digests=digests, requires_python=form.requires_python, summary=form.summary,
        path=path, metadata_sha256=hashlib.sha256(metadata).hexdigest() if metadata else "",
        record_mismatches=mismatches,
    )


async def _record(unit, deps: Dependencies, submission: Submission, command: model.AddFile):
    """Step 6: re-decides on fresh state (it may have changed while the bytes streamed in),
    then records the events and updates the read models in this unit's transaction."""
    form = submission.form
    state = await _project_state(deps, unit, form.name)
    model.authorize(state, form.name, submission.uploader, form.version)
    if state is not None:  # a policy turned on while the bytes streamed in still counts
        policies.check_scoped_token(state, submission.uploader)
    same_name = await repository.file_named(unit.connection, command.filename)  # read once, for both steps
    await upload_rules.check_project_rules(unit.connection, deps, state, submission, name_taken=same_name is not None)
    if await judge_duplicates(unit.connection, same_name, command.filename, command.digests, deps.origin):
        return _response("exists", submission, _name_of(state, form.name), command.digests)
    # Concurrent uploads to one project may each have fitted its size quota alone.
    (await upload_rules.size_quota(unit.connection, deps, state, form.name)).check(command.size)
    command = replace(command, project_id=state.project_id) if state else command
    staged = model.goes_to_stage(state, submission.uploader)
    new_events = model.upload_events(state, command, submission.uploader, staged)
    new_events += record_mismatches.mismatch_events(state, command, submission.uploader, new_events[-1])
    envelopes = await unit.record(
        model.stream_of(command.project_id), state.version if state else 0, new_events,
        submission.actor(), submission.subjects(command.project_id),
    )
    await repository.project(unit.connection, list(zip(envelopes, new_events)))
    log.info("upload.accepted", project=command.name, filename=command.filename,
             sha256=command.digests.sha256, staged=staged)
    return _response("staged" if staged else "created", submission, _name_of(state, form.name), command.digests)


def _response(outcome: str, submission: Submission, project: str, digests: Digests):
    return uploads_pb2.UploadResponse(
        outcome=outcome, project=project, version=submission.form.version,
        filename=submission.distribution.filename, sha256=digests.sha256,
    )


async def record_rejection(
    deps: Dependencies, submission: Submission, state, refusal: UploadsError
) -> None:
    """Records UploadRejected on the project's stream (or the uploader's, for a project that
    does not exist). A failure to record is logged; the refusal itself still reaches the client."""
    rejected = events.UploadRejected(project_name=submission.form.name,
                                     filename=submission.distribution.filename, reason=refusal.message)
    project_id = state.project_id if state else ""
    stream = model.stream_of(project_id) if state else f"uploader-{submission.uploader.user_id}"

    async def handle(unit):
        await unit.record(stream, None, [rejected], submission.actor(), submission.subjects(project_id))

    try:
        await deps.units.run(handle)
    except (sa.exc.SQLAlchemyError, ConcurrencyConflict):
        log.exception("upload.rejection_not_recorded", error_code=refusal.code)
