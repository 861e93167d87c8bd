"""Audit projection throughput: events/s from a pre-filled JetStream stream into the projection.

Starts a private NATS, publishes N chained LoginSucceeded events over 100 accounts, then runs
the audit projector (the real ParkingConsumer) on a fresh database until it has projected
all N. SQLite by default; PostgreSQL with GATEHOUSE_BENCH_DATABASE_URL (e.g.
postgresql://postgres@127.0.0.1:5432/gh_bench, created if missing, dropped after).

Prints wall-clock events/s and, because a shared machine makes wall clock noisy, the CPU
seconds the projection cost: the projector's own, and with it NATS's and (PostgreSQL) the
database backends'. N / (all of them) is what the pipeline does per CPU-second whatever
the load; the wall-clock rate on an idle machine lies between that and twice it (2 cores).
Usage: python -m bench.audit_projection [N]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone (a backend the pool closed): not counted
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backend_pids(engine) -> list[int]:
    """The PostgreSQL backends serving this database (none for SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    async with engine.connect() as connection:
        query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return list((await connection.execute(query)).scalars())


async def project_all(nats_url: str, db_url: str, count: int, batch: int, nats_pid: int) -> dict[str, float]:
    """Wall-clock seconds to project `count` events and the CPU seconds each part used."""
    engine = create_engine(db_url)
    client = await connect(nats_url, "bench-projector")
    consumer = ParkingConsumer(client, engine, store, "bench-projector", project_envelope, STREAM, batch_size=batch)
    backends = {pid: cpu_seconds(pid) for pid in await backend_pids(engine)}
    started, cpu_started, nats_started = time.perf_counter(), time.process_time(), cpu_seconds(nats_pid)
    task = asyncio.create_task(consumer.run())
    while consumer.handled < count:
        await asyncio.sleep(0.05)
    figures = {"wall": time.perf_counter() - started, "projector": time.process_time() - cpu_started,
               "nats": cpu_seconds(nats_pid) - nats_started}
    # Backends the pool opened during the run started from zero.
    figures["database"] = sum(cpu_seconds(pid) - backends.get(pid, 0.0) for pid in await backend_pids(engine))
    await consumer.stop()
    await asyncio.wait([task], timeout=5)
    await consumer.unsubscribe()
    await client.drain()
    await engine.dispose()
    return figures


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
            figures = asyncio.run(project_all(nats.url, url, count, batch, nats.process.pid))
        finally:
            nats.stop()
            drop_database(url)
    backend = url.split(":", 1)[0]
    wall, projector = figures["wall"], figures["projector"]
    total = projector + figures["nats"] + figures["database"]
    print(f"| audit projection ({backend}, batch {batch}) | {count} events | {wall:.2f} s | "
          f"{count / wall:,.0f} events/s | projector CPU {projector:.2f} s = {count / projector:,.0f} events/CPU-s | "
          f"+ NATS {figures['nats']:.2f} s + database {figures['database']:.2f} s "
          f"= {count / total:,.0f} events/CPU-s |")
    record(f"audit_projection_{backend}", [row(f"audit projection ({backend})",
                                               f"{count / wall:,.0f} events/s ({count / projector:,.0f}/projector CPU-s)")])


if __name__ == "__main__":
    main()
