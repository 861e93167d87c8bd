"""Shared by the account recovery integration tests: links out of the mails recovery sends."""

from __future__ import annotations

import re

from tests.integration.audit_helpers import wait_until
from tests.integration.identity_helpers import mails_to

STARTED = "Account recovery started"
CONFIRM = "Confirm your account recovery"
WAITING = "Account recovery: second factors will be removed"


def link_in(gatehouse, address: str, subject: str, path: str) -> str:
    """The path (with token) of the `path` link in the newest mail `subject` to `address`."""
    wait_until(lambda: mails_to(gatehouse, address, subject), timeout=30)
    text = mails_to(gatehouse, address, subject)[-1].get_content()
    return re.search(rf"https?://[^/\s]+({re.escape(path)}\?token=\S+)", text).group(1)


def recover(gatehouse, username: str) -> str:
    """Runs `gatehouse admin recover USERNAME`; answers its output."""
    done = gatehouse.cli("admin", "recover", username)
    assert done.returncode == 0, done.stderr
    return done.stdout
