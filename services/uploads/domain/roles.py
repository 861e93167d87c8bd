"""Collaborator management: invitations, and adding, changing and removing roles. Pure.

PyPI's model: an Owner invites a user by username; the invitee accepts (RoleAdded) or declines;
an Owner may revoke a pending invitation; an expired one cannot be accepted. Owners change and
remove roles; the last Owner can be neither demoted nor removed; a collaborator may leave.
Managing collaborators is a management action, so the project's policies apply to the Owner's
login (`policies.check_manager`). Leaving is not: nobody is kept on a project by a policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain import policies
from services.uploads.domain.errors import (
    InvalidRole,
    InvitationExists,
    InvitationExpired,
    InvitationNotFound,
    LastOwner,
    RoleAlreadyHeld,
    RoleNotFound,
)
from services.uploads.domain.model import OWNER, UPLOAD_ROLES, PendingInvitation, ProjectState

DAY_US = 24 * 3600 * 1_000_000
DEFAULT_INVITATION_DAYS = 7


@dataclass(frozen=True)
class AddRole:
    """Command: give `username` (`user_id`) the role `role` on the project at once."""

    user_id: str
    username: str
    role: str


@dataclass(frozen=True)
class Invite:
    """Command: invite `username` (`user_id`) to become `role`; the invitation expires at `expires_at_us`."""

    invitation_id: str
    user_id: str
    username: str
    role: str
    now_us: int
    expires_at_us: int


def check_role_name(role: str) -> None:
    """Raises InvalidRole for anything but Owner or Maintainer."""
    if role not in UPLOAD_ROLES:
        raise InvalidRole(f"The role must be Owner or Maintainer, not '{role[:32]}'.")


def _check_owner_managing(state: ProjectState, manager: policies.Manager, action: str) -> None:
    policies.check_owner(state, manager, action)
    policies.check_manager(state, state.policies, manager)


def _check_no_role(state: ProjectState, user_id: str, username: str) -> None:
    held = state.roles.get(user_id)
    if held:
        raise RoleAlreadyHeld(f"User '{username}' is already a {held} of project '{state.name}'.")


def decide_add_role(state: ProjectState, manager: policies.Manager, command: AddRole) -> list:
    """The RoleAdded event of a direct add. Raises InvalidRole, NotAnOwner,
    ProjectRequiresSecondFactor, ProjectRequiresPhishingResistantFactor or RoleAlreadyHeld."""
    check_role_name(command.role)
    _check_owner_managing(state, manager, "add collaborators")
    _check_no_role(state, command.user_id, command.username)
    return [events.RoleAdded(project_id=state.project_id, project_name=state.name, user_id=command.user_id,
                             username=command.username, role=command.role, owner_user_ids=state.owners())]


def decide_invite(state: ProjectState, manager: policies.Manager, command: Invite) -> list:
    """The RoleInvitationCreated event. Raises InvalidRole, NotAnOwner, the policy errors,
    RoleAlreadyHeld or InvitationExists (an unexpired one is pending)."""
    check_role_name(command.role)
    _check_owner_managing(state, manager, "invite collaborators")
    _check_no_role(state, command.user_id, command.username)
    for pending in state.invitations.values():
        if pending.user_id == command.user_id and pending.expires_at_us > command.now_us:
            raise InvitationExists(
                f"User '{command.username}' already has a pending invitation to project '{state.name}'.")
    return [events.RoleInvitationCreated(
        project_id=state.project_id, project_name=state.name, invitation_id=command.invitation_id,
        user_id=command.user_id, username=command.username, role=command.role,
        expires_at_us=command.expires_at_us, invited_by_username=manager.username, owner_user_ids=state.owners())]


def _pending(state: ProjectState, invitation_id: str) -> PendingInvitation:
    pending = state.invitations.get(invitation_id)
    if pending is None:
        raise InvitationNotFound("There is no pending invitation with that id.")
    return pending


def _invitee_pending(state: ProjectState, invitation_id: str, user_id: str) -> PendingInvitation:
    pending = _pending(state, invitation_id)
    if pending.user_id != user_id:  # another user's invitation: answered as if there were none
        raise InvitationNotFound("There is no pending invitation with that id.")
    return pending


def decide_accept(state: ProjectState, user_id: str, invitation_id: str, now_us: int) -> list:
    """The RoleAdded event of an accepted invitation. Raises InvitationNotFound (none pending
    for this user) or InvitationExpired."""
    pending = _invitee_pending(state, invitation_id, user_id)
    if pending.expires_at_us <= now_us:
        raise InvitationExpired(
            f"The invitation to project '{state.name}' has expired; ask an Owner to invite you again.")
    _check_no_role(state, pending.user_id, pending.username)
    return [events.RoleAdded(project_id=state.project_id, project_name=state.name, user_id=pending.user_id,
                             username=pending.username, role=pending.role, invitation_id=invitation_id,
                             owner_user_ids=state.owners())]


def decide_decline(state: ProjectState, user_id: str, invitation_id: str) -> list:
    """The RoleInvitationDeclined event (an expired one may be declined too). Raises InvitationNotFound."""
    pending = _invitee_pending(state, invitation_id, user_id)
    return [events.RoleInvitationDeclined(
        project_id=state.project_id, project_name=state.name, invitation_id=invitation_id,
        user_id=pending.user_id, username=pending.username, role=pending.role, owner_user_ids=state.owners())]


def decide_revoke(state: ProjectState, manager: policies.Manager, invitation_id: str) -> list:
    """The RoleInvitationRevoked event. Raises NotAnOwner, the policy errors or InvitationNotFound."""
    _check_owner_managing(state, manager, "revoke invitations")
    pending = _pending(state, invitation_id)
    return [events.RoleInvitationRevoked(
        project_id=state.project_id, project_name=state.name, invitation_id=invitation_id,
        user_id=pending.user_id, username=pending.username, role=pending.role, owner_user_ids=state.owners())]


def _held(state: ProjectState, user_id: str, username: str) -> str:
    role = state.roles.get(user_id)
    if not role:
        raise RoleNotFound(f"User '{username}' has no role on project '{state.name}'.")
    return role


def _check_not_last_owner(state: ProjectState, user_id: str, action: str) -> None:
    if state.owners() == [user_id]:
        raise LastOwner(f"Project '{state.name}' needs at least one Owner: its last Owner cannot be {action}; "
                        "make another collaborator an Owner first.")


def decide_change(state: ProjectState, manager: policies.Manager, user_id: str, username: str, role: str) -> list:
    """The RoleChanged event (none when the role is already `role`). Raises InvalidRole,
    NotAnOwner, the policy errors, RoleNotFound or LastOwner."""
    check_role_name(role)
    _check_owner_managing(state, manager, "change roles")
    old = _held(state, user_id, username)
    if old == role:
        return []
    if old == OWNER:
        _check_not_last_owner(state, user_id, "demoted")
    return [events.RoleChanged(project_id=state.project_id, project_name=state.name, user_id=user_id,
                               username=state.usernames.get(user_id, username), old_role=old, role=role,
                               owner_user_ids=state.owners())]


def decide_remove(state: ProjectState, manager: policies.Manager, user_id: str, username: str) -> list:
    """The RoleRemoved event: an Owner removes anyone, a collaborator removes themselves.
    Raises RoleNotFound, NotAnOwner, the policy errors (for an Owner removing someone else) or LastOwner."""
    if manager.user_id == user_id:
        role = _held(state, user_id, username)
    else:
        _check_owner_managing(state, manager, "remove collaborators")
        role = _held(state, user_id, username)
    if role == OWNER:
        _check_not_last_owner(state, user_id, "removed")
    return [events.RoleRemoved(project_id=state.project_id, project_name=state.name, user_id=user_id,
                               username=state.usernames.get(user_id, username), role=role,
                               owner_user_ids=state.owners())]
