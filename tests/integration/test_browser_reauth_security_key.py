"""Re-authentication with a security key in real Chromium (CDP virtual authenticator): a login
older than GATEHOUSE_REAUTH_MINUTES (1 here) is sent to the re-authentication page, whose "Use
your security key" button confirms the user and goes back to the page that asked."""

from __future__ import annotations

import re
import time

import pytest

from tests.integration.browser_walk import axe_source  # noqa: F401
from tests.integration.identity_helpers import started_instance
from tests.integration.test_browser_security_key import accessible, browser, with_virtual_authenticator  # noqa: F401

PASSWORD = "zoe-has-a-long-passphrase-4"


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    yield from started_instance(tmp_path_factory, nats, GATEHOUSE_REAUTH_MINUTES="1")


def log_in_and_add_a_key(page, origin: str) -> None:
    page.goto(f"{origin}/account/login")
    page.fill("input[name=username]", "zoe")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.goto(f"{origin}/account/two-factor")
    page.click("button:has-text('Generate recovery codes')")
    page.fill("input[name=code]", page.inner_text("#recovery-codes li >> nth=0"))
    page.click("button:has-text('Confirm recovery codes')")
    page.fill("#add-security-key input[name=label]", "Desk key")
    page.click("button:has-text('Add security key')")
    page.wait_for_selector("#security-keys >> text=Desk key", timeout=30_000)


def test_an_old_login_confirms_itself_with_the_key_and_goes_back(gatehouse, browser, axe_source):  # noqa: F811
    done = gatehouse.cli("admin", "create-user", "zoe", "--email", "zoe@example.org", "--verified",
                         "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    origin = gatehouse.url.replace("127.0.0.1", "localhost")  # the RP id is GATEHOUSE_ORIGIN's host
    page = browser.new_page()
    with_virtual_authenticator(page)
    log_in_and_add_a_key(page, origin)
    time.sleep(62)

    page.click("button:has-text('Generate recovery codes')")
    page.wait_for_url(re.compile(r".*/account/reauthenticate\?next=.*"), timeout=30_000)
    assert page.url.startswith(f"{origin}/account/reauthenticate?next=/account/two-factor"), page.url
    assert page.locator("#reauth-password").count() == 1
    accessible(page, axe_source)
    page.click("#reauthenticate-with-key")
    page.wait_for_url(re.compile(r".*/account/two-factor(\?.*)?$"), timeout=30_000)
    page.click("button:has-text('Generate recovery codes')")
    assert page.locator("#recovery-codes li").count() > 1
