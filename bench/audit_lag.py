"""End-to-end lag of the audit projection: from publish on JetStream to visible in QueryEvents.

Starts a private NATS and a real audit service process (SQLite, or PostgreSQL with
GATEHOUSE_BENCH_DATABASE_URL), publishes chained events at RATE events/s for SECONDS seconds,
and polls QueryEvents (newest first) every 10 ms, noting when each event first shows.
Usage: python -m bench.audit_lag [RATE] [SECONDS]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc

from bench.audit_events import Publisher, drop_database, failed_logins
from gatehouse.audit.v1 import audit_pb2, audit_pb2_grpc
from gatehouse.common.v1 import common_pb2
from tests.integration.harness import NatsServer

IP = "198.51.100.99"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def _publish_at(url: str, rate: int, seconds: int, sent: dict[str, float]) -> None:
    envelopes = failed_logins(rate * seconds, ip=IP)
    async with Publisher(url) as publisher:
        started = time.monotonic()
        for index, envelope in enumerate(envelopes):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[envelope.event_id] = time.monotonic()
            await publisher.publish(envelope)


async def _poll(stub, seen: dict[str, float], expected: int, deadline: float) -> None:
    request = audit_pb2.QueryEventsRequest(
        caller=common_pb2.Principal(operator=True), filter=audit_pb2.EventFilter(ip_address=IP), limit=500
    )
    while len(seen) < expected and time.monotonic() < deadline:
        request.cursor = ""
        while True:  # page back until a page holds an event already seen
            answer = await stub.QueryEvents(request, timeout=5)
            now = time.monotonic()
            new = [event.id for event in answer.events if event.id not in seen]
            for event_id in new:
                seen[event_id] = now
            if len(new) < len(answer.events) or not answer.next_cursor:
                break
            request.cursor = answer.next_cursor
        await asyncio.sleep(0.01)


async def measure(nats_url: str, socket: Path, rate: int, seconds: int) -> list[float]:
    channel = grpc.aio.insecure_channel(f"unix:{socket}")
    stub = audit_pb2_grpc.AuditServiceStub(channel)
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    poller = asyncio.create_task(_poll(stub, seen, rate * seconds, time.monotonic() + seconds + 60))
    await _publish_at(nats_url, rate, seconds, sent)
    await poller
    await channel.close()
    return [seen[event_id] - sent[event_id] for event_id in sent if event_id in seen]


def _start_audit(data: Path, nats_url: str) -> subprocess.Popen:
    env = dict(os.environ, GATEHOUSE_DATA=str(data), GATEHOUSE_NATS_URL=nats_url)
    base = os.environ.get("GATEHOUSE_BENCH_DATABASE_URL", "")
    if base:
        env["GATEHOUSE_AUDIT_DATABASE_URL"] = f"{base}_lag_{os.getpid()}"
    log = open(data / "audit.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "services.audit"], env=env, stdout=log, stderr=subprocess.STDOUT)
    socket = data / "run" / "audit.sock"
    deadline = time.monotonic() + 60
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # consumer subscribed
    return process


def main() -> None:
    rate = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory(prefix="gh-lag-") as tmp:
        data = Path(tmp)
        nats = NatsServer(data / "nats")
        nats.start()
        audit = _start_audit(data, nats.url)
        try:
            lags = asyncio.run(measure(nats.url, data / "run" / "audit.sock", rate, seconds))
        finally:
            audit.terminate()
            audit.wait(30)
            nats.stop()
            if os.environ.get("GATEHOUSE_BENCH_DATABASE_URL"):
                drop_database(f"{os.environ['GATEHOUSE_BENCH_DATABASE_URL']}_lag_{os.getpid()}")
    expected = rate * seconds
    print(f"| audit lag at {rate}/s | {len(lags)}/{expected} seen | p50 {percentile(lags, .5) * 1000:.0f} ms "
          f"| p99 {percentile(lags, .99) * 1000:.0f} ms | max {max(lags) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
