"""The audit service dies; it comes back (the supervisor restarts it) and catches up from its
durable consumer, projecting every event exactly once."""

from __future__ import annotations

import os
import signal
from collections import Counter

from tests.integration.flow import build_project, twine_upload


def test_audit_catches_up_after_being_killed(alice, gatehouse, tmp_path):
    alice.wait_for_events("users", "alice", {"account:login:success"})
    os.kill(gatehouse.pids()["audit"], signal.SIGKILL)
    token = alice.create_token("while-audit-was-down")
    files = build_project(tmp_path, "audit-restart-demo", "1.0")
    upload = twine_upload(gatehouse, token["token"], files)
    assert upload.returncode == 0, upload.stdout + upload.stderr

    gatehouse.wait_healthy(60)
    expected = Counter(path.name for path in files)
    project_log = alice.wait_for_log("projects", "audit-restart-demo", lambda log: _added(log) == expected, 30)
    user_log = alice.wait_for_events("users", "alice", {"account:api_token:added"}, timeout=30)

    assert _added(project_log) == expected
    issued = [e for e in user_log if e["tag"] == "account:api_token:added"]
    assert [e["additional"]["name"] for e in issued].count("while-audit-was-down") == 1
    assert len({e["id"] for e in user_log}) == len(user_log)


def _added(log: list[dict]) -> Counter:
    return Counter(e["additional"]["filename"] for e in log if e["tag"] == "file:file:added")
