"""Event latency: from the append (the event's own time) to visible in the audit log.

Starts a whole instance as `make run` does, records N events (API token creations, each one
HTTP request), and for each polls the audit service until the event is queryable.
Prints a table with p50, p90, p99 and max.  Usage: python -m bench.event_latency [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc

from bench.results import record, row
from gatehouse.audit.v1 import audit_pb2, audit_pb2_grpc
from gatehouse.common.v1 import common_pb2
from tests.integration.flow import Maintainer
from tests.integration.harness import Gatehouse


async def _visible_after(stub, token_id: str) -> float:
    request = audit_pb2.QueryEventsRequest(
        caller=common_pb2.Principal(operator=True), filter=audit_pb2.EventFilter(type="TokenIssued"), limit=5
    )
    while True:
        answer = await stub.QueryEvents(request)
        for event in answer.events:
            if f'"{token_id}"' in event.additional_json:
                return time.time() - event.time_us / 1_000_000
        await asyncio.sleep(0.002)


async def measure(instance: Gatehouse, maintainer: Maintainer, count: int) -> list[float]:
    channel = grpc.aio.insecure_channel(f"unix:{instance.data_dir / 'run' / 'audit.sock'}")
    stub = audit_pb2_grpc.AuditServiceStub(channel)
    latencies = []
    for index in range(count):
        token = await asyncio.to_thread(maintainer.create_token, f"bench-{index}")
        latencies.append(await _visible_after(stub, token["id"]))
    await channel.close()
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as scratch:
        instance = Gatehouse(Path(scratch) / "data", nats_url="")
        instance.start()
        try:
            maintainer = Maintainer(instance, "bench", "bench@example.org", "a-long-benchmark-password")
            maintainer.create_with_cli()
            maintainer.log_in()
            latencies = asyncio.run(measure(instance, maintainer, count))
        finally:
            instance.stop()
    milliseconds = [value * 1000 for value in latencies]
    print(f"\nEvent latency, append -> visible in the audit log ({count} events, SQLite, embedded NATS)")
    print(f"| {'metric':<8} | {'ms':>8} |\n|{'-' * 10}|{'-' * 10}|")
    for label, value in (("p50", percentile(milliseconds, 0.5)), ("p90", percentile(milliseconds, 0.9)),
                         ("p99", percentile(milliseconds, 0.99)), ("max", max(milliseconds)),
                         ("mean", statistics.fmean(milliseconds))):
        print(f"| {label:<8} | {value:>8.1f} |")
    record("event_latency", [row("event append -> audit log, p50 / p99",
                                 f"{percentile(milliseconds, .5):.1f} / {percentile(milliseconds, .99):.1f} ms")])


if __name__ == "__main__":
    main()
