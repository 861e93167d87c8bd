"""The project aggregate: given events, when an upload is decided, then events or a refusal."""

import pytest

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain.content import Digests
from services.uploads.domain.errors import (
    InvalidProjectName, NotACollaborator, ProhibitedProjectName, VersionNotNewer,
)
from services.uploads.domain.model import AddFile, Uploader, authorize, fold, upload_events

ALICE = Uploader("u-alice", "alice", "t-1")
BOB = Uploader("u-bob", "bob", "t-2")
CREATED = events.ProjectCreated(project_id="p1", name="Demo", normalized_name="demo", created_by_user_id="u-alice")
OWNER_ALICE = events.RoleAdded(project_id="p1", project_name="Demo", user_id="u-alice", username="alice", role="Owner")
RELEASE_1 = events.ReleaseCreated(project_id="p1", project_name="Demo", version="1.0")


def command(version="1.0", project_id="p1", name="Demo") -> AddFile:
    return AddFile(project_id=project_id, name=name, version=version, filename=f"demo-{version}.tar.gz",
                   packagetype="sdist", python_version="source", size=3,
                   digests=Digests("m" * 32, "s" * 64, "b" * 64), requires_python=">=3.8",
                   summary="A demo", path="ss/ss/x/demo.tar.gz", metadata_sha256="")


def test_fold_of_nothing_is_no_project():
    assert fold([]) is None


def test_fold_tracks_roles_releases_and_version():
    state = fold([CREATED, OWNER_ALICE, RELEASE_1])
    assert state.name == "Demo" and state.roles == {"u-alice": "Owner"}
    assert state.releases == {"1": "1.0"} and state.version == 3


def test_a_new_project_records_creation_owner_release_and_file():
    new = upload_events(None, command(project_id="p9"), ALICE)
    assert [type(event).__name__ for event in new] == ["ProjectCreated", "RoleAdded", "ReleaseCreated", "FileAdded"]
    assert new[1].role == "Owner" and new[1].user_id == "u-alice"
    assert new[0].normalized_name == "demo" and new[3].sha256 == "s" * 64


def test_an_existing_release_only_gets_the_file_and_keeps_its_version_spelling():
    new = upload_events(fold([CREATED, OWNER_ALICE, RELEASE_1]), command(version="1.0.0"), ALICE)
    assert [type(event).__name__ for event in new] == ["FileAdded"]
    assert new[0].version == "1.0"


def test_a_new_version_creates_a_release():
    new = upload_events(fold([CREATED, OWNER_ALICE, RELEASE_1]), command(version="1.1"), ALICE)
    assert [type(event).__name__ for event in new] == ["ReleaseCreated", "FileAdded"]


def test_an_owner_or_maintainer_may_upload():
    maintainer = events.RoleAdded(project_id="p1", user_id="u-bob", username="bob", role="Maintainer")
    authorize(fold([CREATED, OWNER_ALICE, maintainer]), "Demo", BOB, "1.1")


def test_a_non_collaborator_is_refused():
    with pytest.raises(NotACollaborator, match="The user 'bob' isn't allowed to upload to project 'Demo'."):
        authorize(fold([CREATED, OWNER_ALICE]), "demo", BOB, "1.1")


def test_a_new_project_needs_a_valid_allowed_name():
    authorize(None, "Demo", ALICE, "1.0")
    with pytest.raises(ProhibitedProjectName):
        authorize(None, "os", ALICE, "1.0")
    with pytest.raises(InvalidProjectName):
        authorize(None, "-x", ALICE, "1.0")


def test_a_staging_only_token_may_upload_to_a_stage():
    authorize(None, "Demo", Uploader("u-alice", "alice", staging_only=True), "1.0")


def test_a_newer_only_token_needs_a_version_above_every_release():
    state = fold([CREATED, OWNER_ALICE, RELEASE_1])
    newer_only = Uploader("u-alice", "alice", newer_only=True)
    authorize(state, "Demo", newer_only, "1.0.1")
    authorize(None, "Demo", newer_only, "0.1")
    with pytest.raises(VersionNotNewer):
        authorize(state, "Demo", newer_only, "1.0")
    with pytest.raises(VersionNotNewer):
        authorize(state, "Demo", newer_only, "0.9")


def test_a_newer_only_token_may_add_files_to_the_latest_release_it_created():
    created_by_it = events.ReleaseCreated(project_id="p1", project_name="Demo", version="2.0",
                                          created_by_token_id="t-newer")
    state = fold([CREATED, OWNER_ALICE, RELEASE_1, created_by_it])
    with pytest.raises(VersionNotNewer):  # an older release, whoever created it
        authorize(state, "Demo", Uploader("u-alice", "alice", token_id="t-newer", newer_only=True), "1.0")
    authorize(state, "Demo", Uploader("u-alice", "alice", token_id="t-newer", newer_only=True), "2.0")
    authorize(state, "Demo", Uploader("u-alice", "alice", token_id="t-newer", newer_only=True), "2.0.0")
    with pytest.raises(VersionNotNewer):  # another newer-only token
        authorize(state, "Demo", Uploader("u-alice", "alice", token_id="t-other", newer_only=True), "2.0")
    with pytest.raises(VersionNotNewer):  # no token id never matches a release without one
        authorize(state, "Demo", Uploader("u-alice", "alice", token_id="", newer_only=True), "2.0")


def test_a_new_release_records_the_token_that_created_it():
    new = upload_events(fold([CREATED, OWNER_ALICE]), command(version="2.0"), ALICE)
    assert new[0].created_by_token_id == ALICE.token_id
