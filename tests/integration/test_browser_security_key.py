"""A security key in real Chromium (Debian's package, driven by Playwright) with a CDP virtual
authenticator: register a key on the 2FA page, sign in with it as a passkey, log in with password
and the key as second factor, remove the key."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.browser_walk import axe_source  # noqa: F401
from tests.integration.conftest import in_ci
from tests.integration.mfa_helpers import current_step, oath_code

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "kim-has-a-long-passphrase-9"


@pytest.fixture
def browser():
    if shutil.which(CHROMIUM) is None:
        if in_ci():
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


def with_virtual_authenticator(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})


def log_in(page, origin: str) -> None:
    page.goto(f"{origin}/account/login")
    page.fill("input[name=username]", "kim")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")


def set_up_codes_and_totp(page, origin: str) -> None:
    page.goto(f"{origin}/account/two-factor")
    page.click("button:has-text('Generate recovery codes')")
    first_code = page.inner_text("#recovery-codes li >> nth=0")
    page.fill("input[name=code]", first_code)
    page.click("button:has-text('Confirm recovery codes')")
    page.click("button:has-text('Set up an authenticator app')")
    assert page.locator("#totp-qr svg").count() == 1
    secret = page.inner_text("#totp-secret")
    page.fill("input[name=code]", oath_code(secret, current_step()))
    page.click("button:has-text('Add authenticator app')")
    assert "Authenticator app added" in page.content()


def accessible(page, axe_source: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    from tests.integration.browser_walk import accessibility_violations, readable

    violations = accessibility_violations(page, axe_source)
    assert not violations, f"{page.url}: accessibility violations:\n{readable(violations)}"


def test_register_a_key_use_it_as_passkey_and_second_factor_then_remove_it(gatehouse, browser, axe_source):
    done = gatehouse.cli("admin", "create-user", "kim", "--email", "kim@example.org", "--verified",
                         "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    origin = gatehouse.url.replace("127.0.0.1", "localhost")  # the RP id is GATEHOUSE_ORIGIN's host
    page = browser.new_page()
    with_virtual_authenticator(page)
    log_in(page, origin)
    set_up_codes_and_totp(page, origin)

    page.fill("#add-security-key input[name=label]", "Desk key")
    page.click("button:has-text('Add security key')")
    page.wait_for_selector("#security-keys >> text=Desk key", timeout=30_000)
    accessible(page, axe_source)

    page.click("button:has-text('Turn on passkey sign-in for Desk key')")
    assert "Passkey sign-in turned on." in page.content()
    accessible(page, axe_source)
    page.click("header button:has-text('Log out')")
    page.goto(f"{origin}/account/login")
    accessible(page, axe_source)
    page.click("#passkey-sign-in")
    page.wait_for_url(f"{origin}/account/", timeout=30_000)
    assert "Logged in as <strong>kim</strong>" in page.content()

    page.click("header button:has-text('Log out')")
    log_in(page, origin)
    page.wait_for_url(f"{origin}/account/two-factor/verify")
    accessible(page, axe_source)
    page.click("#use-security-key")
    page.wait_for_url(f"{origin}/account/", timeout=30_000)
    assert "Logged in as" in page.content()

    page.goto(f"{origin}/account/two-factor")
    page.click("button:has-text('Remove Desk key')")
    assert "Security key removed." in page.content()
    assert page.locator("#security-keys").count() == 0
    accessible(page, axe_source)
