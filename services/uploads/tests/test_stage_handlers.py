"""Staged releases and yanking through the handlers, over a real SQLite database and file store:
a staged upload is invisible to installers until a maintainer publishes it; a discarded stage's
filenames stay used; a yanked release's files say so; a losing concurrent upload leaves no file."""

import asyncio
from dataclasses import replace

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.uploads.v1 import uploads_pb2
from services.uploads.application import handlers, releases
from services.uploads.application.policies import set_project_policy
from services.uploads.domain import errors
from services.uploads.tests.builders import sdist_bytes, wheel_bytes
from services.uploads.tests.conftest import ALICE
from services.uploads.tests.test_policy_handlers import ALICE_PRINCIPAL, Factors, login
from services.uploads.tests.test_upload import recorded, send

WHEEL = "demo-1.0-py3-none-any.whl"
WHEEL_BYTES = wheel_bytes()  # once: a zip holds its build time
LIST_REQUEST = uploads_pb2.ListStagesRequest(principal=ALICE_PRINCIPAL, project="demo")


@pytest.fixture
async def staged(deps, tokens):
    """Project demo, created by a staging-only token of alice's: its 1.0 wheel is staged."""
    tokens.uploaders["staging-token"] = replace(ALICE, token_id="t-staging", staging_only=True)
    answer = await send(deps, WHEEL_BYTES, token="staging-token")
    assert answer.outcome == "staged"
    return replace(deps, second_factors=Factors(**{ALICE.user_id: {"totp"}}))


def action(request_type, version="1.0", facts=None, **fields):
    return request_type(principal=ALICE_PRINCIPAL, project="demo", version=version,
                        login=facts or login("totp"), **fields)


async def test_a_staged_file_is_not_on_the_index_but_listed_for_maintainers(staged):
    project = await handlers.get_project(staged, "demo")
    assert list(project.files) == [] and list(project.versions) == []
    stages = await releases.list_stages(staged, LIST_REQUEST)
    (stage,) = stages.stages
    (staged_file,) = stage.files
    assert (stage.version, staged_file.filename, len(staged_file.blake2_256)) == ("1.0", WHEEL, 64)
    with pytest.raises(errors.FileNotFound):
        [chunk async for chunk in handlers.read_file(staged, staged_file.path)]
    request = uploads_pb2.ReadStagedFileRequest(principal=ALICE_PRINCIPAL, project="demo", filename=WHEEL)
    assert b"".join([chunk async for chunk in releases.read_staged_file(staged, request)]) == WHEEL_BYTES


async def test_strangers_see_no_stage(staged):
    bob = common_pb2.Principal(user_id="u-bob", username="bob")
    with pytest.raises(errors.NotACollaborator):
        await releases.list_stages(staged, uploads_pb2.ListStagesRequest(principal=bob, project="demo"))


async def test_publishing_puts_every_staged_file_on_the_index_at_once(staged, units):
    await send(staged, sdist_bytes(), filename="demo-1.0.tar.gz", token="staging-token")
    answer = await releases.publish_stage(staged, action(uploads_pb2.PublishStageRequest))
    assert (answer.outcome, sorted(answer.filenames)) == ("published", sorted(["demo-1.0.tar.gz", WHEEL]))
    project = await handlers.get_project(staged, "demo")
    assert sorted(f.filename for f in project.files) == sorted(["demo-1.0.tar.gz", WHEEL])
    assert list(project.versions) == ["1.0"]
    path = project.files[0].path
    assert b"".join([chunk async for chunk in handlers.read_file(staged, path)])
    assert [row.type for row in await recorded(units)][-1] == "ReleasePublished"


async def test_a_stale_login_cannot_publish(staged):
    with pytest.raises(errors.ReauthenticationRequired):
        await releases.publish_stage(staged, action(uploads_pb2.PublishStageRequest, facts=login("totp", 90)))


async def test_the_require_staged_releases_policy_stages_every_upload(staged, tokens):
    await releases.publish_stage(staged, action(uploads_pb2.PublishStageRequest))
    policy = uploads_pb2.SetProjectPolicyRequest(
        principal=ALICE_PRINCIPAL, project="demo", login=login("totp"),
        policies=[uploads_pb2.ProjectPolicy(name="require_staged_releases", enabled=True)])
    await set_project_policy(staged, policy)
    answer = await send(staged, wheel_bytes(version="2.0"), filename="demo-2.0-py3-none-any.whl", version="2.0")
    assert answer.outcome == "staged"
    assert list((await handlers.get_project(staged, "demo")).versions) == ["1.0"]


async def test_a_discarded_stage_keeps_its_filenames_used(staged):
    answer = await releases.discard_stage(staged, action(uploads_pb2.DiscardStageRequest))
    assert (answer.outcome, list(answer.filenames)) == ("discarded", [WHEEL])
    listed = await releases.list_stages(staged, LIST_REQUEST)
    assert list(listed.stages) == []
    with pytest.raises(errors.FileAlreadyExists):
        await send(staged, WHEEL_BYTES, token="staging-token")  # even byte-identical
    with pytest.raises(errors.StageNotFound):
        await releases.publish_stage(staged, action(uploads_pb2.PublishStageRequest))


async def test_yanking_marks_the_release_files_and_later_files(staged, tokens):
    await releases.publish_stage(staged, action(uploads_pb2.PublishStageRequest))
    answer = await releases.yank_release(staged, action(uploads_pb2.YankReleaseRequest, reason="broken"))
    assert answer.outcome == "yanked"
    await send(staged, sdist_bytes(), filename="demo-1.0.tar.gz")
    files = (await handlers.get_project(staged, "demo")).files
    assert {(f.filename, f.yanked, f.yanked_reason) for f in files} == {(WHEEL, True, "broken"),
                                                                        ("demo-1.0.tar.gz", True, "broken")}
    again = await releases.yank_release(staged, action(uploads_pb2.YankReleaseRequest, reason="broken"))
    assert again.outcome == "unchanged"
    await releases.unyank_release(staged, action(uploads_pb2.UnyankReleaseRequest))
    assert not any(f.yanked for f in (await handlers.get_project(staged, "demo")).files)


async def test_a_token_yanks_when_its_caveats_allow_it(staged, tokens):
    await releases.publish_stage(staged, action(uploads_pb2.PublishStageRequest))
    request = uploads_pb2.YankReleaseRequest(project="demo", version="1.0", token="good-token", reason="oops")
    assert (await releases.yank_release(staged, request)).outcome == "yanked"
    assert tokens.operations[-1].action == "yank" and tokens.operations[-1].project_id
    refused = uploads_pb2.YankReleaseRequest(project="demo", version="1.0", token="nonsense")
    with pytest.raises(errors.InvalidToken):
        await releases.unyank_release(staged, refused)


async def test_concurrent_uploads_of_one_filename_let_exactly_one_win_and_leave_no_file(deps, tmp_path):
    await send(deps, sdist_bytes(), filename="demo-1.0.tar.gz")
    first, second = wheel_bytes(extra=b"one"), wheel_bytes(extra=b"two")
    results = await asyncio.gather(send(deps, first), send(deps, second), return_exceptions=True)
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], errors.FileAlreadyExists)
    stored = [path for path in (tmp_path / "files").rglob("*.whl")]
    assert len(stored) == 1 and stored[0].read_bytes() in (first, second)
    assert list((tmp_path / "files" / ".incoming").iterdir()) == []
