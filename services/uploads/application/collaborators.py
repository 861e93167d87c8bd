"""The read side of collaborator management: a project's collaborators and invitations, and a
user's projects and invitations."""

from __future__ import annotations

from gatehouse.eventstore.store import now_us
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import repository
from services.uploads.application.handlers import Dependencies
from services.uploads.domain.errors import NotACollaborator, ProjectNotFound
from services.uploads.domain.model import OWNER, UPLOAD_ROLES
from services.uploads.domain.names import normalize


def invitation_of_row(row, now: int) -> uploads_pb2.Invitation:
    """A pending invitation row as the API's message (status "expired" once past its expiry)."""
    return uploads_pb2.Invitation(
        invitation_id=row.invitation_id, project=row.project_name, user_id=row.user_id,
        username=row.username, role=row.role, invited_by_username=row.invited_by_username,
        created_at_us=row.created_at_us, expires_at_us=row.expires_at_us,
        status="pending" if row.expires_at_us > now else "expired",
    )


async def list_collaborators(
    deps: Dependencies, request: uploads_pb2.ListCollaboratorsRequest
) -> uploads_pb2.ListCollaboratorsResponse:
    """The project's collaborators, and its pending invitations for Owners and operators.
    Raises ProjectNotFound or NotACollaborator (anyone but a collaborator or an operator)."""
    async with deps.units() as unit:
        project = await repository.find_project(unit.connection, normalize(request.project))
        if project is None:
            raise ProjectNotFound(f"The project '{request.project}' does not exist.")
        rows = await repository.collaborators_of(unit.connection, project.project_id)
        role = next((row.role for row in rows if row.user_id == request.principal.user_id), "")
        if not (request.principal.operator or role in UPLOAD_ROLES):
            raise NotACollaborator(f"Only the collaborators of project '{project.name}' can see its collaborators.")
        pending = await repository.invitations_of_project(unit.connection, project.project_id)
    now = now_us()
    shown = pending if (role == OWNER or request.principal.operator) else []
    return uploads_pb2.ListCollaboratorsResponse(
        project=uploads_pb2.ProjectSummary(project_id=project.project_id, name=project.name,
                                           normalized_name=project.normalized_name),
        collaborators=[uploads_pb2.Collaborator(user_id=row.user_id, username=row.username, role=row.role,
                                                project=project.name) for row in rows],
        invitations=[invitation_of_row(row, now) for row in shown], role=role,
    )


async def list_my_projects(
    deps: Dependencies, request: uploads_pb2.ListMyProjectsRequest
) -> uploads_pb2.ListMyProjectsResponse:
    """The caller's roles (one per project) and pending invitations. Raises nothing of its own."""
    async with deps.units() as unit:
        held = await repository.roles_of_user(unit.connection, request.principal.user_id)
        pending = await repository.invitations_of_user(unit.connection, request.principal.user_id)
    now = now_us()
    return uploads_pb2.ListMyProjectsResponse(
        projects=[uploads_pb2.Collaborator(user_id=row.user_id, username=row.username, role=row.role,
                                           project=row.name) for row in held],
        invitations=[invitation_of_row(row, now) for row in pending],
    )
