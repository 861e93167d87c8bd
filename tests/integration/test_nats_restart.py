"""NATS goes away in the middle of the flow: nothing accepted is lost, nothing is doubled."""

from __future__ import annotations

from collections import Counter

from tests.integration.flow import build_project, twine_upload


def test_events_recorded_while_nats_is_down_arrive_once_after_it_returns(alice, nats, tmp_path):
    first = alice.create_token("before-outage")
    nats.stop()
    second = alice.create_token("during-outage")
    files = build_project(tmp_path, "outage-demo", "2.0")
    upload = twine_upload(alice.gatehouse, second["token"], files)
    assert upload.returncode == 0, upload.stdout + upload.stderr
    nats.start()

    project_log = alice.wait_for_events("projects", "outage-demo", {"file:file:added"}, timeout=60)
    files_added = [e for e in project_log if e["tag"] == "file:file:added"]
    deadline_log = alice.wait_for_events("users", "alice", {"account:api_token:added"}, timeout=30)
    issued = Counter(e["additional"]["name"] for e in deadline_log if e["tag"] == "account:api_token:added")

    assert sorted(e["additional"]["filename"] for e in files_added) == sorted(p.name for p in files)
    assert issued["before-outage"] == 1 and issued["during-outage"] == 1
    ids = [e["id"] for e in project_log + deadline_log]
    assert len(set(e["id"] for e in project_log)) == len(project_log)
    assert len(set(e["id"] for e in deadline_log)) == len(deadline_log)
    assert first["id"] != second["id"] and ids


def test_health_reports_nats_down_then_up(gatehouse, nats, http):
    nats.stop()
    try:
        answer = http.get(f"{gatehouse.url}/healthz", timeout=10)
        assert answer.status_code == 503
        assert answer.json()["components"]["nats"] == "down"
    finally:
        nats.start()
    assert gatehouse.wait_healthy(30)["components"]["nats"] == "up"
