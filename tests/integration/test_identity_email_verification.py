"""E-mail verification: until the mailed link is opened the account reaches only the
verification page (pages redirect there, the JSON API answers 403); the link works once;
resending is limited to 3 per hour (429 with Retry-After); users an operator created with
--verified are not concerned."""

from __future__ import annotations

import requests

from tests.integration.audit_helpers import history_with
from tests.integration.identity_helpers import verification_links

PASSWORD = "teal-compass-orchard-58"


def registered_and_logged_in(gatehouse, username: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    created = http.post(f"{gatehouse.url}/api/v1/users", timeout=30,
                        json={"username": username, "email": f"{username}@example.org", "password": PASSWORD})
    assert created.status_code == 201, created.text
    login = http.post(f"{gatehouse.url}/api/v1/session", json={"username": username, "password": PASSWORD}, timeout=30)
    assert login.status_code == 200, login.text
    return http, login.json()["csrf_token"]


def test_an_unverified_user_reaches_only_the_verification_page(gatehouse):
    http, csrf = registered_and_logged_in(gatehouse, "jude")
    refused = http.get(f"{gatehouse.url}/api/v1/tokens", timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "email_not_verified"
    assert "jude@example.org" in refused.json()["error"]["message"]
    created = http.post(f"{gatehouse.url}/api/v1/account/recovery-codes", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert created.status_code == 403 and created.json()["error"]["code"] == "email_not_verified"
    for page in ("/account/", "/account/two-factor", "/"):
        answer = http.get(f"{gatehouse.url}{page}", allow_redirects=False, timeout=10)
        assert (answer.status_code, answer.headers.get("Location")) == (303, "/account/verify-email"), page
    waiting = http.get(f"{gatehouse.url}/account/verify-email", timeout=10)
    assert waiting.status_code == 200 and "jude@example.org" in waiting.text
    assert http.get(f"{gatehouse.url}/api/v1/session", timeout=10).status_code == 200
    logged_out = http.delete(f"{gatehouse.url}/api/v1/session", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert logged_out.status_code == 200


def test_the_mailed_link_verifies_once_and_opens_the_account(gatehouse):
    http, _ = registered_and_logged_in(gatehouse, "kim")
    [link] = verification_links(gatehouse, "kim@example.org")
    opened = requests.get(f"{gatehouse.url}{link}", timeout=10)  # from another browser: no session needed
    assert opened.status_code == 200 and "is verified" in opened.text
    again = requests.get(f"{gatehouse.url}{link}", timeout=10)
    assert again.status_code == 400 and "already used or expired" in again.text
    forged = requests.get(f"{gatehouse.url}{link[:-3]}abc", timeout=10)
    assert forged.status_code == 400
    # Verified: the e-mail gate is gone; the index's 2FA requirement now applies instead.
    tokens = http.get(f"{gatehouse.url}/api/v1/tokens", timeout=10)
    assert tokens.json()["error"]["code"] == "two_factor_not_enabled"
    codes = http.post(f"{gatehouse.url}/api/v1/account/recovery-codes",
                      headers={"X-CSRF-Token": http.get(f"{gatehouse.url}/api/v1/session").json()["csrf_token"]})
    assert codes.status_code == 200, codes.text
    history_with(gatehouse, "kim", ("E-mail address kim@example.org verified",))


def test_resending_is_limited_to_three_an_hour(gatehouse):
    http, csrf = registered_and_logged_in(gatehouse, "lee")
    for _ in range(3):
        sent = http.post(f"{gatehouse.url}/api/v1/account/email/verification", headers={"X-CSRF-Token": csrf}, timeout=30)
        assert (sent.status_code, sent.json()) == (202, {"sent_to": "lee@example.org"})
    limited = http.post(f"{gatehouse.url}/api/v1/account/email/verification", headers={"X-CSRF-Token": csrf}, timeout=30)
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, "rate_limited")
    assert 3000 < int(limited.headers["Retry-After"]) <= 3600
    page = http.post(f"{gatehouse.url}/account/verify-email/resend", data={"csrf_token": csrf}, timeout=30)
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0 and "try again in" in page.text
    links = verification_links(gatehouse, "lee@example.org", count=4)  # the first and three resends
    assert len(set(links)) == 4
    assert requests.get(f"{gatehouse.url}{links[-1]}", timeout=10).status_code == 200


def test_users_an_operator_created_verified_are_not_gated(alice):
    tokens = alice.http.get(f"{alice.gatehouse.url}/api/v1/tokens", timeout=10)
    assert tokens.status_code == 200, tokens.text
