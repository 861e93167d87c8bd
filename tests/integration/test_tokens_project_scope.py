"""A token scoped to one project uploads there and nowhere else; a user-wide token of someone
without a role on a project cannot upload to it."""

from __future__ import annotations

import pytest

from tests.integration.flow import Maintainer, build_project, twine_upload


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    where = tmp_path_factory.mktemp("build")
    return {name: build_project(where, name, "1.0") for name in ("scope-a", "scope-b")}


@pytest.fixture(scope="module")
def bob(gatehouse) -> Maintainer:
    maintainer = Maintainer(gatehouse, "bob", "bob@example.org", "another-horse-battery-staple-7")
    maintainer.create_with_cli()
    maintainer.log_in()
    return maintainer


def test_a_token_scoped_to_a_uploads_to_a(alice, projects):
    token = alice.create_token("only-a", projects=["Scope_A"])["token"]
    done = twine_upload(alice.gatehouse, token, projects["scope-a"])
    assert done.returncode == 0, _said(done)


def test_a_token_scoped_to_a_cannot_upload_to_b(alice, projects):
    token = alice.create_token("only-a-again", projects=["scope-a"])["token"]
    done = twine_upload(alice.gatehouse, token, projects["scope-b"])
    assert done.returncode != 0
    expected = (f"403 Forbidden from {alice.gatehouse.url}/legacy/ "
                "Invalid API Token: the token is not valid for project 'scope-b'.")
    assert expected in _said(done)


def test_a_user_wide_token_without_a_role_on_the_project_is_refused(alice, bob, projects):
    owned = alice.create_token("alice-wide")["token"]
    assert twine_upload(alice.gatehouse, owned, projects["scope-b"][:1]).returncode == 0
    token = bob.create_token("bob-wide")["token"]
    done = twine_upload(bob.gatehouse, token, projects["scope-b"][1:])
    assert done.returncode != 0
    assert f"403 Forbidden from {bob.gatehouse.url}/legacy/" in _said(done), _said(done)
    assert "scope-b" in _said(done)


def test_the_projects_log_shows_scoped_tokens_added_and_removed(alice, projects):
    token = alice.create_token("scoped-then-revoked", projects=["scope-a"])
    answer = alice.http.delete(f"{alice.gatehouse.url}/api/v1/tokens/{token['id']}",
                               headers={"X-CSRF-Token": alice.csrf})
    assert answer.status_code == 200, answer.text
    wanted = {"project:api_token:added", "project:api_token:removed"}
    events = alice.wait_for_events("projects", "scope-a", wanted, timeout=10)
    mine = [event for event in events if event["additional"].get("token_id") == token["id"]]
    assert {event["tag"] for event in mine} == wanted
    assert all(event["additional"]["project_id"] for event in mine)  # the project existed: id bound
