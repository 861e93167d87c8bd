"""Issue 3's acceptance walkthrough, as a new user would do it in real Chromium, only by clicking
and typing on the pages: register, verify the e-mail from the mail sink, add recovery codes, an
authenticator app and a security key, then log out and back in with each of them; then add a
second e-mail address (verified from its mailed link) and change the password, and log in with
the new one. Every page also passes axe-core's accessibility rules (browser_walk.Walk).

The only things not done through the pages are what a user does elsewhere: reading the mail (the
sink's .eml file) and computing TOTP codes (Debian's oathtool, as an authenticator app would)."""

from __future__ import annotations

from tests.integration.browser_walk import Walk, axe_source  # noqa: F401
from tests.integration.identity_helpers import verification_links
from tests.integration.mfa_helpers import current_step, oath_code
from tests.integration.test_browser_security_key import browser, with_virtual_authenticator  # noqa: F401

USERNAME = "nova"
EMAIL = "nova@example.org"
PASSWORD = "saffron-kettle-meadow-73"
NEW_PASSWORD = "quartz-lantern-orchard-58"
SECOND_EMAIL = "nova@work.example"
CONFIRM_LABEL = "To prove you saved them, enter one of the codes (it will be used up)"


def test_a_new_user_registers_verifies_adds_every_factor_and_logs_in_with_each(gatehouse, browser, axe_source, tmp_path):
    origin = gatehouse.url.replace("127.0.0.1", "localhost")  # the RP id is GATEHOUSE_ORIGIN's host
    page = browser.new_page()
    with_virtual_authenticator(page)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    walk = Walk(page, origin, shots, axe_source)

    # The home page leads to registration.
    page.goto(f"{origin}/")
    walk.link("Create an account", within="header")
    walk.looks_right("register", "Create an account", "Username", "E-mail address", "Password")
    walk.type_in("Username", USERNAME)
    walk.type_in("E-mail address", EMAIL)
    walk.type_in("Password", "short")
    walk.click("Create account")
    walk.looks_right("register-refused", "Create an account", "at least 8", refused=True)
    assert page.get_by_label("Username", exact=True).input_value() == USERNAME  # kept after a refusal
    walk.type_in("Password", PASSWORD)
    walk.click("Create account")
    walk.looks_right("registered", "Verify your e-mail address", EMAIL)

    # The mail's link verifies the address.
    link = verification_links(gatehouse, EMAIL)[0]
    page.goto(f"{origin}{link}")
    walk.looks_right("verified", "Verify your e-mail address", f"Your e-mail address {EMAIL} is verified.")
    walk.link("Log in")
    walk.looks_right("login", "Log in")
    walk.type_in("Username", USERNAME)
    walk.type_in("Password", "not-the-password-at-all")
    walk.click("Log in")
    walk.looks_right("login-refused", "Log in", refused=True)
    walk.type_in("Password", PASSWORD)
    walk.click("Log in")
    page.wait_for_url(f"{origin}/account/")
    walk.looks_right("account", "Your account", f"Logged in as {USERNAME}",
                     "Two-factor authentication is required on this index")

    # Recovery codes first, one of them burned to prove they were saved.
    walk.link("set it up")
    walk.looks_right("two-factor", "Two-factor authentication", "You have no second factor yet")
    walk.click("Generate recovery codes")
    walk.looks_right("recovery-codes", "Two-factor authentication", "Save these codes somewhere safe")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 8
    walk.type_in(CONFIRM_LABEL, "not-a-code")
    walk.click("Confirm recovery codes")
    walk.looks_right("recovery-codes-refused", "Two-factor authentication", "Did not save them?", refused=True)
    walk.click("Generate recovery codes")  # as if this user had not saved them: a new set
    codes = page.locator("#recovery-codes li").all_inner_texts()
    walk.type_in(CONFIRM_LABEL, codes[0])
    walk.click("Confirm recovery codes")
    walk.looks_right("recovery-codes-confirmed", "Two-factor authentication", "Recovery codes confirmed")

    # An authenticator app, from the secret shown as text.
    walk.click("Set up an authenticator app")
    walk.looks_right("totp-enrolment", "Two-factor authentication", "Scan this QR code")
    assert page.locator("#totp-qr svg").count() == 1
    secret = page.inner_text("#totp-secret").strip()
    walk.type_in("The 6-digit code your app shows", oath_code(secret, current_step() - 40))  # a stale code
    walk.click("Add authenticator app")
    walk.looks_right("totp-refused", "Two-factor authentication", "Start again with a new secret", refused=True)
    step = current_step()
    walk.type_in("The 6-digit code your app shows", oath_code(secret, step))  # the same secret still works
    walk.click("Add authenticator app")
    walk.looks_right("totp-added", "Two-factor authentication", "Authenticator app added")

    # A security key, through the virtual authenticator.
    walk.type_in("Name for the new key (1-64 characters)", "Blue key")
    walk.click("Add security key")
    page.wait_for_selector("#security-keys >> text=Blue key", timeout=30_000)
    walk.looks_right("key-added", "Two-factor authentication", "Security key added.", "Blue key",
                     "An authenticator app is set up.")
    page.reload()  # reloading the page sends no form again
    walk.looks_right("key-added-reloaded", "Two-factor authentication", "Blue key")
    walk.link("Back to your account")
    walk.looks_right("account-with-2fa", "Your account", "Create token")
    assert "Two-factor authentication is required" not in page.inner_text("main")
    walk.log_out()

    # Back in with password and authenticator app (a later step: the enrolment's code is spent).
    walk.log_in_with_password(USERNAME, PASSWORD)
    page.wait_for_url(f"{origin}/account/two-factor/verify")
    walk.looks_right("second-step", "Confirm it is you", "Code from your authenticator app", "Use security key",
                     "A recovery code")
    walk.link(USERNAME, within="header")  # the account link waits for the second step
    page.wait_for_url(f"{origin}/account/two-factor/verify")
    walk.type_in("Code from your authenticator app", oath_code(secret, max(step + 1, current_step())))
    walk.click("Verify")
    page.wait_for_url(f"{origin}/account/")
    walk.looks_right("account-after-totp", "Your account", f"Logged in as {USERNAME}")
    walk.log_out()

    # Back in with password and security key.
    walk.log_in_with_password(USERNAME, PASSWORD)
    page.wait_for_url(f"{origin}/account/two-factor/verify")
    walk.click("Use security key")
    page.wait_for_url(f"{origin}/account/", timeout=30_000)
    walk.looks_right("account-after-key", "Your account", f"Logged in as {USERNAME}")
    walk.log_out()

    # Back in with password and a recovery code (not the burned one).
    walk.log_in_with_password(USERNAME, PASSWORD)
    page.wait_for_url(f"{origin}/account/two-factor/verify")
    walk.type_in("A recovery code", codes[0])
    walk.click("Use recovery code")
    walk.looks_right("burned-code-refused", "Confirm it is you", "already used", refused=True)
    walk.type_in("A recovery code", codes[1])
    walk.click("Use recovery code")
    page.wait_for_url(f"{origin}/account/")
    walk.looks_right("account-after-recovery-code", "Your account", f"Logged in as {USERNAME}")

    # A second e-mail address, verified from the link mailed to it.
    walk.type_in("Add an e-mail address", SECOND_EMAIL)
    walk.click("Add address")
    walk.looks_right("email-added", "Your account", SECOND_EMAIL, "not verified")
    page.goto(f"{origin}{verification_links(gatehouse, SECOND_EMAIL)[0]}")
    walk.looks_right("second-email-verified", "Verify your e-mail address", f"Your e-mail address {SECOND_EMAIL} is verified.")
    page.goto(f"{origin}/account/")

    # A new password: the wrong current one is refused next to its field, then the change.
    walk.type_in("Current password", "not-the-password-at-all")
    walk.type_in("New password", NEW_PASSWORD)
    walk.click("Change password")
    walk.looks_right("password-refused", "Your account", refused=True)
    walk.type_in("Current password", PASSWORD)
    walk.type_in("New password", NEW_PASSWORD)
    walk.click("Change password")
    walk.looks_right("password-changed", "Your account", "Your password was changed")
    walk.log_out()

    # The old password no longer works; the new one (and a recovery code) does.
    walk.log_in_with_password(USERNAME, PASSWORD)
    walk.looks_right("old-password-refused", "Log in", refused=True)
    walk.type_in("Password", NEW_PASSWORD)
    walk.click("Log in")
    page.wait_for_url(f"{origin}/account/two-factor/verify")
    walk.type_in("A recovery code", codes[2])
    walk.click("Use recovery code")
    page.wait_for_url(f"{origin}/account/")
    walk.looks_right("account-after-new-password", "Your account", SECOND_EMAIL)
    walk.log_out()

    assert sorted(path.name for path in shots.iterdir()) == walk.shot_names()
