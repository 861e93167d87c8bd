"""Caveats the uploads service enforces, through twine: a newer-only token uploads a whole new
release (wheel, then sdist) but nothing older; creating a project by upload needs the
create-project action, which tokens without an actions caveat have (as on PyPI)."""

from __future__ import annotations

from tests.integration.flow import build_project, twine_upload


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


def test_a_newer_only_token_uploads_the_wheel_and_sdist_of_a_new_release(alice, tmp_path):
    first = build_project(tmp_path, "climbing", "1.0")
    assert twine_upload(alice.gatehouse, alice.create_token("climbing")["token"], first).returncode == 0
    newer = alice.create_token("climbing-newer", projects=["climbing"], newer_only=True)["token"]

    second = build_project(tmp_path, "climbing", "2.0")
    assert [path.suffix for path in second] == [".whl", ".gz"]  # twine sends the wheel first
    done = twine_upload(alice.gatehouse, newer, second)
    assert done.returncode == 0, _said(done)

    older = build_project(tmp_path, "climbing", "1.5")
    refused = twine_upload(alice.gatehouse, newer, older)
    assert refused.returncode != 0
    assert ("This token may only upload versions newer than the latest release of 'climbing' (2.0); "
            "'1.5' is not.") in _said(refused)
    # Another newer-only token cannot add files to the release the first one created.
    other = alice.create_token("climbing-other", projects=["climbing"], newer_only=True)["token"]
    late = build_project(tmp_path, "climbing", "2.0", marker="late")
    assert "'2.0' is not." in _said(twine_upload(alice.gatehouse, other, late))


def test_a_token_without_an_actions_caveat_may_create_a_project_by_uploading(alice, tmp_path):
    token = alice.create_token("default-actions")
    assert set(token["caveats"]["actions"]) == {"upload", "create-project", "yank"}
    done = twine_upload(alice.gatehouse, token["token"], build_project(tmp_path, "brand-new", "1.0"))
    assert done.returncode == 0, _said(done)


def test_an_upload_only_token_cannot_create_a_project_but_uploads_to_existing_ones(alice, tmp_path):
    upload_only = alice.create_token("upload-only", actions=["upload"])["token"]
    refused = twine_upload(alice.gatehouse, upload_only, build_project(tmp_path, "never-made", "1.0"))
    assert refused.returncode != 0
    assert (f"403 Forbidden from {alice.gatehouse.url}/legacy/ "
            "Invalid API Token: the token does not allow the action 'create-project'.") in _said(refused)

    files = build_project(tmp_path, "made-before", "1.0")
    assert twine_upload(alice.gatehouse, alice.create_token("creator")["token"], files[:1]).returncode == 0
    done = twine_upload(alice.gatehouse, upload_only, files[1:])
    assert done.returncode == 0, _said(done)
