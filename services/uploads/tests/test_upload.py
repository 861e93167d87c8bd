"""The Upload pipeline end to end over a real SQLite database, a real file store and fake tokens."""

import asyncio
import hashlib
from dataclasses import replace

import pytest
import sqlalchemy as sa

from gatehouse.eventstore import registry
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.adapters.tokens_client import Verification
from services.uploads.adapters.tables import roles, store
from services.uploads.application.upload import upload
from services.uploads.domain import errors
from services.uploads.tests.builders import CountingStream, form_fields, header, requests_for, sdist_bytes, wheel_bytes
from services.uploads.tests.conftest import ALICE, ORIGIN

WHEEL_NAME = "demo-1.0-py3-none-any.whl"


async def send(deps, content, filename=WHEEL_NAME, token="good-token", stream_out=None,
               while_streaming=None, **overrides):
    filetype = "sdist" if filename.endswith(".tar.gz") else "bdist_wheel"
    fields = form_fields(content=content, filetype=filetype, **overrides)
    stream = CountingStream(requests_for(header(fields, filename, token), content), while_streaming)
    if stream_out is not None:
        stream_out.append(stream)
    return await upload(deps, stream)


async def recorded(units) -> list:
    async with units() as unit:
        rows = await unit.connection.execute(sa.select(store.events).order_by(store.events.c.position))
        return list(rows)


async def test_a_first_upload_creates_the_project_with_its_uploader_as_owner(deps, units, tokens, tmp_path):
    content = wheel_bytes()
    response = await send(deps, content)
    assert (response.outcome, response.project, response.filename) == ("created", "demo", WHEEL_NAME)
    rows = await recorded(units)
    assert [row.type for row in rows] == ["ProjectCreated", "RoleAdded", "ReleaseCreated", "FileAdded"]
    assert {row.stream for row in rows} == {f"project-{registry.decode(rows[0].type, rows[0].payload).project_id}"}
    first = rows[0]
    assert (first.actor_user_id, first.actor_token_id, first.actor_ip) == ("u-alice", "t-alice", "192.0.2.7")
    assert (first.subject_project, first.subject_username) == ("demo", "alice")
    async with units() as unit:
        assert (await unit.connection.execute(sa.select(roles.c.username, roles.c.role))).all() == [("alice", "Owner")]
    added = registry.decode("FileAdded", rows[-1].payload)
    assert (tmp_path / "files" / added.path).read_bytes() == content
    assert added.metadata_sha256 == hashlib.sha256((tmp_path / "files" / (added.path + ".metadata")).read_bytes()).hexdigest()
    # The first upload creates the project: the token must allow create-project too.
    assert tokens.operations[0].action == "create-project" and tokens.operations[0].project == "demo"
    assert tokens.deferred == [True]  # not single-use: verified once, nothing to consume


async def test_a_second_file_of_the_release_adds_only_the_file(deps, units, tokens):
    await send(deps, wheel_bytes())
    response = await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz")
    assert response.outcome == "created"
    assert [row.type for row in await recorded(units)][-1:] == ["FileAdded"]
    assert len(await recorded(units)) == 5
    assert tokens.operations[1].project_id  # the known project's id is passed on


async def test_a_non_collaborator_is_refused_before_any_byte_is_read(deps, units):
    await send(deps, wheel_bytes())
    streams = []
    with pytest.raises(errors.NotACollaborator, match="The user 'bob' isn't allowed to upload to project 'demo'."):
        await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz", token="bob-token", stream_out=streams)
    assert streams[0].consumed == 1
    rejected = (await recorded(units))[-1]
    assert rejected.type == "UploadRejected" and rejected.actor_user_id == "u-bob"
    assert "isn't allowed" in registry.decode("UploadRejected", rejected.payload).reason


async def test_an_identical_reupload_answers_exists_without_events(deps, units):
    await send(deps, wheel_bytes())
    response = await send(deps, wheel_bytes())
    assert response.outcome == "exists"
    assert len(await recorded(units)) == 4


async def test_the_same_filename_with_other_content_is_refused(deps):
    await send(deps, wheel_bytes())
    with pytest.raises(errors.FileAlreadyExists) as caught:
        await send(deps, wheel_bytes(extra=b"# changed"))
    assert caught.value.message == (
        f"File already exists ('{WHEEL_NAME}'). See {ORIGIN}/help/#file-name-reuse for more information."
    )


async def test_the_same_content_under_another_name_is_refused(deps):
    await send(deps, wheel_bytes())
    with pytest.raises(errors.FileAlreadyExists, match="demo-1.0-1-py3-none-any.whl"):
        await send(deps, wheel_bytes(), filename="demo-1.0-1-py3-none-any.whl")


async def test_an_oversized_file_stops_the_stream_at_the_limit(deps, units, tmp_path):
    content = b"x" * (200 * 1024)  # limit is 64 KiB in the fixture, chunks are 1 KiB
    streams = []
    with pytest.raises(errors.FileTooLarge, match="File too large. Limit for project 'demo' is 65536 bytes."):
        await send(deps, content, stream_out=streams)
    assert streams[0].consumed == 1 + 65
    assert list((tmp_path / "files" / ".incoming").iterdir()) == []
    assert [row.type for row in await recorded(units)] == ["UploadRejected"]


async def test_a_wrong_digest_is_refused(deps):
    with pytest.raises(errors.DigestMismatch):
        await send(deps, wheel_bytes(), md5_digest="0" * 32)


async def test_a_damaged_wheel_is_refused(deps):
    with pytest.raises(errors.InvalidDistribution):
        await send(deps, b"not a zip")


async def test_an_invalid_token_is_refused_with_the_tokens_reason(deps, units):
    with pytest.raises(errors.InvalidToken, match="^Invalid API Token: the token is not known.$"):
        await send(deps, wheel_bytes(), token="forged")
    assert await recorded(units) == []


async def test_no_token_is_unauthenticated(deps):
    with pytest.raises(errors.NotAuthenticated):
        await send(deps, wheel_bytes(), token="")


async def test_a_standard_library_name_cannot_be_registered(deps):
    with pytest.raises(errors.ProhibitedProjectName, match="The name 'os' isn't allowed."):
        await send(deps, wheel_bytes(name="os"), filename="os-1.0-py3-none-any.whl", name="os")


async def test_a_newer_only_token_cannot_add_to_an_existing_version(deps, tokens):
    await send(deps, wheel_bytes())
    tokens.uploaders["newer"] = replace(ALICE, token_id="t-newer", newer_only=True)
    with pytest.raises(errors.VersionNotNewer):
        await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz", token="newer")
    response = await send(deps, sdist_bytes("demo-1.1"), filename="demo-1.1.tar.gz", token="newer", version="1.1")
    assert response.outcome == "created"


async def test_a_stream_without_a_header_is_refused(deps):
    with pytest.raises(errors.InvalidForm, match="must begin with its form fields"):
        await upload(deps, CountingStream([uploads_pb2.UploadRequest(chunk=b"x")]))


async def test_concurrent_first_uploads_make_one_project(deps, units):
    results = await asyncio.gather(
        send(deps, wheel_bytes()),
        send(deps, sdist_bytes(), filename="demo-1.0.tar.gz"),
    )
    assert {result.outcome for result in results} == {"created"}
    types = [row.type for row in await recorded(units)]
    assert types.count("ProjectCreated") == 1 and types.count("FileAdded") == 2


async def test_the_decision_is_taken_again_on_the_state_at_commit(deps, units):
    async def alice_creates_the_project_meanwhile():
        await send(deps, wheel_bytes())

    with pytest.raises(errors.NotACollaborator):
        await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz", token="bob-token",
                   while_streaming=alice_creates_the_project_meanwhile)
    types = [row.type for row in await recorded(units)]
    assert types.count("ProjectCreated") == 1 and types.count("FileAdded") == 1


async def test_a_single_use_token_is_consumed_only_by_an_upload_that_is_accepted(deps, tokens, units):
    await send(deps, wheel_bytes())
    tokens.uploaders["once"] = replace(ALICE, token_id="t-once", single_use=True)
    tokens.deferred.clear()
    with pytest.raises(errors.FileAlreadyExists):
        await send(deps, wheel_bytes(extra=b"# changed"), token="once")
    assert tokens.deferred == [True]  # verified without consuming; the refusal left it usable
    response = await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz", token="once")
    assert response.outcome == "created"
    assert tokens.deferred == [True, True, False]  # the last verification consumed it
    assert tokens.operations[-1].action == "upload"


async def test_an_upload_whose_single_use_token_was_consumed_meanwhile_is_refused(deps, tokens, units):
    tokens.uploaders["once"] = replace(ALICE, token_id="t-once", single_use=True)
    verify = tokens.verify

    async def consumed_by_someone_else(token, operation, context, defer_consumption=False):
        if not defer_consumption:
            return Verification(valid=False, reason="Invalid API Token: the token has been revoked or does not exist.")
        return await verify(token, operation, context, defer_consumption)

    tokens.verify = consumed_by_someone_else
    with pytest.raises(errors.InvalidToken, match="revoked or does not exist"):
        await send(deps, wheel_bytes(), token="once")
    assert [row.type for row in await recorded(units)] == ["UploadRejected"]
