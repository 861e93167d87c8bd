"""End-to-end lag of the audit projection: from publish on JetStream to visible in the API.

grpc (default): starts a private NATS and a real audit service process (SQLite, or PostgreSQL
with GATEHOUSE_BENCH_DATABASE_URL), publishes chained events at RATE events/s for SECONDS
seconds, and polls QueryEvents (newest first) every 10 ms, noting when each event first shows.
http: the same through the whole system (`make run`'s supervisor: gateway, services): events
of a real, logged-in account, polled on GET /api/v1/users/{name}/events with its session.
Usage: python -m bench.audit_lag [RATE] [SECONDS] [grpc|http]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import requests

from bench.audit_events import Publisher, drop_database, failed_logins, sessions_ended_of
from bench.results import record, row
from gatehouse.audit.v1 import audit_pb2, audit_pb2_grpc
from gatehouse.common.v1 import common_pb2
from tests.integration.harness import NatsServer

IP = "198.51.100.99"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def _publish_at(url: str, rate: int, envelopes: list, sent: dict[str, float]) -> None:
    async with Publisher(url) as publisher:
        started = time.monotonic()
        for index, envelope in enumerate(envelopes):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[envelope.event_id] = time.monotonic()
            await publisher.publish(envelope)


async def _poll(stub, seen: dict[str, float], expected: int, deadline: float) -> None:
    # Pages of 100 (as the http poller): 500-event pages every 10 ms had the audit process
    # spend most of its time rendering pages the poller had seen, which it charged to the lag.
    request = audit_pb2.QueryEventsRequest(
        caller=common_pb2.Principal(operator=True), filter=audit_pb2.EventFilter(ip_address=IP), limit=100
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
    await _publish_at(nats_url, rate, failed_logins(rate * seconds, ip=IP), sent)
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


def _poll_http(user, seen: dict[str, float], expected: int, deadline: float) -> None:
    url = f"{user.gatehouse.url}/api/v1/users/{user.username}/events"
    while len(seen) < expected and time.monotonic() < deadline:
        # Small pages: the audit process serving them also projects, so polls must stay cheap.
        params = {"limit": 100, "type": "SessionEnded"}
        while True:  # page back until a page holds an event already seen
            try:
                answer = user.http.get(url, params=params, timeout=30)
                answer.raise_for_status()
                body = answer.json()
            except requests.RequestException as error:  # a slow answer on a loaded machine: poll again
                print(f"poll failed: {error!r}"[:200], file=sys.stderr)
                time.sleep(0.5)
                break
            now = time.monotonic()
            new = [event["id"] for event in body["events"] if event["id"] not in seen]
            for event_id in new:
                seen[event_id] = now
            if len(new) < len(body["events"]) or not body["next"]:
                break
            params["cursor"] = body["next"]
        time.sleep(0.01)


def _bench_user(gatehouse):
    from tests.integration.flow import Maintainer

    user = Maintainer(gatehouse, "lagbench", "lagbench@example.org", "correct-horse-battery-staple-42")
    user.create_with_cli()
    user.log_in()
    created = user.wait_for_events("users", user.username, {"account:user:created"}, timeout=30)
    user_id = next(e["additional"]["user_id"] for e in created if e["tag"] == "account:user:created")
    return user, user_id


def measure_http(data: Path, rate: int, seconds: int) -> list[float]:
    from tests.integration.harness import Gatehouse

    nats = NatsServer(data / "nats")
    nats.start()
    gatehouse = Gatehouse(data / "gatehouse", nats.url)
    try:
        gatehouse.start(120)
        user, user_id = _bench_user(gatehouse)
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        poller = threading.Thread(target=_poll_http, args=(user, seen, rate * seconds, time.monotonic() + seconds + 60))
        poller.start()
        asyncio.run(_publish_at(nats.url, rate, sessions_ended_of(rate * seconds, user_id, user.username), sent))
        poller.join()
    finally:
        gatehouse.stop()
        nats.stop()
    return [seen[event_id] - sent[event_id] for event_id in sent if event_id in seen]


def measure_grpc(data: Path, rate: int, seconds: int) -> list[float]:
    nats = NatsServer(data / "nats")
    nats.start()
    audit = _start_audit(data, nats.url)
    try:
        return asyncio.run(measure(nats.url, data / "run" / "audit.sock", rate, seconds))
    finally:
        audit.terminate()
        audit.wait(30)
        nats.stop()
        if os.environ.get("GATEHOUSE_BENCH_DATABASE_URL"):
            drop_database(f"{os.environ['GATEHOUSE_BENCH_DATABASE_URL']}_lag_{os.getpid()}")


def main() -> None:
    rate = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    via = sys.argv[3] if len(sys.argv) > 3 else "grpc"
    with tempfile.TemporaryDirectory(prefix="gh-lag-") as tmp:
        measure_via = measure_http if via == "http" else measure_grpc
        lags = measure_via(Path(tmp), rate, seconds)
    expected = rate * seconds
    if not lags:
        print(f"| audit lag at {rate}/s ({via}) | 0/{expected} seen |")
        record(f"audit_lag_{via}", [row(f"audit lag at {rate}/s ({via})", f"0/{expected} seen")])
        return
    record(f"audit_lag_{via}", [row(f"audit end-to-end lag at {rate}/s ({via}), p50 / p99",
                                    f"{percentile(lags, .5) * 1000:.0f} / {percentile(lags, .99) * 1000:.0f} ms "
                                    f"({len(lags)}/{expected} seen)")])
    print(f"| audit lag at {rate}/s ({via}) | {len(lags)}/{expected} seen | p50 {percentile(lags, .5) * 1000:.0f} ms "
          f"| p99 {percentile(lags, .99) * 1000:.0f} ms | max {max(lags) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
