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

    expected_files = sorted(p.name for p in files)
    project_log = alice.wait_for_log("projects", "outage-demo", lambda log: _files(log) == expected_files, 60)
    deadline_log = alice.wait_for_log("users", "alice", lambda log: {"before-outage", "during-outage"} <= set(_issued(log)), 30)
    issued = _issued(deadline_log)

    assert _files(project_log) == expected_files
    assert issued["before-outage"] == 1 and issued["during-outage"] == 1
    ids = [e["id"] for e in project_log + deadline_log]
    assert len(set(e["id"] for e in project_log)) == len(project_log)
    assert len(set(e["id"] for e in deadline_log)) == len(deadline_log)
    assert first["id"] != second["id"] and ids


def _files(log: list[dict]) -> list[str]:
    return sorted(e["additional"]["filename"] for e in log if e["tag"] == "file:file:added")


def _issued(log: list[dict]) -> Counter:
    return Counter(e["additional"]["name"] for e in log if e["tag"] == "account:api_token:added")


def test_health_reports_nats_down_then_up(gatehouse, nats, http):
    nats.stop()
    try:
        answer = http.get(f"{gatehouse.url}/healthz", timeout=10)
        assert answer.status_code == 503
        assert answer.json()["components"]["nats"] == "down"
    finally:
        nats.start()
    assert gatehouse.wait_healthy(30)["components"]["nats"] == "up"
