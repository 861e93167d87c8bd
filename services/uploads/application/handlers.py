"""Use cases of the uploads service other than Upload (see upload.py): the read side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import repository
from services.uploads.adapters.archives.limits import ArchiveLimits
from services.uploads.adapters.storage import FileStore
from services.uploads.adapters.second_factors import SecondFactors
from services.uploads.adapters.tokens_client import TokenVerifier
from services.uploads.application.project_states import ProjectStates
from services.uploads.domain.content import DEFAULT_MAX_FILE_SIZE
from services.uploads.domain.errors import FileNotFound, ProjectNotFound
from services.uploads.domain.limits import UploadRules
from services.uploads.domain.model import OWNER, UPLOAD_ROLES
from services.uploads.domain.names import normalize

READ_CHUNK = 64 * 1024
METADATA_SUFFIX = ".metadata"
# Which roles grant a permission; a permission not listed needs an Owner.
ROLES_FOR_PERMISSION = {"read-audit": UPLOAD_ROLES, "upload": UPLOAD_ROLES}


@dataclass(frozen=True)
class Dependencies:
    """The ports the uploads handlers use, chosen by bootstrap (or by a test)."""

    units: UnitOfWorkFactory
    tokens: TokenVerifier
    files: FileStore
    origin: str
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # The mfa service; None only in tests (then project 2FA policies refuse everyone).
    second_factors: SecondFactors | None = None
    # GATEHOUSE_REQUIRE_2FA: every uploader needs a second factor.
    require_2fa: bool = False
    # GATEHOUSE_REAUTH_MINUTES: how recent a login must be to weaken a project policy.
    reauth_minutes: int = 30
    # Archive bomb limits and the RECORD mismatch policy (GATEHOUSE_ARCHIVE_*, GATEHOUSE_RECORD_MISMATCH).
    archive_limits: ArchiveLimits = ArchiveLimits()
    # GATEHOUSE_INVITATION_DAYS: how long a role invitation can be accepted.
    invitation_days: int = 7
    # Folded project states kept between uploads (read models of this process, not shared).
    project_states: ProjectStates = field(default_factory=ProjectStates)
    # Project and file rules: size quota, prohibited names, creation rate, release window.
    rules: UploadRules = UploadRules()


def _summary(row) -> uploads_pb2.ProjectSummary:
    return uploads_pb2.ProjectSummary(
        project_id=row.project_id, name=row.name, normalized_name=row.normalized_name
    )


def distribution_file(row) -> uploads_pb2.DistributionFile:
    """A file row as the API answers it (path, digests, size, times, PEP 658 and 592 facts)."""
    return uploads_pb2.DistributionFile(
        filename=row.filename, version=row.version, packagetype=row.packagetype,
        path=row.path, sha256=row.sha256, requires_python=row.requires_python,
        yanked=row.yanked, yanked_reason=row.yanked_reason, size=row.size,
        upload_time_us=row.upload_time_us, metadata_sha256=row.metadata_sha256,
        md5=row.md5, blake2_256=row.blake2_256,
    )


def _version_order(version: str):
    try:
        return (0, Version(version), version)
    except InvalidVersion:  # only valid versions are recorded; this keeps sorting total
        return (1, Version("0"), version)


async def list_projects(deps: Dependencies) -> uploads_pb2.ListProjectsResponse:
    """Every project, by normalized name. Raises nothing of its own."""
    async with deps.units() as unit:
        rows = await repository.all_projects(unit.connection)
    return uploads_pb2.ListProjectsResponse(projects=[_summary(row) for row in rows])


async def resolve_projects(deps: Dependencies, names: list[str]) -> uploads_pb2.ResolveProjectsResponse:
    """The existing projects among `names` (normalized here; at most 100 looked up), so a token
    can be bound to project ids. Raises nothing of its own."""
    wanted = sorted({normalize(name) for name in names[:100]})
    async with deps.units() as unit:
        rows = await repository.projects_named(unit.connection, wanted)
    return uploads_pb2.ResolveProjectsResponse(projects=[_summary(row) for row in rows])


async def get_project(deps: Dependencies, name: str) -> uploads_pb2.GetProjectResponse:
    """A project (looked up by normalized name) with its files and versions.
    Raises ProjectNotFound."""
    async with deps.units() as unit:
        project = await repository.find_project(unit.connection, normalize(name))
        if project is None:
            raise ProjectNotFound(f"The project '{name}' does not exist.")
        files = await repository.files_of(unit.connection, project.project_id)
        versions = await repository.versions_of(unit.connection, project.project_id)
    return uploads_pb2.GetProjectResponse(
        project=_summary(project),
        files=[distribution_file(row) for row in files],
        versions=sorted(versions, key=_version_order),
    )


async def _stored_path(deps: Dependencies, path: str) -> str:
    # Only paths the database knows are ever opened: a request cannot name another file.
    async with deps.units() as unit:
        row = await repository.file_at(unit.connection, path)
        if row is not None:
            return row.path
        if path.endswith(METADATA_SUFFIX):
            row = await repository.file_at(unit.connection, path.removesuffix(METADATA_SUFFIX))
            if row is not None and row.metadata_sha256:
                return row.path + METADATA_SUFFIX
    raise FileNotFound("No such file.")


async def read_file(deps: Dependencies, path: str) -> AsyncIterator[bytes]:
    """The bytes of a stored file (or its .metadata) in 64 KiB chunks. Raises FileNotFound."""
    stored = await _stored_path(deps, path)
    handle = await asyncio.to_thread(deps.files.open, stored)
    with handle:
        while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
            yield chunk


async def check_project_access(
    deps: Dependencies, request: uploads_pb2.CheckProjectAccessRequest
) -> uploads_pb2.CheckProjectAccessResponse:
    """Whether the principal may do `permission` on the project: operators always, users by
    role (Owner or Maintainer for read-audit and upload, Owner otherwise). Raises ProjectNotFound."""
    async with deps.units() as unit:
        project = await repository.find_project(unit.connection, normalize(request.project))
        if project is None:
            raise ProjectNotFound(f"The project '{request.project}' does not exist.")
        role = await repository.role_of(unit.connection, project.project_id, request.principal.user_id)
    granting = ROLES_FOR_PERMISSION.get(request.permission, frozenset({OWNER}))
    allowed = request.principal.operator or (bool(request.principal.user_id) and role in granting)
    return uploads_pb2.CheckProjectAccessResponse(allowed=allowed, role=role or "")
