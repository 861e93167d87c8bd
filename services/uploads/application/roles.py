"""Use cases of collaborator management: invitations, and adding, changing and removing roles.

Every event names the collaborator (or invitee) as its subject user and the project as its
subject project, so the audit projection files it in both security logs.
"""

from __future__ import annotations

import uuid

import structlog

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import repository
from services.uploads.application.handlers import Dependencies
from services.uploads.application.policies import manager_of, project_state
from services.uploads.domain import model, roles
from services.uploads.domain.errors import InvitationNotFound, RoleNotFound

log = structlog.get_logger(__name__)


async def _record(unit, state: model.ProjectState, new_events: list, request, user_id: str, username: str):
    subjects = envelope_pb2.Subjects(user_id=user_id, username=username,
                                     project=state.normalized_name, project_id=state.project_id)
    envelopes = await unit.record(model.stream_of(state.project_id), state.version, new_events,
                                  actor_from(request.context, request.principal), subjects)
    await repository.project(unit.connection, list(zip(envelopes, new_events)))
    for event in new_events:
        log.info("uploads.role_event", type=type(event).__name__, project=state.normalized_name, user_id=user_id)


def _invitation(event, status: str, created_at_us: int = 0) -> uploads_pb2.Invitation:
    return uploads_pb2.Invitation(
        invitation_id=event.invitation_id, project=event.project_name, user_id=event.user_id,
        username=event.username, role=event.role, status=status, created_at_us=created_at_us,
        invited_by_username=getattr(event, "invited_by_username", ""),
        expires_at_us=getattr(event, "expires_at_us", 0),
    )


async def add_role(deps: Dependencies, request: uploads_pb2.AddRoleRequest) -> uploads_pb2.AddRoleResponse:
    """Records RoleAdded and the role row at once (no invitation). Raises ProjectNotFound,
    InvalidRole, NotAnOwner, ProjectRequiresSecondFactor, ProjectRequiresPhishingResistantFactor,
    RoleAlreadyHeld or TokensUnavailable."""
    manager = await manager_of(deps, request)
    command = roles.AddRole(request.user_id, request.username, request.role)

    async def handle(unit):
        state = await project_state(unit, request.project)
        await _record(unit, state, roles.decide_add_role(state, manager, command), request,
                      command.user_id, command.username)
        return uploads_pb2.AddRoleResponse(project=state.name, username=command.username, role=command.role)

    return await deps.units.run(handle)


async def invite(deps: Dependencies, request: uploads_pb2.InviteCollaboratorRequest) -> uploads_pb2.InviteCollaboratorResponse:
    """Records RoleInvitationCreated (expiring after deps.invitation_days). Raises
    ProjectNotFound, InvalidRole, NotAnOwner, the policy errors, RoleAlreadyHeld,
    InvitationExists or TokensUnavailable."""
    manager = await manager_of(deps, request)
    now = now_us()
    command = roles.Invite(str(uuid.uuid4()), request.user_id, request.username, request.role,
                           now, now + deps.invitation_days * roles.DAY_US)

    async def handle(unit):
        state = await project_state(unit, request.project)
        new_events = roles.decide_invite(state, manager, command)
        await _record(unit, state, new_events, request, command.user_id, command.username)
        return uploads_pb2.InviteCollaboratorResponse(invitation=_invitation(new_events[0], "pending", now))

    return await deps.units.run(handle)


async def revoke(deps: Dependencies, request: uploads_pb2.RevokeInvitationRequest) -> uploads_pb2.RevokeInvitationResponse:
    """Records RoleInvitationRevoked. Raises ProjectNotFound, NotAnOwner, the policy errors,
    InvitationNotFound or TokensUnavailable."""
    manager = await manager_of(deps, request)

    async def handle(unit):
        state = await project_state(unit, request.project)
        new_events = roles.decide_revoke(state, manager, request.invitation_id)
        await _record(unit, state, new_events, request, new_events[0].user_id, new_events[0].username)
        return uploads_pb2.RevokeInvitationResponse(invitation=_invitation(new_events[0], "revoked"))

    return await deps.units.run(handle)


async def _state_of_invitation(unit, invitation_id: str) -> model.ProjectState:
    row = await repository.invitation(unit.connection, invitation_id[:36])
    if row is None:
        raise InvitationNotFound("There is no pending invitation with that id.")
    return model.fold(await unit.load(model.stream_of(row.project_id)))


async def accept(deps: Dependencies, request: uploads_pb2.AcceptInvitationRequest) -> uploads_pb2.AcceptInvitationResponse:
    """The invitee accepts: records RoleAdded. Raises InvitationNotFound (none pending for the
    caller), InvitationExpired or RoleAlreadyHeld."""
    async def handle(unit):
        state = await _state_of_invitation(unit, request.invitation_id)
        new_events = roles.decide_accept(state, request.principal.user_id, request.invitation_id, now_us())
        await _record(unit, state, new_events, request, new_events[0].user_id, new_events[0].username)
        return uploads_pb2.AcceptInvitationResponse(invitation=_invitation(new_events[0], "accepted"))

    return await deps.units.run(handle)


async def decline(deps: Dependencies, request: uploads_pb2.DeclineInvitationRequest) -> uploads_pb2.DeclineInvitationResponse:
    """The invitee declines: records RoleInvitationDeclined. Raises InvitationNotFound."""
    async def handle(unit):
        state = await _state_of_invitation(unit, request.invitation_id)
        new_events = roles.decide_decline(state, request.principal.user_id, request.invitation_id)
        await _record(unit, state, new_events, request, new_events[0].user_id, new_events[0].username)
        return uploads_pb2.DeclineInvitationResponse(invitation=_invitation(new_events[0], "declined"))

    return await deps.units.run(handle)


def _user_id_of(state: model.ProjectState, username: str) -> str:
    wanted = username.casefold()
    for user_id, name in state.usernames.items():
        if name.casefold() == wanted:
            return user_id
    raise RoleNotFound(f"User '{username[:100]}' has no role on project '{state.name}'.")


async def change_role(deps: Dependencies, request: uploads_pb2.ChangeRoleRequest) -> uploads_pb2.ChangeRoleResponse:
    """Records RoleChanged (nothing when the role is unchanged). Raises ProjectNotFound,
    InvalidRole, NotAnOwner, the policy errors, RoleNotFound, LastOwner or TokensUnavailable."""
    manager = await manager_of(deps, request)

    async def handle(unit):
        state = await project_state(unit, request.project)
        user_id = _user_id_of(state, request.username)
        new_events = roles.decide_change(state, manager, user_id, request.username, request.role)
        username = state.usernames[user_id]
        if new_events:
            await _record(unit, state, new_events, request, user_id, username)
        return uploads_pb2.ChangeRoleResponse(collaborator=uploads_pb2.Collaborator(
            user_id=user_id, username=username, role=request.role, project=state.name))

    return await deps.units.run(handle)


async def remove_role(deps: Dependencies, request: uploads_pb2.RemoveRoleRequest) -> uploads_pb2.RemoveRoleResponse:
    """Records RoleRemoved (an Owner removing anyone, or a collaborator leaving). Raises
    ProjectNotFound, RoleNotFound, NotAnOwner, the policy errors, LastOwner or TokensUnavailable."""
    manager = await manager_of(deps, request)

    async def handle(unit):
        state = await project_state(unit, request.project)
        user_id = _user_id_of(state, request.username)
        new_events = roles.decide_remove(state, manager, user_id, request.username)
        await _record(unit, state, new_events, request, user_id, new_events[0].username)
        return uploads_pb2.RemoveRoleResponse(collaborator=uploads_pb2.Collaborator(
            user_id=user_id, username=new_events[0].username, role=new_events[0].role, project=state.name))

    return await deps.units.run(handle)
