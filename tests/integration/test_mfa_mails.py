"""Mails about second factors, read from the embedded mail sink ($GATEHOUSE_DATA/mail/*.eml):
recovery codes generated and regenerated, a method added and removed, a recovery code used, a
suspected cloned key."""

from __future__ import annotations

from tests.integration.audit_helpers import wait_until
from tests.integration.mfa_helpers import add_key, enrol_with_oathtool, key_step, new_user, origin_of, password_step
from tests.integration.soft_authenticator import SoftAuthenticator
from tests.integration.test_alerts import mails_to, subjects

WANTED = {
    "Recovery codes generated", "Second factor added", "Security key may be cloned", "Second factor removed",
    "Recovery code used", "Recovery codes regenerated",
}


def test_second_factor_changes_are_mailed_to_the_owner(gatehouse):
    user = new_user(gatehouse, "mira")
    _, codes, _ = enrol_with_oathtool(user)
    key = SoftAuthenticator(origin_of(gatehouse))
    added, _ = add_key(user, key, "Travel key")
    assert added.status_code == 201, added.text

    password_step(user)
    assert key_step(user, key).status_code == 200
    password_step(user)
    assert key_step(user, key, sign_count=1).json()["error"]["code"] == "cloned_security_key"
    used = user.post("/api/v1/session/recovery-code", {"code": codes[0]})
    assert used.status_code == 200, used.text
    removed = user.http.delete(f"{gatehouse.url}/api/v1/account/webauthn/{added.json()['id']}",
                               headers={"X-CSRF-Token": user.csrf})
    assert removed.status_code == 200, removed.text
    assert user.post("/api/v1/account/recovery-codes", {}).status_code == 200

    wait_until(lambda: WANTED <= set(subjects(gatehouse, user.email)), timeout=30)
    texts = {str(mail["Subject"]): mail.get_content() for mail in mails_to(gatehouse, user.email)}
    assert "'Travel key'" in texts["Security key may be cloned"]
    assert "6 left" in texts["Recovery code used"]
    assert "webauthn Travel key" in texts["Second factor removed"]
    assert "8 recovery codes" in texts["Recovery codes generated"]
    assert subjects(gatehouse, user.email).count("Second factor added") == 2  # the app, then the key
