"""Use case: an Owner adds a collaborator (a management action under the project's policies)."""

from __future__ import annotations

import structlog

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import repository
from services.uploads.application.handlers import Dependencies
from services.uploads.application.policies import manager_of, project_state
from services.uploads.domain import model, roles

log = structlog.get_logger(__name__)


async def add_role(deps: Dependencies, request: uploads_pb2.AddRoleRequest) -> uploads_pb2.AddRoleResponse:
    """Records RoleAdded and the role row. Raises ProjectNotFound, InvalidRole, NotAnOwner,
    ProjectRequiresSecondFactor, ProjectRequiresPhishingResistantFactor, RoleAlreadyHeld or
    TokensUnavailable."""
    manager = await manager_of(deps, request)
    command = roles.AddRole(request.user_id, request.username, request.role)

    async def handle(unit):
        state = await project_state(unit, request.project)
        new_events = roles.decide_add_role(state, manager, command)
        subjects = envelope_pb2.Subjects(user_id=command.user_id, username=command.username,
                                         project=state.normalized_name, project_id=state.project_id)
        envelopes = await unit.record(model.stream_of(state.project_id), state.version, new_events,
                                      actor_from(request.context, request.principal), subjects)
        await repository.project(unit.connection, list(zip(envelopes, new_events)))
        log.info("uploads.role_added", project=state.normalized_name, user_id=command.user_id, role=command.role)
        return uploads_pb2.AddRoleResponse(project=state.name, username=command.username, role=command.role)

    return await deps.units.run(handle)
