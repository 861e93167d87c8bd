"""The new-device check does not hold a login whose second step is a security key (it is
phishing-resistant, which is what the check stands in for)."""

from __future__ import annotations

from tests.integration.identity_helpers import mails_to
from tests.integration.mfa_helpers import add_key, key_step, origin_of
from tests.integration.new_device_helpers import SUBJECT, enrolled, on_new_device
from tests.integration.soft_authenticator import SoftAuthenticator


def test_a_security_key_login_from_a_new_ip_is_not_held(gatehouse):
    pia = enrolled(gatehouse, "pia")
    key = SoftAuthenticator(origin_of(gatehouse))
    added, _ = add_key(pia, key, "Desk key")
    assert added.status_code == 201, added.text
    phone = on_new_device(pia, "127.0.0.5")
    done = key_step(phone, key)
    assert done.status_code == 200, done.text
    assert phone.http.get(f"{gatehouse.url}/api/v1/session").json()["mfa_required"] is False
    assert phone.http.get(f"{gatehouse.url}/api/v1/tokens").status_code == 200
    assert mails_to(gatehouse, "pia@example.org", SUBJECT) == []
