"""A wheel whose RECORD does not match its contents, uploaded with real twine to an index whose
operator turned such mismatches into warnings (GATEHOUSE_RECORD_MISMATCH=warn): the upload is
accepted, the project's Owner and the uploading Maintainer each receive one warning mail
naming the wheel and the mismatch, and the project's security log shows the warning."""

from __future__ import annotations

import base64
import email
import hashlib
import zipfile
from email import policy as mail_policy
from pathlib import Path

import pytest

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer, build_project, twine_upload
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url

SUBJECT = "Wheel RECORD mismatch in project rec-warn"


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    database_url = postgres_base_url()
    instance = Gatehouse(tmp_path_factory.mktemp("record-warn") / "data", nats.url, database_url,
                         extra_env={"GATEHOUSE_RECORD_MISMATCH": "warn", "GATEHOUSE_REQUIRE_2FA": "0"})
    instance.start()
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)


def user(gatehouse, name: str) -> Maintainer:
    """A user with a verified address (the operator command), logged in."""
    member = Maintainer(gatehouse, name, f"{name}@example.org", f"{name}-has-a-long-passphrase-5")
    member.create_with_cli()
    member.log_in()
    return member


def with_wrong_record(wheel: Path, where: Path) -> Path:
    """A copy of `wheel` whose RECORD gives the package's __init__.py another file's digest."""
    where.mkdir(parents=True, exist_ok=True)
    wrong = base64.urlsafe_b64encode(hashlib.sha256(b"not the module").digest()).rstrip(b"=").decode()
    copy = where / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                rows = [_wrong_digest(row, wrong) for row in content.decode().splitlines()]
                content = ("\n".join(rows) + "\n").encode()
            target.writestr(info, content)
    return copy


def _wrong_digest(row: str, wrong: str) -> str:
    path, digest, size = row.split(",")
    return f"{path},sha256={wrong},{size}" if path.endswith("/__init__.py") else row


def mails_to(gatehouse, address: str) -> list:
    folder = gatehouse.data_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=mail_policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def warnings_to(gatehouse, address: str) -> list:
    return [message for message in mails_to(gatehouse, address) if message["Subject"] == SUBJECT]


def test_the_owner_and_the_uploading_maintainer_are_warned_once(gatehouse, tmp_path):
    olive, vic, stranger = user(gatehouse, "olive"), user(gatehouse, "vic"), user(gatehouse, "stan")
    first = build_project(tmp_path, "rec-warn", "1.0")
    done = twine_upload(gatehouse, olive.create_token("olive-ci")["token"], first[:1])
    assert done.returncode == 0, done.stdout + done.stderr
    added = olive.post("/api/v1/projects/rec-warn/roles", {"username": "vic", "role": "Maintainer"})
    assert added.status_code == 201, added.text

    wheel = with_wrong_record(build_project(tmp_path, "rec-warn", "2.0")[0], tmp_path / "bad")
    done = twine_upload(gatehouse, vic.create_token("vic-ci")["token"], [wheel])
    assert done.returncode == 0, done.stdout + done.stderr  # warned, not refused

    for member in (olive, vic):
        wait_until(lambda member=member: warnings_to(gatehouse, member.email), timeout=30)
    [mail] = warnings_to(gatehouse, olive.email)
    text = mail.get_content()
    assert f"The wheel {wheel.name} uploaded to project 'rec-warn' (release 2.0) by vic" in text
    assert "has a RECORD file that does not match its contents" in text
    assert "digest of 'rec_warn/__init__.py' disagrees with its RECORD" in text
    assert "accepted because this index warns rather than refuses; a future upload may be refused" in text
    assert len(warnings_to(gatehouse, vic.email)) == 1
    assert warnings_to(gatehouse, stranger.email) == []

    def warning_logged():
        return [e for e in olive.events("projects", "rec-warn", limit=500) if e["tag"] == "file:record:mismatched"]

    [logged] = wait_until(warning_logged, timeout=30)
    assert logged["additional"]["filename"] == wheel.name and logged["actor"]["user"] == "vic"
