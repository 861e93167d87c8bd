"""Collaborators through the JSON API, with real processes: an Owner invites (the invitee is
mailed), the invitee declines or accepts, an Owner revokes, changes and removes roles; the last
Owner stays; a Maintainer may leave but not manage; owners are mailed about every change, and
the events land in the project's and the user's security logs."""

from __future__ import annotations

import pytest

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer, build_project, twine_upload
from tests.integration.identity_helpers import mails_to

PROJECT = "collab-demo"


def member(gatehouse, name: str) -> Maintainer:
    user = Maintainer(gatehouse, name, f"{name}@example.org", f"{name}-has-a-long-passphrase-9")
    user.create_with_cli()
    user.log_in()
    return user


@pytest.fixture(scope="module")
def people(gatehouse, tmp_path_factory):
    """Owner tess (who uploaded the project) and two other users, all logged in."""
    tess, uma, vic = member(gatehouse, "tess"), member(gatehouse, "uma"), member(gatehouse, "vic")
    files = build_project(tmp_path_factory.mktemp("build"), PROJECT, "1.0")
    done = twine_upload(gatehouse, tess.create_token("wide")["token"], files[:1])
    assert done.returncode == 0, done.stdout + done.stderr
    return tess, uma, vic


def call(user: Maintainer, method: str, path: str, body: dict | None = None):
    return user.http.request(method, f"{user.gatehouse.url}{path}", json=body, headers={"X-CSRF-Token": user.csrf})


def invite(owner: Maintainer, username: str, role: str = "Maintainer") -> dict:
    answer = call(owner, "POST", f"/api/v1/projects/{PROJECT}/invitations", {"username": username, "role": role})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_an_invitation_is_mailed_listed_and_accepted_once(people):
    tess, uma, _ = people
    sent = invite(tess, "uma")
    assert (sent["username"], sent["role"], sent["status"], sent["invited_by"]) == ("uma", "Maintainer", "pending", "tess")
    assert call(tess, "POST", f"/api/v1/projects/{PROJECT}/invitations",
                {"username": "uma", "role": "Maintainer"}).status_code == 409
    mail = wait_until(lambda: mails_to(tess.gatehouse, uma.email, f"Invitation to project {PROJECT}"), timeout=30)
    assert f"/invitations/{sent['id']}" in mail[0].get_content()
    assert [i["id"] for i in call(uma, "GET", "/api/v1/invitations").json()["invitations"]] == [sent["id"]]
    assert call(tess, "POST", f"/api/v1/invitations/{sent['id']}/accept").status_code == 404  # not tess's
    accepted = call(uma, "POST", f"/api/v1/invitations/{sent['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    assert call(uma, "POST", f"/api/v1/invitations/{sent['id']}/accept").status_code == 404
    roles = call(uma, "GET", f"/api/v1/projects/{PROJECT}/roles").json()
    assert roles["collaborators"] == [{"username": "tess", "role": "Owner"}, {"username": "uma", "role": "Maintainer"}]
    assert call(uma, "GET", "/api/v1/projects").json()["projects"] == [{"project": PROJECT, "role": "Maintainer"}]
    wait_until(lambda: mails_to(tess.gatehouse, tess.email, f"New collaborator on project {PROJECT}"), timeout=30)
    logged = uma.wait_for_events("users", "uma", {"project:role:invite", "project:role:added"}, timeout=30)
    assert {"project:role:invite", "project:role:added"} <= {event["tag"] for event in logged}


def test_declined_and_revoked_invitations(people):
    tess, _, vic = people
    first = invite(tess, "vic")
    assert call(vic, "POST", f"/api/v1/invitations/{first['id']}/decline").json()["status"] == "declined"
    second = invite(tess, "vic", "Owner")
    assert call(vic, "POST", f"/api/v1/projects/{PROJECT}/invitations",
                {"username": "vic", "role": "Owner"}).status_code == 403  # not an Owner
    revoked = call(tess, "DELETE", f"/api/v1/projects/{PROJECT}/invitations/{second['id']}")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked", revoked.text
    assert call(vic, "POST", f"/api/v1/invitations/{second['id']}/accept").status_code == 404
    tags = {e["tag"] for e in tess.wait_for_events(
        "projects", PROJECT, {"project:role:decline_invite", "project:role:revoke_invite"}, timeout=30)}
    assert {"project:role:decline_invite", "project:role:revoke_invite"} <= tags


def test_roles_change_the_last_owner_stays_and_a_maintainer_leaves(people):
    tess, uma, _ = people  # uma is a Maintainer since the first test
    refused = call(uma, "PUT", f"/api/v1/projects/{PROJECT}/roles/tess", {"role": "Maintainer"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_an_owner"
    last = call(tess, "DELETE", f"/api/v1/projects/{PROJECT}/roles/tess")
    assert last.status_code == 400 and last.json()["error"]["code"] == "last_owner", last.text
    assert call(tess, "PUT", f"/api/v1/projects/{PROJECT}/roles/tess", {"role": "Maintainer"}).status_code == 400
    promoted = call(tess, "PUT", f"/api/v1/projects/{PROJECT}/roles/uma", {"role": "Owner"})
    assert promoted.json() == {"project": PROJECT, "username": "uma", "role": "Owner"}, promoted.text
    wait_until(lambda: mails_to(tess.gatehouse, uma.email, f"Role changed on project {PROJECT}"), timeout=30)
    assert call(uma, "PUT", f"/api/v1/projects/{PROJECT}/roles/tess", {"role": "Maintainer"}).status_code == 200
    left = call(tess, "DELETE", f"/api/v1/projects/{PROJECT}/roles/tess")  # tess, now a Maintainer, leaves
    assert left.status_code == 200, left.text
    assert call(uma, "GET", f"/api/v1/projects/{PROJECT}/roles").json()["collaborators"] == [
        {"username": "uma", "role": "Owner"}]
    wait_until(lambda: mails_to(tess.gatehouse, uma.email, f"Collaborator removed from project {PROJECT}"), timeout=30)
    tags = {e["tag"] for e in uma.wait_for_events("projects", PROJECT, {"project:role:changed", "project:role:removed"},
                                                   timeout=30)}
    assert {"project:role:changed", "project:role:removed"} <= tags
    assert call(tess, "GET", f"/api/v1/projects/{PROJECT}/roles").status_code == 403  # no longer a collaborator


def form(user: Maintainer, path: str, **fields):
    """A page form as the browser posts it (CSRF token in a hidden field); redirects not followed."""
    return user.http.post(f"{user.gatehouse.url}{path}", data={"csrf_token": user.csrf, **fields},
                          allow_redirects=False)


def test_the_page_forms_invite_change_refuse_and_leave(people):
    _, uma, vic = people  # uma is the only Owner since the previous test
    assert form(uma, f"/projects/{PROJECT}/invitations", username="vic", role="Maintainer").status_code == 303
    pending = call(vic, "GET", "/api/v1/invitations").json()["invitations"]
    assert form(vic, f"/invitations/{pending[0]['id']}/accept").headers["Location"] == f"/projects/{PROJECT}/?done=accepted"
    assert form(uma, f"/projects/{PROJECT}/roles/vic", role="Owner").status_code == 303
    assert call(vic, "GET", f"/api/v1/projects/{PROJECT}/roles").json()["role"] == "Owner"
    assert form(vic, f"/projects/{PROJECT}/roles/vic", role="Maintainer").status_code == 303
    refused = form(uma, f"/projects/{PROJECT}/roles/uma/remove")
    assert refused.status_code == 400 and 'class="field-error" role="alert">Project' in refused.text
    assert "needs at least one Owner" in refused.text
    left = form(vic, f"/projects/{PROJECT}/roles/vic/remove", leaving="1")
    assert left.headers["Location"] == "/projects/?done=left"
    assert call(vic, "GET", "/api/v1/projects").json()["projects"] == []
