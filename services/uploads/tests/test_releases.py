"""Staged releases and yanking, decided by the domain: given events, when a command, then events
(or a refusal)."""

import pytest

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain.content import Digests
from services.uploads.domain.errors import (
    InvalidYankReason, NotACollaborator, ProjectRequiresPhishingResistantFactor, ReauthenticationRequired,
    ReleaseNotFound, SecondFactorRequired, StageNotFound, VersionNotNewer,
)
from services.uploads.domain.model import AddFile, Uploader, authorize, fold, goes_to_stage, upload_events
from services.uploads.domain.policies import Manager
from services.uploads.domain.releases import (
    ReleaseCommand, decide_discard, decide_publish, decide_unyank, decide_yank,
)

NOW = 10_000 * 60_000_000
WINDOW = 30 * 60_000_000
ALICE = Uploader("u-alice", "alice", "t-1")
CREATED = events.ProjectCreated(project_id="p1", name="Demo", normalized_name="demo", created_by_user_id="u-alice")
OWNER_ALICE = events.RoleAdded(project_id="p1", project_name="Demo", user_id="u-alice", username="alice", role="Owner")
MAINTAINER_BOB = events.RoleAdded(project_id="p1", project_name="Demo", user_id="u-bob", username="bob",
                                  role="Maintainer")
RELEASE_1 = events.ReleaseCreated(project_id="p1", project_name="Demo", version="1.0")
STAGED_2 = events.ReleaseStaged(project_id="p1", project_name="Demo", version="2.0", created_by_token_id="t-1")
FILE_2 = events.FileStaged(project_id="p1", project_name="Demo", version="2.0", filename="demo-2.0.tar.gz")
WHEEL_2 = events.FileStaged(project_id="p1", project_name="Demo", version="2.0", filename="demo-2.0-py3-none-any.whl")
REQUIRE_STAGING = events.ProjectPolicyChanged(project_id="p1", policy="require_staged_releases", enabled=True)
HISTORY = [CREATED, OWNER_ALICE, MAINTAINER_BOB, RELEASE_1, STAGED_2, FILE_2, WHEEL_2]


def manager(user_id="u-bob", username="bob", login_method="totp", logged_in_at_us=NOW - 60_000_000):
    return Manager(user_id, username, frozenset({"totp"}), login_method, logged_in_at_us)


def command(version="2.0", who=None, reason="") -> ReleaseCommand:
    return ReleaseCommand(version, manager() if who is None else who, NOW, WINDOW, reason)


def add_file(version: str) -> AddFile:
    return AddFile(project_id="p1", name="Demo", version=version, filename=f"demo-{version}.tar.gz",
                   packagetype="sdist", python_version="source", size=3, digests=Digests("m" * 32, "s" * 64, "b" * 64),
                   requires_python="", summary="", path="x", metadata_sha256="")


def test_the_policy_or_a_staging_only_token_sends_an_upload_to_a_stage():
    assert not goes_to_stage(fold(HISTORY), ALICE)
    assert goes_to_stage(fold([*HISTORY, REQUIRE_STAGING]), ALICE)
    assert goes_to_stage(None, Uploader("u-alice", "alice", staging_only=True))


def test_a_staged_upload_opens_a_stage_once_and_stages_each_file():
    first = upload_events(fold([CREATED, OWNER_ALICE]), add_file("3.0"), ALICE, staged=True)
    assert [type(event).__name__ for event in first] == ["ReleaseStaged", "FileStaged"]
    second = upload_events(fold(HISTORY), add_file("2.0"), ALICE, staged=True)
    assert [type(event).__name__ for event in second] == ["FileStaged"]


def test_the_fold_keeps_stages_apart_from_releases():
    state = fold(HISTORY)
    assert state.releases == {"1": "1.0"}
    assert state.stages["2"].filenames == ("demo-2.0.tar.gz", "demo-2.0-py3-none-any.whl")


def test_publishing_releases_the_whole_stage_at_once():
    (published,) = decide_publish(fold(HISTORY), command())
    assert list(published.filenames) == ["demo-2.0.tar.gz", "demo-2.0-py3-none-any.whl"]
    assert published.release_created and published.version == "2.0"
    after = fold([*HISTORY, published])
    assert after.releases["2"] == "2.0" and "2" not in after.stages


def test_a_stage_joining_an_existing_release_keeps_its_spelling():
    staged = events.ReleaseStaged(project_id="p1", version="1.0.0")
    (published,) = decide_publish(fold([*HISTORY, staged]), command("1.0.0"))
    assert (published.version, published.release_created) == ("1.0", False)


def test_publishing_needs_a_person_with_a_second_factor():
    with pytest.raises(SecondFactorRequired, match="not an API token"):
        decide_publish(fold(HISTORY), ReleaseCommand("2.0", None, NOW, WINDOW))
    with pytest.raises(SecondFactorRequired):
        decide_publish(fold(HISTORY), command(who=manager(login_method="")))


def test_publishing_needs_a_fresh_login():
    stale = manager(logged_in_at_us=NOW - WINDOW - 1)
    with pytest.raises(ReauthenticationRequired, match="within the last 30 minutes"):
        decide_publish(fold(HISTORY), command(who=stale))


def test_only_collaborators_publish_or_discard():
    mallory = manager("u-mallory", "mallory")
    with pytest.raises(NotACollaborator, match="user 'mallory' is neither"):
        decide_publish(fold(HISTORY), command(who=mallory))
    with pytest.raises(NotACollaborator):
        decide_discard(fold(HISTORY), command(who=mallory))


def test_the_project_policies_apply_to_the_publisher():
    strict = events.ProjectPolicyChanged(project_id="p1", policy="require_phishing_resistant_2fa", enabled=True)
    with pytest.raises(ProjectRequiresPhishingResistantFactor):
        decide_publish(fold([*HISTORY, strict]), command())
    decide_publish(fold([*HISTORY, strict]), command(who=manager(login_method="webauthn")))


def test_nothing_staged_is_not_found():
    with pytest.raises(StageNotFound, match="Nothing is staged for version '3.0'"):
        decide_publish(fold(HISTORY), command("3.0"))


def test_discarding_forgets_the_stage():
    (discarded,) = decide_discard(fold(HISTORY), command())
    assert list(discarded.filenames) == ["demo-2.0.tar.gz", "demo-2.0-py3-none-any.whl"]
    assert fold([*HISTORY, discarded]).stages == {}


def test_a_newer_only_token_may_add_to_the_stage_it_opened():
    newer = Uploader("u-alice", "alice", "t-1", newer_only=True)
    authorize(fold(HISTORY), "Demo", newer, "2.0")
    with pytest.raises(VersionNotNewer):
        authorize(fold([*HISTORY, events.ReleaseCreated(version="2.0")]), "Demo",
                  Uploader("u-alice", "alice", "t-9", newer_only=True), "2.0")


def test_yanking_and_unyanking_a_release():
    (yanked,) = decide_yank(fold(HISTORY), command("1.0", reason=" broken wheel "))
    assert (yanked.version, yanked.reason) == ("1.0", "broken wheel")
    state = fold([*HISTORY, yanked])
    assert state.yanked == {"1": "broken wheel"}
    assert decide_yank(state, command("1.0.0", reason="broken wheel")) == []
    (unyanked,) = decide_unyank(state, command("1.0"))
    assert fold([*HISTORY, yanked, unyanked]).yanked == {}
    assert decide_unyank(fold(HISTORY), command("1.0")) == []


def test_a_token_yanks_for_its_owner_without_a_login():
    (yanked,) = decide_yank(fold(HISTORY), ReleaseCommand("1.0", None, NOW, WINDOW), "u-bob", "bob")
    assert yanked.version == "1.0"
    with pytest.raises(NotACollaborator):
        decide_yank(fold(HISTORY), ReleaseCommand("1.0", None, NOW, WINDOW), "u-mallory", "mallory")


def test_only_published_releases_are_yanked():
    with pytest.raises(ReleaseNotFound):
        decide_yank(fold(HISTORY), command("2.0"))


def test_a_yank_reason_is_one_short_line():
    with pytest.raises(InvalidYankReason):
        decide_yank(fold(HISTORY), command("1.0", reason="a\nb"))
    with pytest.raises(InvalidYankReason):
        decide_yank(fold(HISTORY), command("1.0", reason="x" * 501))
