"""One page of a security log with 1,000,000 events in the projection: p50/p99 of QueryEvents'
handler (authorization, SQL, rendering) for a busy user, a rare user, a deep page and a project.

The projection tables are filled directly (bulk inserts), not through the stream.
SQLite by default; PostgreSQL with GATEHOUSE_BENCH_DATABASE_URL.
Usage: python -m bench.audit_query [EVENTS]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.audit_events import drop_database
from bench.results import record, row
from gatehouse.audit.v1 import audit_pb2
from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.database import create_engine, migrate
from services.audit.adapters.tables import audit_users, log_entries, security_events
from services.audit.application.handlers import Dependencies, query_events
from services.audit.bootstrap import MIGRATIONS

USERS = 1000
CHUNK = 20_000
OPERATOR = common_pb2.Principal(operator=True)


class AllowAll:
    async def allows(self, principal, project, permission) -> bool:
        return True


def _row(seq: int, user: int) -> dict:
    return {
        "seq": seq, "event_id": f"e-{seq}", "tag": "account:login:success", "service": "identity",
        "event_type": "LoginSucceeded", "stream": f"user-u{user}", "version": seq // USERS + 1,
        "occurred_at_us": 1_700_000_000_000_000 + seq * 1000, "actor_user_id": f"u{user}",
        "actor_username": f"user{user}", "actor_token_id": "", "actor_ip": f"192.0.2.{user % 250}",
        "actor_user_agent": "pip/24.0", "subject_user_id": f"u{user}", "subject_username": f"user{user}",
        "subject_project": f"project{user % 100}", "subject_project_id": "", "payload": b"\x0a\x02u1",
        "additional": json.dumps({"user_id": f"u{user}"}), "hash": "a" * 64, "prev_hash": "b" * 64, "chain_ok": True,
    }


def _user_of(seq: int) -> int:
    # user 0 is rare (one event in 10,000); the others share the rest round-robin.
    return 0 if seq % 10_000 == 0 else 1 + seq % (USERS - 1)


def fill(url: str, count: int) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sa.insert(audit_users), [
            {"user_id": f"u{u}", "username": f"user{u}", "username_key": f"user{u}"} for u in range(USERS)
        ])
    for start in range(1, count + 1, CHUNK):
        seqs = range(start, min(start + CHUNK, count + 1))
        with engine.begin() as connection:
            connection.execute(sa.insert(security_events), [_row(seq, _user_of(seq)) for seq in seqs])
            connection.execute(sa.insert(log_entries), [
                entry for seq in seqs for entry in (
                    {"log_key": f"user:u{_user_of(seq)}", "seq": seq},
                    {"log_key": f"project:project{_user_of(seq) % 100}", "seq": seq},
                )
            ])
    engine.dispose()


async def _time(deps: Dependencies, request: audit_pb2.QueryEventsRequest, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = await query_events(deps, request)
        timings.append(time.perf_counter() - started)
        assert answer.events
    return timings


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] * 1000


async def measure(url: str, runs: int = 200) -> None:
    engine = create_engine(url)
    deps = Dependencies(engine=engine, access=AllowAll())
    deep = audit_pb2.QueryEventsRequest(caller=OPERATOR, filter=audit_pb2.EventFilter(user="user7"), limit=50)
    first = await query_events(deps, deep)
    for _ in range(5):  # a cursor some pages back
        deep.cursor = first.next_cursor
        first = await query_events(deps, deep)
    cases = {
        "busy user, first page": audit_pb2.QueryEventsRequest(
            caller=common_pb2.Principal(user_id="u7", username="user7"), filter=audit_pb2.EventFilter(user="user7")),
        "rare user, first page": audit_pb2.QueryEventsRequest(caller=OPERATOR, filter=audit_pb2.EventFilter(user="user0")),
        "busy user, 6th page": deep,
        "project, first page": audit_pb2.QueryEventsRequest(
            caller=common_pb2.Principal(user_id="u7", username="user7"), filter=audit_pb2.EventFilter(project="project7")),
        "IP, first page": audit_pb2.QueryEventsRequest(caller=OPERATOR, filter=audit_pb2.EventFilter(ip_address="192.0.2.7")),
    }
    rows = []
    for name, request in cases.items():
        timings = await _time(deps, request, runs)
        print(f"| {name} | p50 {_p(timings, .5):.1f} ms | p99 {_p(timings, .99):.1f} ms |")
        rows.append(row(f"audit query, {name}", f"p50 {_p(timings, .5):.1f} ms"))
    record("audit_query", rows[:2])
    await engine.dispose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory(prefix="gh-query-") as tmp:
        base = os.environ.get("GATEHOUSE_BENCH_DATABASE_URL", "")
        url = f"{base}_query_{os.getpid()}" if base else f"sqlite:///{Path(tmp) / 'audit.db'}"
        migrate(url, MIGRATIONS)
        started = time.perf_counter()
        fill(url, count)
        print(f"filled {count} events in {time.perf_counter() - started:.0f} s ({url.split(':')[0]})")
        try:
            asyncio.run(measure(url))
        finally:
            drop_database(url)


if __name__ == "__main__":
    main()
