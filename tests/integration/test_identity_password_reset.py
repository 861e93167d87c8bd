"""Password reset by a mailed link: the same 202 whether or not the account exists, a link that
works once, for 6 hours, and not after a password change; every session ends; 5 links a day per
user (then silence) and 20 requests an hour per client address (then 429)."""

from __future__ import annotations

import re
import time

import requests

from tests.integration.audit_helpers import history_with, wait_until
from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import mails_to

OLD = "mossy-granite-kettle-23"
NEW = "amber-falcon-meadow-64"
SUBJECT = "Reset your Gatehouse password"


def reset_links(gatehouse, address: str, count: int = 1) -> list[str]:
    """The paths (with token) of the reset links mailed to `address`, once `count` arrived."""
    wait_until(lambda: len(mails_to(gatehouse, address, SUBJECT)) >= count, timeout=30)
    return [re.search(r"https?://[^/\s]+(/account/reset-password\?token=\S+)", m.get_content()).group(1)
            for m in mails_to(gatehouse, address, SUBJECT)]


def ask(gatehouse, **names) -> requests.Response:
    return requests.post(f"{gatehouse.url}/api/v1/account/password-reset", json=names, timeout=30)


def test_a_mailed_link_resets_the_password_once_and_ends_every_session(gatehouse):
    mia = Maintainer(gatehouse, "mia", "mia@example.org", OLD)
    mia.create_with_cli()
    mia.log_in()
    laptop = Maintainer(gatehouse, "mia", "mia@example.org", OLD)
    laptop.totp_secret, laptop.last_totp_step = mia.totp_secret, mia.last_totp_step
    laptop.log_in()
    mia.last_totp_step = laptop.last_totp_step

    known, unknown = ask(gatehouse, username="mia"), ask(gatehouse, username="nobody-here")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202
    [link] = reset_links(gatehouse, "mia@example.org")
    form = requests.get(f"{gatehouse.url}{link}", timeout=10)
    assert form.status_code == 200 and '<label for="new_password">' in form.text
    token = link.split("token=", 1)[1]
    weak = requests.post(f"{gatehouse.url}/account/reset-password", data={"token": token, "new_password": "mia12345"})
    assert weak.status_code == 400 and 'id="new_password-error"' in weak.text
    done = requests.post(f"{gatehouse.url}/account/reset-password", data={"token": token, "new_password": NEW})
    assert done.status_code == 200 and "Your password was reset" in done.text

    for browser in (mia, laptop):
        assert browser.http.get(f"{gatehouse.url}/api/v1/session").status_code == 401
    again = requests.post(f"{gatehouse.url}/api/v1/account/password-reset/confirm",
                          json={"token": token, "new_password": "copper-willow-signal-37"}, timeout=30)
    assert (again.status_code, again.json()["error"]["code"]) == (400, "reset_link_invalid")
    old_login = requests.post(f"{gatehouse.url}/api/v1/session", json={"username": "mia", "password": OLD})
    assert old_login.status_code == 401
    mia.password = NEW
    mia.log_in()
    wait_until(lambda: mails_to(gatehouse, "mia@example.org", "Password reset"), timeout=30)
    history = history_with(gatehouse, "mia", ("Password reset requested (a link was e-mailed)",
                                              "Password reset through an e-mailed link"))
    assert token not in history


def test_the_forgot_password_page_takes_an_address_and_a_password_change_voids_the_link(gatehouse):
    nora = Maintainer(gatehouse, "nora", "nora@example.org", OLD)
    nora.create_with_cli()
    nora.log_in()
    page = requests.post(f"{gatehouse.url}/account/forgot-password", data={"account": "NORA@example.org"}, timeout=30)
    assert page.status_code == 202 and "If an account matches" in page.text
    [link] = reset_links(gatehouse, "nora@example.org")
    changed = nora.post("/api/v1/account/password", {"current_password": OLD, "new_password": NEW})
    assert changed.status_code == 200, changed.text
    refused = requests.post(f"{gatehouse.url}/account/reset-password",
                            data={"token": link.split("token=", 1)[1], "new_password": "copper-willow-signal-37"})
    assert refused.status_code == 400 and "older than your last password change" in refused.text


def test_five_links_a_day_then_requests_send_nothing_but_answer_alike(gatehouse):
    olga = Maintainer(gatehouse, "olga", "olga@example.org", OLD)
    olga.create_with_cli()
    answers = {(answer.status_code, answer.text) for answer in (ask(gatehouse, username="olga") for _ in range(7))}
    assert answers == {(202, ask(gatehouse, username="no-such-user").text)}
    assert len(reset_links(gatehouse, "olga@example.org", count=5)) == 5
    time.sleep(2)  # the requests beyond the fifth would have been mailed by now
    assert len(mails_to(gatehouse, "olga@example.org", SUBJECT)) == 5


def test_twenty_requests_an_hour_from_one_address_are_refused(gatehouse):
    # Earlier tests of this module asked from the same address; the limit counts them too.
    for _ in range(21):
        answer = ask(gatehouse, username="no-such-user")
        if answer.status_code != 202:
            break
    assert (answer.status_code, answer.json()["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(answer.headers["Retry-After"]) <= 3600
    page = requests.post(f"{gatehouse.url}/account/forgot-password", data={"account": "olga"}, timeout=30)
    assert page.status_code == 429 and "try again in" in page.text and page.headers["Retry-After"]
