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
from services.uploads.adapters.tables import files, projects, releases, roles
from services.uploads.domain.model import release_key


async def find_project(connection: AsyncConnection, normalized_name: str):
    """The project row with this normalized name, or None."""
    query = sa.select(projects).where(projects.c.normalized_name == normalized_name)
    return (await connection.execute(query)).first()


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
    return (await connection.execute(sa.select(files).where(files.c.filename == filename))).first()


async def file_with_blake2(connection: AsyncConnection, blake2_256: str):
    """The file row with this BLAKE2b-256 digest, or None."""
    query = sa.select(files).where(files.c.blake2_256 == blake2_256)
    return (await connection.execute(query)).first()


async def file_at(connection: AsyncConnection, path: str):
    """The published file row stored at this relative path, or None (staged and discarded files
    are never served by path)."""
    query = sa.select(files).where(files.c.path == path, files.c.status == PUBLISHED)
    return (await connection.execute(query)).first()


async def role_of(connection: AsyncConnection, project_id: str, user_id: str) -> str | None:
    """The user's role on the project, or None."""
    query = sa.select(roles.c.role).where(roles.c.project_id == project_id, roles.c.user_id == user_id)
    return (await connection.execute(query)).scalar()


async def project(
    connection: AsyncConnection, recorded: Sequence[tuple[envelope_pb2.EventEnvelope, object]]
) -> None:
    """Updates the read models for freshly recorded (envelope, event) pairs.

    Raises ConcurrencyConflict when a unique row (project name, filename, digest) was written
    by a concurrent upload, so the unit of work re-runs and sees it.
    """
    try:
        for envelope, event in recorded:
            for statement in _statements_for(event, envelope.occurred_at_us):
                await connection.execute(statement)
    except sa.exc.IntegrityError as error:
        raise ConcurrencyConflict("a concurrent upload wrote the same row") from error


def _statements_for(event, time_us: int) -> list:
    if isinstance(event, events.ProjectCreated):
        return [sa.insert(projects).values(project_id=event.project_id, name=event.name,
                                           normalized_name=event.normalized_name, created_at_us=time_us)]
    if isinstance(event, events.RoleAdded):
        return [sa.insert(roles).values(project_id=event.project_id, user_id=event.user_id,
                                        username=event.username, role=event.role)]
    if isinstance(event, events.ReleaseCreated):
        return [_insert_release(event, time_us)]
    if isinstance(event, events.FileAdded):
        return [sa.insert(files).values(_file_row(event, time_us, PUBLISHED))]
    if isinstance(event, events.FileStaged):
        return [sa.insert(files).values(_file_row(event, time_us, STAGED))]
    return _release_statements(event, time_us)


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
