"""Audit projection throughput: events/s from a pre-filled JetStream stream into the projection.

Starts a private NATS, publishes N chained LoginSucceeded events over 100 accounts, then runs
the audit projector (the real DurableConsumer + project_envelope) on a fresh database until
it has projected all N (wall clock, and the projector's own CPU time).  SQLite by default; PostgreSQL with GATEHOUSE_BENCH_DATABASE_URL
(e.g. postgresql://postgres@127.0.0.1:5432/gh_bench, created if missing).
Usage: python -m bench.audit_projection [N]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.audit_events import Publisher, drop_database, user_logins
from bench.results import record, row
from gatehouse.embedded_nats import free_port
from gatehouse.eventstore.database import create_engine, ensure_database, migrate
from gatehouse.messaging.jetstream import connect
from services.audit.adapters.tables import store
from services.audit.application.projector import project_envelope
from services.audit.bootstrap import MIGRATIONS
from services.audit.entrypoints.event_consumer import ParkingConsumer
from tests.integration.harness import NatsServer

STREAM = "GATEHOUSE_EVENTS"


def database_url(workdir: Path) -> str:
    base = os.environ.get("GATEHOUSE_BENCH_DATABASE_URL", "")
    if not base:
        return f"sqlite:///{workdir / 'audit.db'}"
    return f"{base}_{os.getpid()}"


async def prefill(url: str, count: int) -> None:
    async with Publisher(url, STREAM) as publisher:
        for envelope in user_logins(count):
            await publisher.publish(envelope)


async def project_all(nats_url: str, db_url: str, count: int, batch: int) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds to project `count` events."""
    engine = create_engine(db_url)
    client = await connect(nats_url, "bench-projector")
    consumer = ParkingConsumer(client, engine, store, "bench-projector", project_envelope, STREAM, batch_size=batch)
    started, cpu_started = time.perf_counter(), time.process_time()
    task = asyncio.create_task(consumer.run())
    while consumer.handled < count:
        await asyncio.sleep(0.05)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    await consumer.stop()
    await asyncio.wait([task], timeout=5)
    await consumer.unsubscribe()
    await client.drain()
    await engine.dispose()
    return elapsed, cpu


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    batch = int(os.environ.get("GATEHOUSE_BENCH_BATCH", "1000"))
    with tempfile.TemporaryDirectory(prefix="gh-bench-") as tmp:
        workdir = Path(tmp)
        url = database_url(workdir)
        nats = NatsServer(workdir / "nats")
        nats.start()
        try:
            asyncio.run(prefill(nats.url, count))
            ensure_database(url)
            migrate(url, MIGRATIONS)
            elapsed, cpu = asyncio.run(project_all(nats.url, url, count, batch))
        finally:
            nats.stop()
            drop_database(url)
    backend = url.split(":", 1)[0]
    # The CPU column is the projector's own CPU time (not NATS's or PostgreSQL's): on a shared,
    # loaded machine it tells what one free core would do, where wall-clock time cannot.
    print(f"| audit projection ({backend}, batch {batch}) | {count} events | {elapsed:.2f} s | "
          f"{count / elapsed:,.0f} events/s | projector CPU {cpu:.2f} s = {count / cpu:,.0f} events/CPU-s |")
    record(f"audit_projection_{backend}", [row(f"audit projection ({backend})",
                                               f"{count / elapsed:,.0f} events/s ({count / cpu:,.0f}/CPU-s)")])


if __name__ == "__main__":
    main()
