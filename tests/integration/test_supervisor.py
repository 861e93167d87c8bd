"""`make run`'s supervisor: two instances side by side, and no orphan after it stops."""

from __future__ import annotations

import os
import time

import requests

from tests.integration.harness import Gatehouse


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie awaiting its parent's wait() is gone for our purposes.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def test_two_instances_run_side_by_side_and_stop_without_orphans(tmp_path):
    first = Gatehouse(tmp_path / "one", nats_url="")
    second = Gatehouse(tmp_path / "two", nats_url="")
    first.start()
    second.start()
    try:
        for instance in (first, second):
            health = requests.get(f"{instance.url}/healthz", timeout=5).json()
            assert set(health["components"]) == {"identity", "mfa", "tokens", "uploads", "audit", "nats"}
        assert first.pids()["nats"] != second.pids()["nats"]
        children = list(first.pids().values())
    finally:
        first.stop()
        second.stop()
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)]
