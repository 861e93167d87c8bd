"""GATEHOUSE_REQUIRE_2FA (on by default): without a second factor only the account and 2FA
pages answer; no tokens can be created until an authenticator app is added."""

from __future__ import annotations

from tests.integration.flow import Maintainer
from tests.integration.mfa_helpers import add_key, enrol_with_oathtool, new_user, origin_of
from tests.integration.soft_authenticator import SoftAuthenticator


def test_without_a_second_factor_only_account_and_2fa_pages_answer(gatehouse):
    user = new_user(gatehouse, "nadia")
    refused = user.post("/api/v1/tokens", {"name": "ci"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "two_factor_not_enabled"
    assert "/account/two-factor" in refused.json()["error"]["message"]
    assert user.http.get(f"{gatehouse.url}/api/v1/users/nadia/events").status_code == 403
    history = user.http.get(f"{gatehouse.url}/account/security-history")
    assert history.status_code == 403 and "Two-factor authentication is required" in history.text

    assert user.http.get(f"{gatehouse.url}/account/").status_code == 200
    assert user.http.get(f"{gatehouse.url}/account/two-factor").status_code == 200
    assert user.http.get(f"{gatehouse.url}/api/v1/session").status_code == 200


def test_recovery_codes_alone_are_not_enough_but_totp_is(gatehouse):
    user = new_user(gatehouse, "olga")
    codes = user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]})
    assert user.post("/api/v1/tokens", {"name": "ci"}).status_code == 403

    enrol_with_oathtool(user)
    assert user.post("/api/v1/tokens", {"name": "ci"}).status_code == 201


def test_the_last_method_cannot_be_removed_while_2fa_is_required(gatehouse):
    user = new_user(gatehouse, "petra")
    enrol_with_oathtool(user)
    refused = user.http.delete(f"{gatehouse.url}/api/v1/account/totp", headers={"X-CSRF-Token": user.csrf})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "last_second_factor"


def test_an_unverified_address_cannot_set_up_2fa(gatehouse):
    done = gatehouse.cli("admin", "create-user", "quinn", "--email", "quinn@example.org", "--password-stdin",
                         stdin="quinn-has-a-long-passphrase\n")
    assert done.returncode == 0, done.stderr
    quinn = Maintainer(gatehouse, "quinn", "quinn@example.org", "quinn-has-a-long-passphrase")
    quinn.auto_totp = False
    quinn.log_in()
    refused = quinn.post("/api/v1/account/recovery-codes", {})
    # The gateway's e-mail gate (identity's answer) refuses first, with 403; mfa's own check stays.
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "email_not_verified"


def test_the_last_security_key_cannot_be_removed_while_2fa_is_required(gatehouse):
    user = new_user(gatehouse, "rhea")
    codes = user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    assert user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]}).status_code == 200
    added, _ = add_key(user, SoftAuthenticator(origin_of(gatehouse)), "Only key")
    assert added.status_code == 201, added.text
    refused = user.http.delete(f"{gatehouse.url}/api/v1/account/webauthn/{added.json()['id']}",
                               headers={"X-CSRF-Token": user.csrf})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "last_second_factor"
    assert [key["label"] for key in user.http.get(f"{gatehouse.url}/api/v1/account/webauthn").json()["keys"]] == [
        "Only key"]


def test_a_key_cannot_be_added_before_recovery_codes_are_confirmed(gatehouse):
    user = new_user(gatehouse, "sara")
    assert user.post("/api/v1/account/recovery-codes", {}).status_code == 200
    refused = user.post("/api/v1/account/webauthn/options", {"label": "Early key"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "recovery_codes_not_confirmed"
    assert "recovery code" in refused.json()["error"]["message"].lower()
