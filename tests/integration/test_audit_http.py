"""The security-log JSON API paged by its `next` cursor, with hashes that chain, and
`gatehouse audit tail` run as an operator would: started, shown a new event, stopped."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading

from tests.integration.audit_helpers import export, wait_until
from tests.integration.harness import BIN


def _all_pages(alice, limit: int) -> tuple[list[dict], int]:
    events, params, pages = [], {"limit": limit}, 0
    while True:
        answer = alice.http.get(f"{alice.gatehouse.url}/api/v1/users/alice/events", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        events.extend(body["events"])
        pages += 1
        if body["next"] is None:
            return events, pages
        params = {"limit": limit, "cursor": body["next"]}


def test_the_json_api_pages_by_cursor_and_carries_chained_hashes(alice, gatehouse):
    # Token creations, not logins: each login needs a fresh TOTP step (30 s) since codes never replay.
    for index in range(4):
        alice.create_token(f"paging-{index}")
    wait_until(lambda: sum(e["tag"] == "account:api_token:added" for e in alice.events("users", "alice", limit=500)) >= 4,
               timeout=30)
    events, pages = _all_pages(alice, limit=3)
    exported = {e["id"]: e for e in export(gatehouse, "--user", "alice")}
    assert len(events) >= 5 and pages == -(-len(events) // 3)
    # newest first, nothing twice (the export may hold events projected since)
    assert [e["id"] for e in events] == list(reversed(exported))[-len(events):]
    for event in events:
        assert (event["hash"], event["prev_hash"]) == (exported[event["id"]]["hash"], exported[event["id"]]["prev_hash"])
    by_position = {(e["stream"], e["version"]): e for e in exported.values()}
    linked = [e for e in exported.values() if (e["stream"], e["version"] - 1) in by_position]
    assert linked, "alice's own stream holds consecutive events"
    for event in linked:
        assert event["prev_hash"] == by_position[(event["stream"], event["version"] - 1)]["hash"]
    bad = alice.http.get(f"{gatehouse.url}/api/v1/users/alice/events", params={"cursor": "forged"})
    assert bad.status_code == 400


def _lines_of(process: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    return lines


def test_audit_tail_prints_a_new_event_until_interrupted(alice, gatehouse):
    tail = subprocess.Popen(
        [str(BIN / "gatehouse"), "audit", "tail", "--user", "alice", "--json"],
        env=gatehouse.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = _lines_of(tail)
    try:
        printed = None
        for _ in range(5):  # the tail follows what is projected after it started: retry until it has
            alice.log_in()
            try:
                printed = json.loads(lines.get(timeout=5))
                break
            except queue.Empty:
                continue
        assert printed is not None, "the tail printed nothing"
        assert printed["tag"].startswith("account:") and printed["actor"]["user"] == "alice"
    finally:
        tail.send_signal(signal.SIGINT)
        code = tail.wait(15)
    assert code == 0, tail.stderr.read()
