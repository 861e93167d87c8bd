"""The read side: projects, files, file bytes and project access."""

import os
from dataclasses import replace

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import uploads_pb2 as events
from gatehouse.eventstore.store import ConcurrencyConflict
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters import repository
from services.uploads.application import handlers
from services.uploads.domain.errors import FileNotFound, ProjectNotFound
from services.uploads.tests.builders import sdist_bytes, wheel_bytes
from services.uploads.tests.test_upload import WHEEL_NAME, send


@pytest.fixture
async def published(deps):
    deps = replace(deps, max_file_size=1024 * 1024)
    wheel = wheel_bytes(extra=os.urandom(150_000))
    await send(deps, wheel)
    await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz")
    await send(deps, sdist_bytes("demo-0.9"), filename="demo-0.9.tar.gz", version="0.9")
    return deps, wheel


async def read_all(deps, path) -> list[bytes]:
    return [chunk async for chunk in handlers.read_file(deps, path)]


async def test_get_project_lists_files_and_versions(published):
    deps, wheel = published
    answer = await handlers.get_project(deps, "DEMO")
    assert answer.project.normalized_name == "demo"
    assert list(answer.versions) == ["0.9", "1.0"]
    by_name = {file.filename: file for file in answer.files}
    assert set(by_name) == {WHEEL_NAME, "demo-1.0.tar.gz", "demo-0.9.tar.gz"}
    wheel_file = by_name[WHEEL_NAME]
    assert wheel_file.size == len(wheel) and wheel_file.requires_python == ">=3.8"
    assert wheel_file.path.endswith("/" + WHEEL_NAME) and wheel_file.metadata_sha256
    assert by_name["demo-1.0.tar.gz"].metadata_sha256 == "" and not wheel_file.yanked


async def test_an_unknown_project_is_not_found(deps):
    with pytest.raises(ProjectNotFound):
        await handlers.get_project(deps, "nothing")


async def test_list_projects(published):
    deps, _ = published
    answer = await handlers.list_projects(deps)
    assert [project.name for project in answer.projects] == ["demo"]


async def test_read_file_returns_the_stored_bytes_in_64_kib_chunks(published):
    deps, wheel = published
    path = {file.filename: file.path for file in (await handlers.get_project(deps, "demo")).files}[WHEEL_NAME]
    chunks = await read_all(deps, path)
    assert b"".join(chunks) == wheel and max(map(len, chunks)) == 64 * 1024
    assert b"".join(await read_all(deps, path + ".metadata")).startswith(b"Metadata-Version")


async def test_read_file_opens_only_paths_the_database_knows(published, tmp_path):
    deps, _ = published
    (tmp_path / "files" / "stray").write_text("not a distribution")
    sdist_path = {f.filename: f.path for f in (await handlers.get_project(deps, "demo")).files}["demo-1.0.tar.gz"]
    for path in ("stray", "../uploads.db", sdist_path + ".metadata", "ab/cd/nothing.whl"):
        with pytest.raises(FileNotFound):
            await read_all(deps, path)


def access(project="demo", user_id="u-alice", permission="read-audit", operator=False):
    principal = common_pb2.Principal(user_id=user_id, operator=operator)
    return uploads_pb2.CheckProjectAccessRequest(principal=principal, project=project, permission=permission)


async def test_project_access_follows_roles(published):
    deps, _ = published
    owner = await handlers.check_project_access(deps, access())
    assert owner.allowed and owner.role == "Owner"
    assert (await handlers.check_project_access(deps, access(permission="manage-roles"))).allowed
    assert not (await handlers.check_project_access(deps, access(user_id="u-bob"))).allowed
    assert not (await handlers.check_project_access(deps, access(user_id=""))).allowed
    assert (await handlers.check_project_access(deps, access(user_id="", operator=True))).allowed
    with pytest.raises(ProjectNotFound):
        await handlers.check_project_access(deps, access(project="nothing"))


async def test_a_duplicate_project_row_is_a_concurrency_conflict(units):
    created = events.ProjectCreated(project_id="p1", name="demo", normalized_name="demo")
    again = events.ProjectCreated(project_id="p2", name="Demo", normalized_name="demo")
    envelope = envelope_pb2.EventEnvelope(occurred_at_us=1)
    async with units() as unit:
        await repository.project(unit.connection, [(envelope, created)])
        with pytest.raises(ConcurrencyConflict):
            await repository.project(unit.connection, [(envelope, again)])
