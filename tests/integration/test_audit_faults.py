"""Faults with real processes: the audit service killed and started again, NATS away during a burst, a poisoned
message, a chain published out of order. Every event is projected once, in per-stream order, and nothing
blocks the log."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from bench.audit_events import Publisher, failed_logins
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.hashing import chain_hash
from tests.integration.audit_helpers import audit_engine, export, wait_until


def operator_log_of_ip(gatehouse, ip: str) -> list[dict]:
    done = gatehouse.cli("audit", "query", "--ip", ip, "--limit", "5000", "--json")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def publish(nats, envelopes) -> None:
    async def run():
        async with Publisher(nats.url) as publisher:
            for envelope in envelopes:
                await publisher.publish(envelope)

    asyncio.run(run())


def _dead(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie: killed, not reaped yet by the frozen supervisor


def test_events_produced_while_audit_is_stopped_appear_once(gatehouse, nats):
    killed = gatehouse.pids()["audit"]
    # The supervisor would restart audit within half a second: freeze it while audit is down.
    os.kill(gatehouse.process.pid, signal.SIGSTOP)
    try:
        os.kill(killed, signal.SIGKILL)
        wait_until(lambda: _dead(killed), timeout=10)
        envelopes = failed_logins(1000, ip="198.51.100.10")
        publish(nats, envelopes)
        assert _dead(killed)
    finally:
        os.kill(gatehouse.process.pid, signal.SIGCONT)  # it reaps audit and starts a new one
    restarted = wait_until(lambda: (lambda pid: pid if pid != killed else None)(gatehouse.pids()["audit"]), timeout=30)
    assert not _dead(restarted)
    gatehouse.wait_healthy(60)
    events = wait_until(lambda: (lambda log: log if len(log) >= 1000 else None)(
        operator_log_of_ip(gatehouse, "198.51.100.10")), timeout=120, interval=1)
    assert len(events) == 1000
    assert sorted(e["id"] for e in events) == sorted(e.event_id for e in envelopes)
    assert all(e["chain_ok"] for e in events)


def _log_in_repeatedly(alice, times: int, pause: float, answers: list) -> None:
    for _ in range(times):
        answers.append(alice.http.post(
            f"{alice.gatehouse.url}/api/v1/session", json={"username": alice.username, "password": alice.password}
        ).status_code)
        time.sleep(pause)


def test_nats_down_for_ten_seconds_during_a_burst_loses_and_doubles_nothing(alice, gatehouse, nats):
    before = {e["id"] for e in export(gatehouse, "--user", "alice")}
    answers: list[int] = []
    burst = threading.Thread(target=_log_in_repeatedly, args=(alice, 40, 0.3, answers))
    burst.start()
    time.sleep(2)
    nats.stop()
    time.sleep(10)
    nats.start()
    burst.join(120)
    assert answers.count(200) == 40

    def logins():
        new = [e for e in export(gatehouse, "--user", "alice") if e["id"] not in before and e["type"] == "LoginSucceeded"]
        return new if len(new) >= 40 else None

    new_logins = wait_until(logins, timeout=120, interval=1)
    assert len({e["id"] for e in new_logins}) == len(new_logins) == 40
    versions = [e["version"] for e in new_logins]  # export order is projection order
    assert versions == sorted(versions)
    assert gatehouse.cli("audit", "verify").returncode == 0


def _undecodable_payload() -> envelope_pb2.EventEnvelope:
    (envelope,) = failed_logins(1, ip="198.51.100.21")
    envelope.payload = b"\xff\xff\xff\xff"
    envelope.hash = chain_hash(envelope.prev_hash, envelope)
    return envelope


def test_a_poisoned_message_is_parked_and_does_not_block_the_log(gatehouse, nats):
    good = failed_logins(2, ip="198.51.100.20")
    undecodable = _undecodable_payload()

    async def run():
        async with Publisher(nats.url) as publisher:
            await publisher.publish(good[0])
            await publisher.publish_raw("gatehouse.events.identity.LoginFailed", b"\xff\x00not protobuf", str(uuid.uuid4()))
            await publisher.publish(undecodable)
            await publisher.publish(good[1])

    asyncio.run(run())
    events = wait_until(lambda: (lambda log: log if len(log) == 2 else None)(
        operator_log_of_ip(gatehouse, "198.51.100.20")), timeout=60)
    assert {e["id"] for e in events} == {e.event_id for e in good}

    engine = audit_engine(gatehouse)
    try:
        def parked():
            with engine.connect() as connection:
                rows = list(connection.execute(sa.text("SELECT subject, error FROM parked_events ORDER BY id")))
                return rows if len(rows) == 2 else None

        rows = wait_until(parked, timeout=60)
    finally:
        engine.dispose()
    assert [row.subject for row in rows] == ["gatehouse.events.identity.LoginFailed"] * 2
    assert "Error" in rows[0].error and "cannot be decoded" in rows[1].error
    assert operator_log_of_ip(gatehouse, "198.51.100.21") == []
    listed = gatehouse.cli("audit", "parked")
    assert listed.returncode == 0, listed.stderr
    first, second = listed.stdout.splitlines()  # newest first
    assert undecodable.event_id in first and "cannot be decoded" in first
    assert "an unreadable envelope" in second


def test_events_published_out_of_stream_order_are_projected_in_order_with_intact_chains(gatehouse, nats):
    chain = failed_logins(4, ip="198.51.100.30")
    publish(nats, [chain[2], chain[0], chain[3], chain[1]])  # each successor reaches the projector first
    events = wait_until(lambda: (lambda log: log if len(log) == 4 else None)(
        operator_log_of_ip(gatehouse, "198.51.100.30")), timeout=60)
    assert [e["version"] for e in reversed(events)] == [1, 2, 3, 4]  # newest first
    assert all(e["chain_ok"] for e in events)
