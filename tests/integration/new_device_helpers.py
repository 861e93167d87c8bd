"""Shared by the new-device check's integration tests: a maintainer logging in from another
loopback address (a "new device") and the confirmation link mailed to them."""

from __future__ import annotations

import re

import requests

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import mails_to
from tests.integration.mfa_helpers import from_address

SUBJECT = "Confirm a login from a new device"


def enrolled(gatehouse, name: str) -> Maintainer:
    """A verified user whose first login (from 127.0.0.1) enrolled recovery codes and TOTP."""
    user = Maintainer(gatehouse, name, f"{name}@example.org", f"{name}-has-a-long-passphrase-7")
    user.create_with_cli()
    user.log_in()
    return user


def on_new_device(user: Maintainer, address: str) -> Maintainer:
    """The same account in a fresh browser connecting from `address`, after the password step."""
    device = Maintainer(user.gatehouse, user.username, user.email, user.password)
    device.totp_secret, device.last_totp_step = user.totp_secret, user.last_totp_step
    device.recovery_codes = user.recovery_codes
    from_address(device.http, address)
    answer = device.http.post(
        f"{user.gatehouse.url}/api/v1/session", json={"username": user.username, "password": user.password}
    )
    assert answer.status_code == 200 and answer.json()["mfa_required"], answer.text
    device.csrf = answer.json()["csrf_token"]
    return device


def confirmation_links(gatehouse, address: str, count: int = 1) -> list[str]:
    """The paths (with token) of the confirmation links mailed to `address`, once `count` arrived."""
    wait_until(lambda: len(mails_to(gatehouse, address, SUBJECT)) >= count, timeout=30)
    return [re.search(r"https?://[^/\s]+(/account/confirm-login\?token=\S+)", m.get_content()).group(1)
            for m in mails_to(gatehouse, address, SUBJECT)]


def open_from(gatehouse, path: str, address: str) -> requests.Response:
    """Opens a link in a browser without cookies connecting from `address`."""
    with requests.Session() as browser:
        from_address(browser, address)
        return browser.get(f"{gatehouse.url}{path}", timeout=30)
