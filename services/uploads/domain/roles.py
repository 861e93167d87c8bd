"""Collaborator management: an Owner adds an Owner or a Maintainer. Pure.

Adding a role is a management action, so the project's policies apply to the Owner's login.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain import policies
from services.uploads.domain.errors import InvalidRole, RoleAlreadyHeld
from services.uploads.domain.model import UPLOAD_ROLES, ProjectState


@dataclass(frozen=True)
class AddRole:
    """Command: give `username` (`user_id`) the role `role` on the project."""

    user_id: str
    username: str
    role: str


def decide_add_role(state: ProjectState, manager: policies.Manager, command: AddRole) -> list:
    """The RoleAdded event. Raises InvalidRole, NotAnOwner, ProjectRequiresSecondFactor,
    ProjectRequiresPhishingResistantFactor or RoleAlreadyHeld."""
    if command.role not in UPLOAD_ROLES:
        raise InvalidRole(f"The role must be Owner or Maintainer, not '{command.role[:32]}'.")
    policies.check_owner(state, manager, "add collaborators")
    policies.check_manager(state, state.policies, manager)
    held = state.roles.get(command.user_id)
    if held:
        raise RoleAlreadyHeld(f"User '{command.username}' is already a {held} of project '{state.name}'.")
    return [events.RoleAdded(project_id=state.project_id, project_name=state.name, user_id=command.user_id,
                             username=command.username, role=command.role)]
