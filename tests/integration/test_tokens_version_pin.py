"""A token pinned to version 1.0 uploads 1.0 and cannot upload 1.1."""

from __future__ import annotations

from tests.integration.flow import build_project, twine_upload


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


def test_a_token_pinned_to_one_version_uploads_only_that_version(alice, tmp_path):
    token = alice.create_token("pinned", projects=["pinned"], version="1.0")["token"]
    done = twine_upload(alice.gatehouse, token, build_project(tmp_path, "pinned", "1.0"))
    assert done.returncode == 0, _said(done)
    done = twine_upload(alice.gatehouse, token, build_project(tmp_path, "pinned", "1.1"))
    assert done.returncode != 0
    expected = (f"403 Forbidden from {alice.gatehouse.url}/legacy/ "
                "Invalid API Token: the token is only valid for uploading version 1.0.")
    assert expected in _said(done)
