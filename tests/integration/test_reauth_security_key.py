"""Re-authentication ("sudo mode") with a security key instead of the password: a session whose
login is older than GATEHOUSE_REAUTH_MINUTES (1 here) answers a fresh re-authentication
challenge with the user's own key, and the sensitive change goes through; another user's key, a
replayed answer or a login-step challenge is refused. The page offers the key only to users
who have one."""

from __future__ import annotations

import time

import pytest

from tests.integration.identity_helpers import started_instance
from tests.integration.mfa_helpers import add_key, new_user, origin_of, wait_for_types
from tests.integration.soft_authenticator import SoftAuthenticator

OPTIONS = "/api/v1/session/reauthenticate/webauthn/options"
REAUTH = "/api/v1/session/reauthenticate/webauthn"


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    yield from started_instance(tmp_path_factory, nats, GATEHOUSE_REAUTH_MINUTES="1")


def with_key(gatehouse, name: str):
    """A user with confirmed recovery codes and a security key, and that key."""
    user = new_user(gatehouse, name)
    codes = user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    assert user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]}).status_code == 200
    key = SoftAuthenticator(origin_of(gatehouse))
    added, _ = add_key(user, key, f"{name}'s key")
    assert added.status_code == 201, added.text
    return user, key


@pytest.fixture(scope="module")
def stale(gatehouse):
    """kira and noah with a key each, and lola without, all logged in more than a minute ago."""
    users = {name: with_key(gatehouse, name) for name in ("kira", "noah")}
    users["lola"] = (new_user(gatehouse, "lola"), None)
    time.sleep(62)
    return users


def answer(user, key, options_path: str = OPTIONS) -> dict:
    options = user.post(options_path, {})
    assert options.status_code == 200, options.text
    return key.get(options.json(), "localhost")


def test_a_fresh_answer_from_the_users_own_key_allows_the_sensitive_change_once(gatehouse, stale):
    (kira, kiras_key), (_, noahs_key) = stale["kira"], stale["noah"]
    refused = kira.post("/api/v1/tokens", {"name": "ci"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "reauthentication_required")
    assert REAUTH in refused.json()["error"]["message"]

    foreign = kira.post(REAUTH, {"credential": answer(kira, noahs_key)})  # Noah's key, Kira's challenge
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "security_key_rejected")
    login_step = kira.post(REAUTH, {"credential": answer(kira, kiras_key, "/api/v1/session/webauthn/options")})
    assert (login_step.status_code, login_step.json()["error"]["code"]) == (403, "security_key_rejected")
    assert kira.post("/api/v1/tokens", {"name": "ci"}).status_code == 403

    credential = answer(kira, kiras_key)
    done = kira.post(REAUTH, {"credential": credential})
    assert done.status_code == 200 and done.json()["reauthenticated"].endswith("Z"), done.text
    assert kira.post("/api/v1/tokens", {"name": "ci"}).status_code == 201
    replayed = kira.post(REAUTH, {"credential": credential})
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (403, "security_key_rejected")

    events = wait_for_types(gatehouse, "kira", {"SessionReauthenticated"})
    [reauthenticated] = [e["additional"] for e in events if e["type"] == "SessionReauthenticated"]
    assert {"method": "webauthn", "label": "kira's key"}.items() <= reauthenticated.items()
    rejected = [e["additional"] for e in events if e["type"] == "SecondFactorRejected"]
    assert len(rejected) == 3 and all(r.get("purpose") == "reauthenticate" for r in rejected)


def test_the_page_offers_the_key_only_to_users_with_one(gatehouse, stale):
    (noah, _), (lola, _) = stale["noah"], stale["lola"]
    page = noah.http.get(f"{gatehouse.url}/account/reauthenticate", params={"next": "/account/two-factor"})
    assert page.status_code == 200 and 'id="reauthenticate-with-key"' in page.text
    assert 'data-next="/account/two-factor"' in page.text and "/static/webauthn.js" in page.text
    plain = lola.http.get(f"{gatehouse.url}/account/reauthenticate")
    assert plain.status_code == 200 and 'id="reauthenticate-with-key"' not in plain.text
    assert '<label for="reauth-password">' in plain.text
    no_key = lola.post(OPTIONS, {})
    assert (no_key.status_code, no_key.json()["error"]["code"]) == (401, "method_not_enrolled")
