"""The new-device check: a login with password and TOTP (or a recovery code) from an IP the
account never completed a login from is held until the mailed link is opened from that IP;
the same link opened from another IP does not release it."""

from __future__ import annotations

from tests.integration.identity_helpers import mails_to
from tests.integration.mfa_helpers import wait_for_types
from tests.integration.new_device_helpers import SUBJECT, confirmation_links, enrolled, on_new_device, open_from


def test_a_held_login_is_released_only_by_the_link_opened_from_its_ip(gatehouse):
    nora = enrolled(gatehouse, "nora")
    assert mails_to(gatehouse, "nora@example.org", SUBJECT) == []  # 127.0.0.1 registered... and logged in
    laptop = on_new_device(nora, "127.0.0.2")
    held = laptop.post("/api/v1/session/totp", {"code": laptop.next_totp_code()})
    assert held.status_code == 202, held.text
    assert held.json()["new_device_confirmation_required"] is True and held.json()["mfa_required"] is True
    assert "Check your e-mail" in held.json()["message"]
    refused = laptop.http.get(f"{gatehouse.url}/api/v1/tokens")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "new_device_confirmation_required"

    [link] = confirmation_links(gatehouse, "nora@example.org")
    assert "127.0.0.2" in mails_to(gatehouse, "nora@example.org", SUBJECT)[0].get_content()
    elsewhere = open_from(gatehouse, link, "127.0.0.3")
    assert elsewhere.status_code == 403 and "same IP address" in elsewhere.text
    assert laptop.http.get(f"{gatehouse.url}/api/v1/session").json()["new_device_confirmation_required"] is True

    released = open_from(gatehouse, link, "127.0.0.2")
    assert released.status_code == 200 and "Login confirmed" in released.text
    session = laptop.http.get(f"{gatehouse.url}/api/v1/session").json()
    assert (session["mfa_required"], session["new_device_confirmation_required"]) == (False, False)
    assert laptop.http.get(f"{gatehouse.url}/api/v1/tokens").status_code == 200
    assert open_from(gatehouse, link, "127.0.0.2").status_code == 400  # single use
    events = wait_for_types(gatehouse, "nora", {"NewDeviceLoginHeld", "NewDeviceLoginConfirmed"})
    held_event = next(e for e in events if e["type"] == "NewDeviceLoginHeld")
    assert (held_event["tag"], held_event["actor"]["ip_address"]) == ("account:login:new_device", "127.0.0.2")


def test_a_recovery_code_login_is_held_and_the_web_page_says_to_check_the_mail(gatehouse):
    omar = enrolled(gatehouse, "omar")
    tablet = on_new_device(omar, "127.0.0.4")
    page = tablet.http.get(f"{gatehouse.url}/account/two-factor/verify")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    submitted = tablet.http.post(
        f"{gatehouse.url}/account/two-factor/verify",
        data={"csrf_token": csrf, "method": "recovery_code", "code": omar.recovery_codes[0]},
    )
    assert submitted.status_code == 200 and "Check your e-mail" in submitted.text
    assert tablet.http.get(f"{gatehouse.url}/account/", allow_redirects=False).status_code == 303
    resent = tablet.http.post(f"{gatehouse.url}/account/two-factor/verify/resend", data={"csrf_token": csrf})
    assert resent.status_code == 429 and int(resent.headers["Retry-After"]) > 0  # within a minute of the mail

    [link] = confirmation_links(gatehouse, "omar@example.org")
    assert tablet.http.get(f"{gatehouse.url}{link}").status_code == 200
    account = tablet.http.get(f"{gatehouse.url}/account/")
    assert account.status_code == 200 and account.url.endswith("/account/")
