"""Re-authentication ("sudo mode"): a session whose login is older than GATEHOUSE_REAUTH_MINUTES
(1 here) confirms its password to make sensitive changes again, through the JSON API or the
page (which goes back only to a path on this site); a wrong password is a failed login."""

from __future__ import annotations

import time

import pytest

from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import started_instance

PASSWORD = "cobalt-thistle-lagoon-37"


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    yield from started_instance(tmp_path_factory, nats, GATEHOUSE_REAUTH_MINUTES="1",
                                GATEHOUSE_LOGIN_FAILURES_PER_USER="3", GATEHOUSE_LOGIN_FAILURES_PER_IP="100")


@pytest.fixture(scope="module")
def stale(gatehouse) -> dict[str, Maintainer]:
    """Users logged in (and enrolled in TOTP) more than a minute ago."""
    users = {}
    for name in ("rita", "rob", "ray"):
        users[name] = Maintainer(gatehouse, name, f"{name}@example.org", PASSWORD)
        users[name].create_with_cli()
        users[name].log_in()
    time.sleep(62)
    return users


def test_the_json_api_names_the_endpoint_and_a_reauthentication_allows_the_change(stale):
    rita = stale["rita"]
    refused = rita.post("/api/v1/tokens", {"name": "ci"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "reauthentication_required")
    assert "POST /api/v1/session/reauthenticate" in refused.json()["error"]["message"]
    wrong = rita.post("/api/v1/session/reauthenticate", {"password": "not-the-password-9"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_password")
    done = rita.post("/api/v1/session/reauthenticate", {"password": PASSWORD})
    assert done.status_code == 200 and done.json()["reauthenticated"].endswith("Z")
    assert rita.post("/api/v1/tokens", {"name": "ci"}).status_code == 201
    events = rita.wait_for_events("users", "rita", {"account:session:reauthenticated"}, timeout=30)
    assert "account:session:reauthenticated" in {event["tag"] for event in events}


def test_pages_go_to_the_reauthentication_page_and_back_only_to_this_site(gatehouse, stale):
    rob = stale["rob"]
    form = rob.http.post(f"{gatehouse.url}/account/tokens", data={"csrf_token": rob.csrf, "name": "ci"},
                         headers={"Referer": f"{gatehouse.url}/account/"}, allow_redirects=False)
    assert (form.status_code, form.headers["Location"]) == (303, "/account/reauthenticate?next=/account/")
    page = rob.http.get(f"{gatehouse.url}/account/reauthenticate", params={"next": "/account/two-factor"})
    assert page.status_code == 200 and 'name="next" value="/account/two-factor"' in page.text
    assert '<label for="reauth-password">' in page.text
    wrong = rob.http.post(f"{gatehouse.url}/account/reauthenticate", allow_redirects=False,
                          data={"csrf_token": rob.csrf, "password": "nope-nope-nope", "next": "/account/"})
    assert wrong.status_code == 403 and "The password is incorrect." in wrong.text
    away = rob.http.post(f"{gatehouse.url}/account/reauthenticate", allow_redirects=False,
                         data={"csrf_token": rob.csrf, "password": PASSWORD, "next": "https://evil.example/"})
    assert (away.status_code, away.headers["Location"]) == (303, "/account/")
    back = rob.http.post(f"{gatehouse.url}/account/reauthenticate", allow_redirects=False,
                         data={"csrf_token": rob.csrf, "password": PASSWORD, "next": "/account/two-factor"})
    assert (back.status_code, back.headers["Location"]) == (303, "/account/two-factor")
    created = rob.post("/api/v1/tokens", {"name": "ci"})
    assert created.status_code == 201, created.text


def test_wrong_passwords_count_toward_the_login_limit(gatehouse, stale):
    ray = stale["ray"]
    for _ in range(3):  # GATEHOUSE_LOGIN_FAILURES_PER_USER=3 here
        assert ray.post("/api/v1/session/reauthenticate", {"password": "not-the-password-9"}).status_code == 403
    limited = ray.post("/api/v1/session/reauthenticate", {"password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    login = ray.http.post(f"{gatehouse.url}/api/v1/session", json={"username": "ray", "password": PASSWORD})
    assert login.status_code == 429
