"""A project and its collaborators in real Chromium: an Owner whose project was uploaded with
twine logs in on the pages (password, then authenticator app), reads the project page (releases,
files, hashes), invites a second user, who logs in, opens the link mailed to them and accepts;
both log out. Every page passes browser_walk.Walk's checks, axe-core's included.

Set-up a user does elsewhere is done with the flow helpers: accounts by the operator's CLI, TOTP
enrolment and the API token through the JSON API, the upload with `python -m build` and twine.
"""

from __future__ import annotations

import re

from tests.integration.audit_helpers import wait_until
from tests.integration.browser_walk import Walk, axe_source  # noqa: F401
from tests.integration.flow import Maintainer, build_project, twine_upload
from tests.integration.identity_helpers import mails_to
from tests.integration.test_browser_security_key import browser  # noqa: F401

PROJECT = "quill-kit"


def maintainer(gatehouse, name: str) -> Maintainer:
    """A user created by the operator, with an authenticator app enrolled through the API."""
    user = Maintainer(gatehouse, name, f"{name}@example.org", f"{name}-has-a-long-passphrase-9")
    user.create_with_cli()
    user.log_in()
    return user


def log_in(walk: Walk, user: Maintainer) -> None:
    """Password, then the authenticator app's code, on the pages."""
    walk.page.goto(f"{walk.origin}/")
    walk.log_in_with_password(user.username, user.password)
    walk.page.wait_for_url(f"{walk.origin}/account/two-factor/verify")
    walk.type_in("Code from your authenticator app", user.next_totp_code())
    walk.click("Verify")
    walk.page.wait_for_url(f"{walk.origin}/account/")


def invitation_link(gatehouse, user: Maintainer) -> str:
    subject = f"Invitation to project {PROJECT}"
    wait_until(lambda: mails_to(gatehouse, user.email, subject), timeout=30)
    found = re.search(r"https?://[^/\s]+(/invitations/[0-9a-f-]{36})", mails_to(gatehouse, user.email, subject)[0].get_content())
    assert found, "no invitation link in the mail"
    return found.group(1)


def shows_after_reloads(page, text: str, timeout: float = 30) -> None:
    """Reloads the page until `text` is in its main part."""
    wait_until(lambda: text in page.inner_text("main") or page.reload() and False, timeout=timeout)


def test_an_owner_invites_a_collaborator_who_accepts_from_the_mailed_link(gatehouse, browser, axe_source, tmp_path):
    owner, invitee = maintainer(gatehouse, "orla"), maintainer(gatehouse, "ivo")
    files = build_project(tmp_path, PROJECT, "1.0")
    uploaded = twine_upload(gatehouse, owner.create_token("release")["token"], files)
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    origin = gatehouse.url
    shots = tmp_path / "screenshots"
    shots.mkdir()
    walk = Walk(browser.new_page(), origin, shots, axe_source)
    page = walk.page

    # The owner finds the project among theirs and reads its files and hashes.
    log_in(walk, owner)
    walk.link("Your projects", within="header")
    walk.looks_right("your-projects", "Your projects", PROJECT, "Owner")
    walk.link(PROJECT)
    walk.looks_right("project", PROJECT, "1.0", "quill_kit-1.0-py3-none-any.whl", "quill_kit-1.0.tar.gz",
                     "SHA256", "BLAKE2b-256", "Collaborators", "orla (you)", "Invite a collaborator",
                     "Policies")

    # A username nobody has is refused next to the field; then the real invitation.
    walk.type_in("Username", "nobody-by-that-name")
    walk.click("Send invitation")
    walk.looks_right("invite-refused", PROJECT, refused=True)
    assert page.get_by_label("Username", exact=True).get_attribute("aria-invalid") == "true"
    walk.type_in("Username", "ivo")
    page.get_by_label("Role", exact=True).select_option("Maintainer")
    walk.click("Send invitation")
    walk.looks_right("invited", PROJECT, "Invitation sent.", "Pending invitations", "ivo")
    walk.link("Security history")
    shows_after_reloads(page, "invited as Maintainer by orla")  # the audit log is filled asynchronously
    walk.looks_right("project-history", f"Security history of {PROJECT}", "invited as Maintainer by orla")
    walk.link("Gatehouse", within="header")
    walk.looks_right("home", "Gatehouse")
    walk.log_out()

    # The invitee opens the mailed link, logged in as themselves, and accepts.
    link = invitation_link(gatehouse, invitee)
    page.goto(f"{origin}{link}")
    walk.looks_right("invitation-logged-out", "Invitation to collaborate", "Log in as the invited user")
    log_in(walk, invitee)
    page.goto(f"{origin}{link}")
    walk.looks_right("invitation", "Invitation to collaborate", "orla invited you to become a Maintainer", PROJECT)
    walk.click("Accept invitation")
    page.wait_for_url(re.compile(rf".*/projects/{PROJECT}/\?done=accepted"))
    walk.looks_right("accepted", PROJECT, "you are now a collaborator", "ivo (you)", "Maintainer", "Leave project")
    assert page.locator("main").get_by_role("button", name="Send invitation").count() == 0  # Owners only
    walk.link("Your projects", within="header")
    walk.looks_right("invitee-projects", "Your projects", PROJECT, "Maintainer")
    page.goto(f"{origin}/account/security-history")
    shows_after_reloads(page, "ivo added as Maintainer")
    walk.looks_right("invitee-history", "Security history", "ivo added as Maintainer")
    page.goto(f"{origin}{link}")  # the link was single use
    walk.looks_right("invitation-used", "Invitation to collaborate", refused=True)
    walk.log_out()
    page.goto(f"{origin}/projects/{PROJECT}/")  # a visitor sees releases and files, not collaborators
    walk.looks_right("project-visitor", PROJECT, "quill_kit-1.0.tar.gz", "SHA256")
    assert "Collaborators" not in page.inner_text("main")

    assert sorted(path.name for path in shots.iterdir()) == walk.shot_names()
    # Both logs hold the invitation and the new role; the owner was mailed about it.
    project_tags = {event["tag"] for event in owner.wait_for_events(
        "projects", PROJECT, {"project:role:invite", "project:role:added"}, timeout=30)}
    assert {"project:role:invite", "project:role:added"} <= project_tags
    invitee_tags = {e["tag"] for e in invitee.wait_for_events("users", "ivo", {"project:role:added"}, timeout=30)}
    assert {"project:role:invite", "project:role:added"} <= invitee_tags
    wait_until(lambda: mails_to(gatehouse, owner.email, f"New collaborator on project {PROJECT}"), timeout=30)


def test_the_accessibility_check_reports_a_serious_violation(browser, axe_source):
    """The check the walks rely on can fail: an unlabelled field and unreadable text are reported."""
    from tests.integration.browser_walk import accessibility_violations, readable

    page = browser.new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><input type="text">'
                     '<p style="color:#eee;background:#fff">faint</p></main></body></html>')
    violations = accessibility_violations(page, axe_source)
    assert {"label", "color-contrast"} <= {v["id"] for v in violations}, readable(violations)
    page.close()
