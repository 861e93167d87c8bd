"""Several e-mail addresses per account: an added address is verified by its own mailed link,
only a verified one becomes primary (the old primary address is mailed), the primary cannot be
removed; each change is in the security history."""

from __future__ import annotations

import requests

from tests.integration.audit_helpers import history_with, wait_until
from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import mails_to, verification_links

PASSWORD = "mossy-granite-kettle-23"


def listed(user: Maintainer) -> list[tuple[str, bool, bool]]:
    answer = user.http.get(f"{user.gatehouse.url}/api/v1/account/emails", timeout=10)
    assert answer.status_code == 200, answer.text
    return [(e["email"], e["verified"], e["primary"]) for e in answer.json()["emails"]]


def test_adding_verifying_making_primary_and_removing_addresses(gatehouse):
    pia = Maintainer(gatehouse, "pia", "pia@example.org", PASSWORD)
    pia.create_with_cli()
    pia.log_in()
    added = pia.post("/api/v1/account/emails", {"email": "pia@work.example"})
    assert (added.status_code, added.json()) == (201, {"email": "pia@work.example", "verified": False, "primary": False})
    assert pia.post("/api/v1/account/emails", {"email": "pia@home.example"}).status_code == 201
    taken = pia.post("/api/v1/account/emails", {"email": "pia@work.example"})
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "email_taken")
    unverified = pia.post("/api/v1/account/emails/primary", {"email": "pia@work.example"})
    assert (unverified.status_code, unverified.json()["error"]["code"]) == (400, "email_not_verified")

    [link] = verification_links(gatehouse, "pia@work.example")
    opened = requests.get(f"{gatehouse.url}{link}", timeout=10)
    assert opened.status_code == 200 and "pia@work.example is verified" in opened.text
    assert listed(pia) == [("pia@example.org", True, True), ("pia@work.example", True, False),
                           ("pia@home.example", False, False)]

    primary = pia.post("/api/v1/account/emails/primary", {"email": "pia@work.example"})
    assert (primary.status_code, primary.json()) == (200, {"primary": "pia@work.example"})
    wait_until(lambda: mails_to(gatehouse, "pia@example.org", "Primary e-mail address changed"), timeout=30)
    [notice] = mails_to(gatehouse, "pia@example.org", "Primary e-mail address changed")
    assert "from pia@example.org to pia@work.example" in notice.get_content()
    assert not mails_to(gatehouse, "pia@work.example", "Primary e-mail address changed")

    url = f"{gatehouse.url}/api/v1/account/emails"
    headers = {"X-CSRF-Token": pia.csrf}
    is_primary = pia.http.delete(f"{url}/pia@work.example", headers=headers, timeout=10)
    assert (is_primary.status_code, is_primary.json()["error"]["code"]) == (400, "email_is_primary")
    assert pia.http.delete(f"{url}/pia@home.example", headers=headers, timeout=10).status_code == 200
    assert pia.http.delete(f"{url}/pia@home.example", headers=headers, timeout=10).status_code == 404
    assert listed(pia) == [("pia@work.example", True, True), ("pia@example.org", True, False)]

    history_with(gatehouse, "pia", ("E-mail address pia@work.example added", "E-mail address pia@work.example verified",
                                    "Primary e-mail address changed from pia@example.org to pia@work.example",
                                    "E-mail address pia@home.example removed"))


def test_the_account_page_lists_addresses_and_adds_one_with_errors_by_the_field(gatehouse):
    quin = Maintainer(gatehouse, "quin", "quin@example.org", PASSWORD)
    quin.create_with_cli()
    quin.log_in()
    page = quin.http.get(f"{gatehouse.url}/account/", timeout=10)
    assert page.status_code == 200 and "E-mail addresses" in page.text and "quin@example.org" in page.text
    bad = quin.http.post(f"{gatehouse.url}/account/emails", data={"csrf_token": quin.csrf, "email": "not-an-address"})
    assert bad.status_code == 400 and 'id="new_email-error"' in bad.text
    done = quin.http.post(f"{gatehouse.url}/account/emails", data={"csrf_token": quin.csrf, "email": "quin@lab.example"})
    assert done.status_code == 200 and "A link to confirm quin@lab.example was mailed to it." in done.text
    assert "quin@lab.example" in done.text and "not verified" in done.text
    removed = quin.http.post(f"{gatehouse.url}/account/emails/remove",
                             data={"csrf_token": quin.csrf, "email": "quin@lab.example"})
    assert removed.status_code == 200 and "quin@lab.example was removed" in removed.text
