"""Read models of the uploads service, read and written inside a unit of work's transaction.

The tables are projections of the events: `project` writes the rows one recorded event implies.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import uploads_pb2 as events
from gatehouse.eventstore.store import ConcurrencyConflict
from services.uploads.adapters.tables import files, projects, releases, role_invitations, roles, used_filenames
from services.uploads.domain.limits import RecentCreations
from services.uploads.domain.model import release_key
from services.uploads.domain.names import fold_confusable


# The statements every upload runs, built once (building one per call cost more than running it).
_PROJECT_NAMED = sa.select(projects).where(projects.c.normalized_name == sa.bindparam("name"))
_FILE_NAMED = sa.select(files).where(files.c.filename == sa.bindparam("filename"))
_PROJECT_SIZE = (sa.select(sa.func.coalesce(sa.func.sum(files.c.size), 0))
                 .where(files.c.project_id == sa.bindparam("project_id")))
_RELEASE_CREATED_AT = sa.select(releases.c.created_at_us).where(
    releases.c.project_id == sa.bindparam("project_id"), releases.c.release_key == sa.bindparam("key"))
_CONTENT_OR_NAME_SEEN = sa.select(sa.exists().where(files.c.blake2_256 == sa.bindparam("blake2_256")),
                                  sa.exists().where(used_filenames.c.filename == sa.bindparam("filename")))


async def find_project(connection: AsyncConnection, normalized_name: str):
    """The project row with this normalized name, or None."""
    return (await connection.execute(_PROJECT_NAMED, {"name": normalized_name})).first()


async def all_projects(connection: AsyncConnection) -> list:
    """Every project row, by normalized name."""
    query = sa.select(projects).order_by(projects.c.normalized_name)
    return list(await connection.execute(query))


async def projects_named(connection: AsyncConnection, normalized_names: list[str]) -> list:
    """The project rows among `normalized_names` (those that exist), by normalized name."""
    query = (sa.select(projects).where(projects.c.normalized_name.in_(normalized_names))
             .order_by(projects.c.normalized_name))
    return list(await connection.execute(query))


PUBLISHED, STAGED, DISCARDED = "published", "staged", "discarded"


async def files_of(connection: AsyncConnection, project_id: str, status: str = PUBLISHED) -> list:
    """The project's file rows with `status` (by default those installers see), oldest first."""
    query = (
        sa.select(files)
        .where(files.c.project_id == project_id, files.c.status == status)
        .order_by(files.c.upload_time_us, files.c.filename)
    )
    return list(await connection.execute(query))


async def staged_file(connection: AsyncConnection, project_id: str, filename: str):
    """The project's staged file row with this filename, or None."""
    query = sa.select(files).where(files.c.project_id == project_id, files.c.filename == filename,
                                   files.c.status == STAGED)
    return (await connection.execute(query)).first()


async def versions_of(connection: AsyncConnection, project_id: str) -> list[str]:
    """The project's release versions (unordered)."""
    query = sa.select(releases.c.version).where(releases.c.project_id == project_id)
    return list((await connection.execute(query)).scalars())


async def file_named(connection: AsyncConnection, filename: str):
    """The file row with this filename (in any project), or None."""
    return (await connection.execute(_FILE_NAMED, {"filename": filename})).first()


async def file_with_blake2(connection: AsyncConnection, blake2_256: str):
    """The file row with this BLAKE2b-256 digest, or None."""
    query = sa.select(files).where(files.c.blake2_256 == blake2_256)
    return (await connection.execute(query)).first()


async def file_at(connection: AsyncConnection, path: str):
    """The published file row stored at this relative path, or None (staged and discarded files
    are never served by path)."""
    query = sa.select(files).where(files.c.path == path, files.c.status == PUBLISHED)
    return (await connection.execute(query)).first()


async def project_folded_like(connection: AsyncConnection, name: str):
    """A project whose name folds (names.fold_confusable) like `name`, or None."""
    query = sa.select(projects).where(projects.c.folded_name == fold_confusable(name)).limit(1)
    return (await connection.execute(query)).first()


async def recent_creations(connection: AsyncConnection, since_us: int, *, user_id: str = "",
                           ip_address: str = "") -> RecentCreations:
    """How many projects the user (or the address) created since `since_us`, and the oldest's time."""
    column, value = ((projects.c.created_by_user_id, user_id) if user_id
                     else (projects.c.created_from_ip, ip_address))
    query = sa.select(sa.func.count(), sa.func.min(projects.c.created_at_us)).where(
        column == value, projects.c.created_at_us >= since_us)
    count, oldest = (await connection.execute(query)).one()
    return RecentCreations(count=count, oldest_us=oldest or since_us)


async def project_size(connection: AsyncConnection, project_id: str) -> int:
    """The total size in bytes of the project's files."""
    return int((await connection.execute(_PROJECT_SIZE, {"project_id": project_id})).scalar())


async def release_has_sdist(connection: AsyncConnection, project_id: str, version: str) -> bool:
    """Whether the release `version` (any spelling that compares equal) has a source distribution."""
    query = sa.select(files.c.version).where(files.c.project_id == project_id, files.c.packagetype == "sdist")
    return any(release_key(row) == release_key(version) for row in (await connection.execute(query)).scalars())


async def release_created_at(connection: AsyncConnection, project_id: str, version: str) -> int | None:
    """When the release `version` was created (microseconds), or None when it does not exist."""
    parameters = {"project_id": project_id, "key": release_key(version)}
    return (await connection.execute(_RELEASE_CREATED_AT, parameters)).scalar()


async def filename_used(connection: AsyncConnection, filename: str) -> bool:
    """Whether the filename was ever accepted (the registry keeps names of deleted files)."""
    query = sa.select(used_filenames.c.filename).where(used_filenames.c.filename == filename)
    return (await connection.execute(query)).first() is not None


async def content_or_name_seen(connection: AsyncConnection, blake2_256: str, filename: str) -> tuple[bool, bool]:
    """In one statement: whether a file row has this BLAKE2b-256 digest, and whether the
    filename was ever accepted (file_with_blake2 and filename_used together)."""
    parameters = {"blake2_256": blake2_256, "filename": filename}
    content_seen, name_used = (await connection.execute(_CONTENT_OR_NAME_SEEN, parameters)).one()
    return bool(content_seen), bool(name_used)


async def role_of(connection: AsyncConnection, project_id: str, user_id: str) -> str | None:
    """The user's role on the project, or None."""
    query = sa.select(roles.c.role).where(roles.c.project_id == project_id, roles.c.user_id == user_id)
    return (await connection.execute(query)).scalar()


async def collaborators_of(connection: AsyncConnection, project_id: str) -> list:
    """The project's role rows, Owners first, then by username."""
    query = sa.select(roles).where(roles.c.project_id == project_id).order_by(
        sa.case((roles.c.role == "Owner", 0), else_=1), roles.c.username)
    return list(await connection.execute(query))


async def invitations_of_project(connection: AsyncConnection, project_id: str) -> list:
    """The project's pending invitation rows (expired ones included), newest first."""
    query = (sa.select(role_invitations, projects.c.name.label("project_name"))
             .join(projects, projects.c.project_id == role_invitations.c.project_id)
             .where(role_invitations.c.project_id == project_id)
             .order_by(role_invitations.c.created_at_us.desc()))
    return list(await connection.execute(query))


async def invitations_of_user(connection: AsyncConnection, user_id: str) -> list:
    """The user's pending invitation rows (expired ones included) with the project's name, newest first."""
    query = (sa.select(role_invitations, projects.c.name.label("project_name"))
             .join(projects, projects.c.project_id == role_invitations.c.project_id)
             .where(role_invitations.c.user_id == user_id)
             .order_by(role_invitations.c.created_at_us.desc()))
    return list(await connection.execute(query))


async def invitation(connection: AsyncConnection, invitation_id: str):
    """The pending invitation row with this id, or None."""
    query = sa.select(role_invitations).where(role_invitations.c.invitation_id == invitation_id)
    return (await connection.execute(query)).first()


async def roles_of_user(connection: AsyncConnection, user_id: str) -> list:
    """The user's roles with the project's name, by normalized project name."""
    query = (sa.select(roles.c.role, roles.c.user_id, roles.c.username, projects.c.name, projects.c.normalized_name)
             .join(projects, projects.c.project_id == roles.c.project_id)
             .where(roles.c.user_id == user_id).order_by(projects.c.normalized_name))
    return list(await connection.execute(query))


async def project(
    connection: AsyncConnection, recorded: Sequence[tuple[envelope_pb2.EventEnvelope, object]]
) -> None:
    """Updates the read models for freshly recorded (envelope, event) pairs.

    Raises ConcurrencyConflict when a unique row (project name, filename, digest) was written
    by a concurrent upload, so the unit of work re-runs and sees it.
    """
    try:
        for envelope, event in recorded:
            for statement in _statements_for(event, envelope):
                await connection.execute(statement)
    except sa.exc.IntegrityError as error:
        raise ConcurrencyConflict("a concurrent upload wrote the same row") from error


def _role_statements(event, time_us: int) -> list:
    of_user = sa.and_(role_invitations.c.project_id == event.project_id, role_invitations.c.user_id == event.user_id)
    role_row = sa.and_(roles.c.project_id == event.project_id, roles.c.user_id == event.user_id)
    if isinstance(event, events.RoleAdded):
        return [sa.delete(role_invitations).where(of_user), _insert_for(event, time_us)]
    if isinstance(event, events.RoleChanged):
        return [sa.update(roles).where(role_row).values(role=event.role)]
    if isinstance(event, events.RoleRemoved):
        return [sa.delete(roles).where(role_row)]
    if isinstance(event, events.RoleInvitationCreated):
        return [sa.delete(role_invitations).where(of_user), sa.insert(role_invitations).values(
            invitation_id=event.invitation_id, project_id=event.project_id, user_id=event.user_id,
            username=event.username, role=event.role, invited_by_username=event.invited_by_username,
            created_at_us=time_us, expires_at_us=event.expires_at_us)]
    return [sa.delete(role_invitations).where(role_invitations.c.invitation_id == event.invitation_id)]


ROLE_EVENTS = (events.RoleAdded, events.RoleChanged, events.RoleRemoved, events.RoleInvitationCreated,
               events.RoleInvitationDeclined, events.RoleInvitationRevoked)


def _statements_for(event, envelope: envelope_pb2.EventEnvelope) -> list:
    time_us = envelope.occurred_at_us
    if isinstance(event, ROLE_EVENTS):
        return _role_statements(event, time_us)
    if isinstance(event, events.ProjectCreated):
        return [sa.insert(projects).values(project_id=event.project_id, name=event.name,
                                           normalized_name=event.normalized_name,
                                           created_at_us=time_us, folded_name=fold_confusable(event.name),
                                           created_by_user_id=event.created_by_user_id,
                                           created_from_ip=envelope.actor.ip_address)]
    if isinstance(event, events.ReleaseCreated):
        return [_insert_release(event, time_us)]
    if isinstance(event, (events.FileAdded, events.FileStaged)):
        # A staged file's name is used too: discarding the stage never frees it.
        status = PUBLISHED if isinstance(event, events.FileAdded) else STAGED
        return [sa.insert(files).values(_file_row(event, time_us, status)),
                sa.insert(used_filenames).values(filename=event.filename, project_id=event.project_id,
                                                 first_used_at_us=time_us)]
    return _release_statements(event, time_us)


def _insert_for(event, time_us: int):
    return sa.insert(roles).values(project_id=event.project_id, user_id=event.user_id,
                                   username=event.username, role=event.role)


def _insert_release(event, time_us: int):
    return sa.insert(releases).values(project_id=event.project_id, release_key=release_key(event.version),
                                      version=event.version, requires_python=event.requires_python,
                                      summary=event.summary, created_at_us=time_us)


def _release_statements(event, time_us: int) -> list:
    if isinstance(event, events.ReleasePublished):
        created = [_insert_release(event, time_us)] if event.release_created else []
        published = (sa.update(files)
                     .where(files.c.project_id == event.project_id, files.c.filename.in_(list(event.filenames)))
                     .values(status=PUBLISHED, upload_time_us=time_us, version=event.version,
                             yanked=_release_column(event, releases.c.yanked, False),
                             yanked_reason=_release_column(event, releases.c.yanked_reason, "")))
        return [*created, published]
    if isinstance(event, events.StagedReleaseDiscarded):
        return [sa.update(files)
                .where(files.c.project_id == event.project_id, files.c.filename.in_(list(event.filenames)))
                .values(status=DISCARDED)]
    if isinstance(event, events.ReleaseYanked):
        return _yank_statements(event, True, event.reason)
    if isinstance(event, events.ReleaseUnyanked):
        return _yank_statements(event, False, "")
    return []


def _yank_statements(event, yanked: bool, reason: str) -> list:
    key = release_key(event.version)
    return [
        sa.update(releases).where(releases.c.project_id == event.project_id, releases.c.release_key == key)
        .values(yanked=yanked, yanked_reason=reason),
        sa.update(files).where(files.c.project_id == event.project_id, files.c.version == event.version,
                               files.c.status == PUBLISHED)
        .values(yanked=yanked, yanked_reason=reason),
    ]


def _release_column(event, column, default):
    # A file joining a yanked release is yanked with it.
    query = sa.select(column).where(releases.c.project_id == event.project_id,
                                    releases.c.release_key == release_key(event.version))
    return sa.func.coalesce(query.scalar_subquery(), default)


def _file_row(event, time_us: int, status: str) -> dict:
    return {
        "filename": event.filename, "project_id": event.project_id, "version": event.version,
        "packagetype": event.packagetype, "python_version": event.python_version,
        "path": event.path, "size": event.size, "md5": event.md5, "sha256": event.sha256,
        "blake2_256": event.blake2_256, "requires_python": event.requires_python,
        "metadata_sha256": event.metadata_sha256, "upload_time_us": time_us,
        "yanked": _release_column(event, releases.c.yanked, False),
        "yanked_reason": _release_column(event, releases.c.yanked_reason, ""),
        "status": status,
    }
