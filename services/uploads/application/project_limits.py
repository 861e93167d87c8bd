"""Use case: an operator raises (or resets) a project's size limits."""

from __future__ import annotations

import structlog

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.application.handlers import Dependencies
from services.uploads.application.policies import project_state
from services.uploads.domain import limits, model

log = structlog.get_logger(__name__)


def _command(request: uploads_pb2.SetProjectLimitsRequest) -> limits.SetLimits:
    return limits.SetLimits(
        max_file_size=request.max_file_size if request.HasField("max_file_size") else None,
        max_project_size=request.max_project_size if request.HasField("max_project_size") else None,
    )


def _answer(deps: Dependencies, state: model.ProjectState, changed: bool) -> uploads_pb2.SetProjectLimitsResponse:
    return uploads_pb2.SetProjectLimitsResponse(
        project=uploads_pb2.ProjectSummary(project_id=state.project_id, name=state.name,
                                           normalized_name=state.normalized_name),
        max_file_size=limits.effective_file_limit(deps.max_file_size, state.max_file_size),
        max_project_size=state.max_project_size or deps.rules.max_project_size,
        changed=changed,
    )


async def set_project_limits(
    deps: Dependencies, request: uploads_pb2.SetProjectLimitsRequest
) -> uploads_pb2.SetProjectLimitsResponse:
    """Sets the project's own size limits, recording ProjectLimitsChanged when they change.
    Raises NotAnOperator, InvalidLimit or ProjectNotFound."""
    command = _command(request)

    async def handle(unit):
        state = await project_state(unit, request.project)
        new_events = limits.change_limits(state, request.principal.operator, command)
        if new_events:
            subjects = envelope_pb2.Subjects(project=state.normalized_name, project_id=state.project_id)
            await unit.record(model.stream_of(state.project_id), state.version, new_events,
                              actor_from(request.context, request.principal), subjects)
            log.info("project.limits_changed", project=state.normalized_name,
                     max_file_size=new_events[0].max_file_size, max_project_size=new_events[0].max_project_size)
        return _answer(deps, model.evolve(state, new_events), bool(new_events))

    return await deps.units.run(handle)
