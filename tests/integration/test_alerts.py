"""Mail alerts from the identity-notifier, delivered to the embedded sink ($DATA/mail/*.eml):
a login from an IP never seen for the account, a new API token; nothing for a known IP."""

from __future__ import annotations

import email
import time
from email import policy

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer


def mails_to(gatehouse, address: str) -> list:
    folder = gatehouse.data_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def subjects(gatehouse, address: str) -> list[str]:
    return [str(message["Subject"]) for message in mails_to(gatehouse, address)]


def test_first_login_from_an_ip_and_a_new_token_are_mailed(gatehouse):
    carol = Maintainer(gatehouse, "carol", "carol@example.org", "carol-has-a-long-passphrase-7")
    carol.create_with_cli()
    carol.log_in()
    wait_until(lambda: "New login to your Gatehouse account" in subjects(gatehouse, carol.email), timeout=30)
    login_mail = mails_to(gatehouse, carol.email)[0]
    assert "127.0.0.1" in login_mail.get_content()

    carol.log_in()  # same address: not news
    carol.create_token("ci-release")
    wait_until(lambda: "API token created" in subjects(gatehouse, carol.email), timeout=30)
    time.sleep(1)  # the second login was consumed before the token: no late mail either
    assert subjects(gatehouse, carol.email).count("New login to your Gatehouse account") == 1
    token_mail = [m for m in mails_to(gatehouse, carol.email) if m["Subject"] == "API token created"]
    assert len(token_mail) == 1 and "ci-release" in token_mail[0].get_content()


def test_no_alert_for_someone_elses_events(gatehouse):
    dave = Maintainer(gatehouse, "dave", "dave@example.org", "dave-has-a-long-passphrase-8")
    dave.create_with_cli()
    time.sleep(1)
    assert mails_to(gatehouse, dave.email) == []
