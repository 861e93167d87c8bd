"""Shared by the identity integration tests: mail in the embedded sink, a verification link,
and an instance started with extra settings."""

from __future__ import annotations

import email
import re
from email import policy

import pytest

from tests.integration.audit_helpers import wait_until
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url


def mails_to(gatehouse: Gatehouse, address: str, subject: str = "") -> list:
    """Messages the embedded sink received for `address` (with `subject`, if given), oldest first."""
    folder = gatehouse.data_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address and (not subject or message["Subject"] == subject):
            found.append(message)
    return found


def verification_links(gatehouse: Gatehouse, address: str, count: int = 1) -> list[str]:
    """The paths (with token) of the first `count` verification links mailed to `address`."""
    wait_until(lambda: len(mails_to(gatehouse, address, "Verify your e-mail address")) >= count, timeout=30)
    links = []
    for message in mails_to(gatehouse, address, "Verify your e-mail address"):
        found = re.search(r"https?://[^/\s]+(/account/verify-email\?token=\S+)", message.get_content())
        links.append(found.group(1))
    return links


def started_instance(tmp_path_factory, nats, **environment: str):
    """A Gatehouse instance whose processes see the extra `environment` (a generator for fixtures)."""
    database_url = postgres_base_url()
    instance = Gatehouse(tmp_path_factory.mktemp("gatehouse") / "data", nats.url, database_url)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        instance.start()
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)
