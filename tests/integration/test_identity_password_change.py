"""Password change: the current password is required, the new one follows the registration
rules, every other session ends, and the owner is mailed."""

from __future__ import annotations

from tests.integration.audit_helpers import history_with, wait_until
from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import mails_to

OLD = "mossy-granite-kettle-23"
NEW = "amber-falcon-meadow-64"


def test_changing_the_password_ends_other_sessions_and_mails_the_owner(gatehouse):
    mia = Maintainer(gatehouse, "mia", "mia@example.org", OLD)
    mia.create_with_cli()
    mia.log_in()
    laptop = Maintainer(gatehouse, "mia", "mia@example.org", OLD)
    laptop.totp_secret, laptop.last_totp_step = mia.totp_secret, mia.last_totp_step
    laptop.log_in()
    mia.last_totp_step = laptop.last_totp_step

    wrong = mia.post("/api/v1/account/password", {"current_password": "not-my-password-1", "new_password": NEW})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "wrong_password")
    weak = mia.post("/api/v1/account/password", {"current_password": OLD, "new_password": "mia12345"})
    assert (weak.status_code, weak.json()["error"]["code"]) == (400, "unacceptable_password")
    changed = mia.post("/api/v1/account/password", {"current_password": OLD, "new_password": NEW})
    assert (changed.status_code, changed.json()) == (200, {"changed": True, "sessions_ended": 1})

    assert mia.http.get(f"{gatehouse.url}/api/v1/session").status_code == 200  # this session stays
    assert laptop.http.get(f"{gatehouse.url}/api/v1/session").status_code == 401  # the other one ended
    old_login = laptop.http.post(f"{gatehouse.url}/api/v1/session", json={"username": "mia", "password": OLD})
    assert old_login.status_code == 401
    mia.password = NEW
    mia.log_in()
    wait_until(lambda: mails_to(gatehouse, "mia@example.org", "Password changed"), timeout=30)
    assert "other sessions were ended" in mails_to(gatehouse, "mia@example.org", "Password changed")[0].get_content()
    history_with(gatehouse, "mia", ("Password changed; 1 other sessions ended",))


def test_the_account_page_form_shows_the_error_by_its_field(gatehouse):
    nora = Maintainer(gatehouse, "nora", "nora@example.org", OLD)
    nora.create_with_cli()
    nora.log_in()
    page = nora.http.get(f"{gatehouse.url}/account/")
    assert '<label for="current_password">' in page.text and '<label for="new_password">' in page.text
    wrong = nora.http.post(f"{gatehouse.url}/account/password",
                           data={"csrf_token": nora.csrf, "current_password": "nope-nope-nope", "new_password": NEW})
    assert wrong.status_code == 400 and 'id="current_password-error"' in wrong.text
    assert "The current password is incorrect." in wrong.text
    done = nora.http.post(f"{gatehouse.url}/account/password",
                          data={"csrf_token": nora.csrf, "current_password": OLD, "new_password": NEW})
    assert done.status_code == 200 and "Your password was changed" in done.text
