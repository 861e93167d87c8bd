"""Security keys over the JSON API with a software authenticator: labels, single-use challenges,
keys that belong to someone else, and a signature counter that goes backwards."""

from __future__ import annotations

from tests.integration.mfa_helpers import (
    add_key,
    enrol_with_oathtool,
    key_step,
    new_user,
    origin_of,
    password_step,
    wait_for_types,
)
from tests.integration.soft_authenticator import SoftAuthenticator


def test_keys_have_unique_labels_of_1_to_64_characters(gatehouse):
    user = new_user(gatehouse, "lena")
    enrol_with_oathtool(user)
    for label, status in (("", 400), ("x" * 65, 400)):
        assert user.post("/api/v1/account/webauthn/options", {"label": label}).status_code == status
    added, _ = add_key(user, SoftAuthenticator(origin_of(gatehouse)), "Blue key")
    assert added.status_code == 201, added.text
    again = user.post("/api/v1/account/webauthn/options", {"label": "Blue key"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "label_taken"
    second, _ = add_key(user, SoftAuthenticator(origin_of(gatehouse)), "Red key")
    assert second.status_code == 201
    keys = user.http.get(f"{gatehouse.url}/api/v1/account/webauthn").json()["keys"]
    assert [key["label"] for key in keys] == ["Blue key", "Red key"]
    wait_for_types(gatehouse, "lena", {"SecondFactorAdded"})


def test_a_registration_challenge_works_once(gatehouse):
    user = new_user(gatehouse, "mona")
    enrol_with_oathtool(user)
    authenticator = SoftAuthenticator(origin_of(gatehouse))
    added, options = add_key(user, authenticator, "Key")
    assert added.status_code == 201
    replay = user.post("/api/v1/account/webauthn", {"label": "Key", "credential": authenticator.create(options)})
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "invalid_webauthn"


def test_log_in_with_a_key_but_not_with_someone_elses_nor_a_cloned_one(gatehouse):
    ruth, sam = new_user(gatehouse, "ruth"), new_user(gatehouse, "sam")
    enrol_with_oathtool(ruth)
    enrol_with_oathtool(sam)
    ruths_key, sams_key = SoftAuthenticator(origin_of(gatehouse)), SoftAuthenticator(origin_of(gatehouse))
    assert add_key(ruth, ruths_key, "Ruth's key")[0].status_code == 201
    assert add_key(sam, sams_key, "Sam's key")[0].status_code == 201

    assert password_step(ruth)["methods"] == ["totp", "webauthn", "recovery_code"]
    ok = key_step(ruth, ruths_key)
    assert ok.status_code == 200, ok.text
    assert ok.json()["method"] == "webauthn"

    password_step(ruth)
    foreign = key_step(ruth, sams_key)  # a valid signature, but by Sam's key
    assert foreign.status_code == 401 and foreign.json()["error"]["code"] == "invalid_webauthn"
    cloned = key_step(ruth, ruths_key, sign_count=1)  # the counter was already 1
    assert cloned.status_code == 401 and cloned.json()["error"]["code"] == "cloned_security_key"
    events = wait_for_types(gatehouse, "ruth", {"SecurityKeyCloneSuspected", "SecondFactorAccepted"})
    assert any(e["type"] == "SecurityKeyCloneSuspected" and e["additional"]["label"] == "Ruth's key" for e in events)
    reasons = {e["additional"].get("reason") for e in events if e["type"] == "SecondFactorRejected"}
    assert {"invalid_webauthn", "cloned_security_key"} <= reasons
    accepted = [e["additional"] for e in events if e["type"] == "SecondFactorAccepted"]
    assert {"method": "webauthn", "label": "Ruth's key"}.items() <= accepted[-1].items()


def test_passkey_sign_in_only_for_keys_the_user_enabled(gatehouse):
    user = new_user(gatehouse, "tara")
    enrol_with_oathtool(user)
    authenticator = SoftAuthenticator(origin_of(gatehouse))
    added, _ = add_key(user, authenticator, "Passkey")
    key_id = added.json()["id"]
    stranger = SoftAuthenticator(origin_of(gatehouse))
    stranger.credential_id = authenticator.credential_id  # right id, wrong private key

    def passkey_sign_in(with_authenticator):
        user.http.cookies.clear()
        options = user.http.post(f"{gatehouse.url}/api/v1/session/webauthn/options", json={}).json()
        assert options["userVerification"] == "required" and not options.get("allowCredentials")
        credential = with_authenticator.get(options, "localhost")
        return user.http.post(f"{gatehouse.url}/api/v1/session/webauthn", json={"credential": credential})

    assert passkey_sign_in(authenticator).status_code == 401  # not enabled yet
    user.log_in()
    enabled = user.post(f"/api/v1/account/webauthn/{key_id}/passkey", {"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["passkey"] is True
    assert passkey_sign_in(stranger).status_code == 401  # recorded in tara's log, not silently dropped
    signed_in = passkey_sign_in(authenticator)
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["method"] == "passkey"
    assert user.http.get(f"{gatehouse.url}/api/v1/tokens").status_code == 200
    events = wait_for_types(gatehouse, "tara", {"PasskeySignInChanged", "SecondFactorRejected"})
    failed = [e["additional"] for e in events if e["type"] == "SecondFactorRejected"]
    assert {"method": "passkey", "reason": "invalid_webauthn"}.items() <= failed[0].items()
