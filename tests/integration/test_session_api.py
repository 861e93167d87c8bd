"""The session endpoints of the JSON API, and the CSRF rule for cookie-bound state changes."""

from __future__ import annotations

import requests


def test_wrong_password_and_unknown_user_get_the_same_answer(gatehouse, alice):
    wrong = requests.post(f"{gatehouse.url}/api/v1/session", json={"username": "alice", "password": "not-her-password"})
    unknown = requests.post(f"{gatehouse.url}/api/v1/session", json={"username": "nobody-here", "password": "whatever-123"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_malformed_login_bodies_are_refused_clearly(gatehouse):
    answer = requests.post(f"{gatehouse.url}/api/v1/session", data=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "The request body is not valid JSON."
    missing = requests.post(f"{gatehouse.url}/api/v1/session", json={"username": "alice"})
    assert missing.status_code == 400 and "password" in missing.json()["error"]["message"]


def test_cookie_bound_state_change_from_another_site_is_refused(gatehouse, alice):
    foreign = alice.http.post(
        f"{gatehouse.url}/api/v1/tokens", json={"name": "csrf"}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    bare = alice.http.post(f"{gatehouse.url}/api/v1/tokens", json={"name": "csrf"})
    assert bare.status_code == 403
    same_site = alice.http.post(f"{gatehouse.url}/api/v1/tokens", json={"name": "csrf"}, headers={"Origin": gatehouse.url})
    assert same_site.status_code == 201


def test_logout_ends_the_session_server_side(gatehouse, alice):
    session = requests.Session()
    answer = session.post(f"{gatehouse.url}/api/v1/session", json={"username": "alice", "password": alice.password})
    csrf = answer.json()["csrf_token"]
    cookie = session.cookies.get("gatehouse_session")
    assert session.get(f"{gatehouse.url}/api/v1/session").status_code == 200
    assert session.delete(f"{gatehouse.url}/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    replay = requests.get(f"{gatehouse.url}/api/v1/session", cookies={"gatehouse_session": cookie})
    assert replay.status_code == 401


def test_another_users_log_is_not_readable(gatehouse, alice):
    bob = requests.Session()
    done = gatehouse.cli("admin", "create-user", "bob", "--email", "bob@example.org", "--verified", "--password-stdin",
                         stdin="bob-has-a-long-password\n")
    assert done.returncode == 0, done.stderr
    bob.post(f"{gatehouse.url}/api/v1/session", json={"username": "bob", "password": "bob-has-a-long-password"})
    answer = bob.get(f"{gatehouse.url}/api/v1/users/alice/events")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"]


def test_api_token_cannot_manage_tokens(gatehouse, alice):
    token = alice.create_token("no-management")["token"]
    answer = requests.post(f"{gatehouse.url}/api/v1/tokens", json={"name": "x"}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
