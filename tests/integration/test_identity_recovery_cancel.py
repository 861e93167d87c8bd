"""Account recovery is announced to every address of the account, each mail with a cancel link,
and the user can cancel it by such a link or from the account page while logged in."""

from __future__ import annotations

import re

import requests

from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import mails_to
from tests.integration.recovery_helpers import CONFIRM, STARTED, link_in, recover
from tests.integration.mfa_helpers import wait_for_types

PASSWORD = "cobalt-thistle-lantern-35"


def test_recovery_is_announced_to_every_address_and_a_mailed_link_cancels_it(gatehouse):
    rosa = Maintainer(gatehouse, "rosa", "rosa@example.org", PASSWORD)
    rosa.create_with_cli()
    rosa.log_in()
    assert rosa.post("/api/v1/account/emails", {"email": "rosa@home.example"}).status_code == 201

    said = recover(gatehouse, "rosa")
    assert "An identity link was mailed to rosa@example.org" in said
    assert "Notified with a cancel link: rosa@example.org, rosa@home.example." in said
    assert [m["Subject"] for m in mails_to(gatehouse, "rosa@home.example", STARTED)] == [STARTED]
    assert mails_to(gatehouse, "rosa@home.example", CONFIRM) == []  # the identity link goes to a verified address
    again = gatehouse.cli("admin", "recover", "rosa")
    assert again.returncode == 1 and "already in progress" in again.stderr

    cancel = link_in(gatehouse, "rosa@home.example", STARTED, "/account/recovery/cancel")
    cancelled = requests.get(f"{gatehouse.url}{cancel}", timeout=30)
    assert cancelled.status_code == 200 and "was cancelled" in cancelled.text
    identity = link_in(gatehouse, "rosa@example.org", CONFIRM, "/account/recovery/confirm")
    assert requests.get(f"{gatehouse.url}{identity}", timeout=30).status_code == 400  # dead with the recovery
    assert rosa.http.get(f"{gatehouse.url}/api/v1/account/recovery").json() == {"recovery": None}
    events = wait_for_types(gatehouse, "rosa", {"RecoveryStarted", "RecoveryCancelled"})
    tags = {e["type"]: e["tag"] for e in events}
    assert (tags["RecoveryStarted"], tags["RecoveryCancelled"]) == ("account:recovery:started", "account:recovery:cancelled")


def test_the_logged_in_user_cancels_from_the_account_page(gatehouse):
    saul = Maintainer(gatehouse, "saul", "saul@example.org", PASSWORD)
    saul.create_with_cli()
    saul.log_in()
    recover(gatehouse, "saul")
    page = saul.http.get(f"{gatehouse.url}/account/")
    assert page.status_code == 200 and "Account recovery in progress" in page.text
    assert saul.http.get(f"{gatehouse.url}/api/v1/account/recovery").json()["recovery"]["state"] == "started"
    csrf = re.search(r'action="/account/recovery/cancel">\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                     page.text).group(1)
    done = saul.http.post(f"{gatehouse.url}/account/recovery/cancel", data={"csrf_token": csrf})
    assert done.status_code == 200 and "Account recovery in progress" not in done.text
    assert saul.http.get(f"{gatehouse.url}/api/v1/account/recovery").json() == {"recovery": None}
    assert [m["Subject"] for m in mails_to(gatehouse, "saul@example.org", "Account recovery cancelled")]
