"""The UploadsService gRPC API; each method delegates to one handler."""

from __future__ import annotations

import grpc

from gatehouse.uploads.v1 import uploads_pb2, uploads_pb2_grpc
from services.uploads.application import collaborators, handlers, policies, project_limits, releases, roles, upload
from services.uploads.domain import errors

# The one place uploads errors become gRPC statuses (the gateway turns them into HTTP).
STATUS_OF_ERROR = {
    errors.UploadsError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.InvalidUpload: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotAuthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.Forbidden: grpc.StatusCode.PERMISSION_DENIED,
    errors.ProjectNotFound: grpc.StatusCode.NOT_FOUND,
    errors.FileNotFound: grpc.StatusCode.NOT_FOUND,
    errors.TokensUnavailable: grpc.StatusCode.UNAVAILABLE,
    errors.RoleAlreadyHeld: grpc.StatusCode.ALREADY_EXISTS,
    errors.InvitationExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.InvitationNotFound: grpc.StatusCode.NOT_FOUND,
    errors.RoleNotFound: grpc.StatusCode.NOT_FOUND,
    errors.InvitationExpired: grpc.StatusCode.FAILED_PRECONDITION,
    errors.LastOwner: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ProjectCreationRateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.StageNotFound: grpc.StatusCode.NOT_FOUND,
    errors.ReleaseNotFound: grpc.StatusCode.NOT_FOUND,
}


class UploadsServicer(uploads_pb2_grpc.UploadsServiceServicer):
    """Projects, releases, files and uploads over gRPC."""

    def __init__(self, deps: handlers.Dependencies):
        self._deps = deps

    async def Upload(self, request_iterator, context):
        """Validates, stores and records one distribution: INVALID_ARGUMENT for a refused upload,
        UNAUTHENTICATED without a token, PERMISSION_DENIED when the token or role does not allow
        it, RESOURCE_EXHAUSTED (retry-after trailer) when the uploader or their address created too
        many projects in the last hour, UNAVAILABLE when the tokens service cannot be reached."""
        return await upload.upload(self._deps, request_iterator)

    async def ListProjects(self, request, context):
        """Every project. Raises nothing of its own."""
        return await handlers.list_projects(self._deps)

    async def GetProject(self, request, context):
        """A project with its files and versions; NOT_FOUND when there is none."""
        return await handlers.get_project(self._deps, request.name)

    async def ReadFile(self, request, context):
        """A stored file's bytes in 64 KiB chunks; NOT_FOUND unless the database knows the path."""
        async for chunk in handlers.read_file(self._deps, request.path):
            yield uploads_pb2.ReadFileResponse(chunk=chunk)

    async def CheckProjectAccess(self, request, context):
        """Whether the principal may do `permission` on the project; NOT_FOUND for no project."""
        return await handlers.check_project_access(self._deps, request)

    async def ResolveProjects(self, request, context):
        """The existing projects among the names (for binding tokens to project ids)."""
        return await handlers.resolve_projects(self._deps, list(request.names))

    async def GetProjectPolicies(self, request, context):
        """The project's policies for a collaborator; NOT_FOUND for no project, PERMISSION_DENIED
        for anyone else."""
        return await policies.get_project_policies(self._deps, request)

    async def SetProjectPolicy(self, request, context):
        """Turns policies on or off (Owner only); PERMISSION_DENIED for a non-Owner, a weakening
        from an old login or a caller the project's policies refuse, INVALID_ARGUMENT for an
        unknown policy, NOT_FOUND for no project."""
        return await policies.set_project_policy(self._deps, request)

    async def AddRole(self, request, context):
        """Adds a collaborator (Owner only); PERMISSION_DENIED for a non-Owner or a login the
        project's policies refuse, ALREADY_EXISTS for a user with a role, INVALID_ARGUMENT for a
        role other than Owner or Maintainer."""
        return await roles.add_role(self._deps, request)

    async def ListCollaborators(self, request, context):
        """The project's collaborators (and, for Owners, pending invitations); NOT_FOUND for no
        project, PERMISSION_DENIED for anyone but a collaborator or an operator."""
        return await collaborators.list_collaborators(self._deps, request)

    async def InviteCollaborator(self, request, context):
        """An Owner invites a user; PERMISSION_DENIED for a non-Owner or a login the policies
        refuse, ALREADY_EXISTS for a role or a pending invitation, INVALID_ARGUMENT for the role."""
        return await roles.invite(self._deps, request)

    async def RevokeInvitation(self, request, context):
        """An Owner revokes a pending invitation; NOT_FOUND when there is none."""
        return await roles.revoke(self._deps, request)

    async def AcceptInvitation(self, request, context):
        """The invitee accepts; NOT_FOUND unless the caller's invitation is pending,
        FAILED_PRECONDITION once it expired."""
        return await roles.accept(self._deps, request)

    async def DeclineInvitation(self, request, context):
        """The invitee declines; NOT_FOUND unless the caller's invitation is pending."""
        return await roles.decline(self._deps, request)

    async def ChangeRole(self, request, context):
        """An Owner changes a role; FAILED_PRECONDITION for the last Owner, NOT_FOUND for no role."""
        return await roles.change_role(self._deps, request)

    async def RemoveRole(self, request, context):
        """An Owner removes a collaborator, or one leaves; FAILED_PRECONDITION for the last Owner."""
        return await roles.remove_role(self._deps, request)

    async def ListMyProjects(self, request, context):
        """The caller's projects with their role, and their pending invitations."""
        return await collaborators.list_my_projects(self._deps, request)
    async def SetProjectLimits(self, request, context):
        """Sets a project's own size limits (operators only); PERMISSION_DENIED for anyone else,
        NOT_FOUND for no project, INVALID_ARGUMENT for a negative size."""
        return await project_limits.set_project_limits(self._deps, request)

    # --- Staged releases and yanking (issue 8) ---

    async def ListStages(self, request, context):
        """The project's staged releases with their files' digests; NOT_FOUND for no project,
        PERMISSION_DENIED unless Owner or Maintainer."""
        return await releases.list_stages(self._deps, request)

    async def ReadStagedFile(self, request, context):
        """A staged file's bytes for a collaborator; NOT_FOUND unless staged in the project."""
        async for chunk in releases.read_staged_file(self._deps, request):
            yield uploads_pb2.ReadStagedFileResponse(chunk=chunk)

    async def PublishStage(self, request, context):
        """Publishes a whole stage; NOT_FOUND when nothing is staged, PERMISSION_DENIED for an
        API token, a stale login, a non-collaborator or a login the project's policies refuse."""
        return await releases.publish_stage(self._deps, request)

    async def DiscardStage(self, request, context):
        """Discards a stage; errors as PublishStage."""
        return await releases.discard_stage(self._deps, request)

    async def YankRelease(self, request, context):
        """Yanks a published release; NOT_FOUND for no such release, INVALID_ARGUMENT for a bad
        reason, PERMISSION_DENIED as PublishStage or for a token whose caveats refuse `yank`."""
        return await releases.yank_release(self._deps, request)

    async def UnyankRelease(self, request, context):
        """Un-yanks a release; errors as YankRelease."""
        return await releases.unyank_release(self._deps, request)
