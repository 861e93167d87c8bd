"""Tamper evidence and rebuilds, with the real command: export, verify (online and offline with
the documented script), an edited row named by verify, and a rebuild identical to the live log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.integration.audit_helpers import audit_engine, export, wait_until

SCRIPT = Path(__file__).resolve().parents[2] / "services" / "audit" / "verify_export.py"


def offline_verify(lines: list[str]) -> subprocess.CompletedProcess:
    """Runs the stdlib-only script exactly as a user would, with a bare interpreter."""
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT)], input="\n".join(lines), capture_output=True, text=True, timeout=60
    )


def _by_id(events: list[dict]) -> dict[str, dict]:
    return {event["id"]: event for event in events}


def test_export_has_hashes_and_verifies_offline(alice, gatehouse):
    alice.create_token("integrity")
    alice.wait_for_events("users", "alice", {"account:api_token:added"}, timeout=10)
    done = gatehouse.cli("audit", "export")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all('"hash"' in line and '"payload"' in line for line in lines)
    checked = offline_verify(lines)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("OK:")
    own = alice.http.get(f"{gatehouse.url}/api/v1/users/alice/events/export")
    assert own.status_code == 200, own.text
    assert offline_verify(own.text.splitlines()).returncode == 0


def test_verify_names_the_edited_event_and_rebuild_restores_the_log(alice, gatehouse):
    alice.wait_for_events("users", "alice", {"account:login:success"}, timeout=10)
    before = export(gatehouse)
    assert gatehouse.cli("audit", "verify").returncode == 0
    victim = next(e for e in before if e["tag"] == "account:login:success")
    engine = audit_engine(gatehouse)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE security_events SET actor_ip = '10.6.6.6' WHERE event_id = :id"), {"id": victim["id"]})
    engine.dispose()

    tampered = gatehouse.cli("audit", "verify")
    assert tampered.returncode != 0
    assert victim["id"] in tampered.stderr
    tampered_export = gatehouse.cli("audit", "export").stdout.splitlines()
    assert victim["id"] in offline_verify(tampered_export).stderr

    rebuilt = gatehouse.cli("audit", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert gatehouse.cli("audit", "verify").returncode == 0
    after = _by_id(export(gatehouse))
    assert {key: after[key] for key in _by_id(before)} == _by_id(before)


def test_rebuilt_projection_answers_queries_as_the_live_one(alice, gatehouse):
    alice.create_token("before-rebuild")

    def projected():
        events = alice.events("users", "alice", limit=500)
        return events if any(e["additional"].get("name") == "before-rebuild" for e in events) else None

    live = wait_until(projected, timeout=20)
    live_operator = gatehouse.cli("audit", "query", "--user", "alice", "--json", "--limit", "1000").stdout
    rebuilt = gatehouse.cli("audit", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert alice.events("users", "alice", limit=500) == live
    assert gatehouse.cli("audit", "query", "--user", "alice", "--json", "--limit", "1000").stdout == live_operator


def test_failed_logins_for_unknown_usernames_are_on_the_ip_log(gatehouse, http):
    answer = http.post(f"{gatehouse.url}/api/v1/session", json={"username": "no-such-user", "password": "x" * 12})
    assert answer.status_code in (400, 401, 403)

    def found():
        done = gatehouse.cli("audit", "query", "--ip", "127.0.0.1", "--type", "LoginFailed", "--json")
        return [line for line in done.stdout.splitlines() if "no-such-user" in line]

    assert wait_until(found, timeout=20)
