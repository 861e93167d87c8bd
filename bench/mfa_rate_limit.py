"""The second-step rate limiter under 1,000 wrong TOTP codes from one address, sent in parallel.

Starts a whole instance as `make run` does, creates U users with TOTP enrolled, takes each
through the password step, then fires the wrong codes round-robin over the users from W threads
at once. With the default limits (per address 10 per 5 minutes) at most 10 may be checked (401)
whatever the concurrency; every other attempt must be refused unchecked (429).
Usage: python -m bench.mfa_rate_limit [ATTEMPTS] [WORKERS] [USERS]; with GATEHOUSE_TEST_DATABASE_URL
set, on a fresh PostgreSQL database (dropped afterwards) instead of SQLite.
"""

from __future__ import annotations

import collections
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.event_latency import percentile
from bench.login_latency import create_users, password_step, table
from bench.results import record, row
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url
from tests.integration.flow import Maintainer

ADDRESS_LIMIT = 10  # the default "ip:10/300"


def wrong_code_sender(users: list[Maintainer]):
    """A function sending attempt i's wrong code (as users[i % U]); answers (status, seconds)."""
    sessions = []
    for user in users:
        session = requests.Session()
        session.cookies.update(user.http.cookies)
        sessions.append((session, user))

    def send(index: int) -> tuple[int, float]:
        session, user = sessions[index % len(sessions)]
        started = time.perf_counter()
        answer = session.post(f"{user.gatehouse.url}/api/v1/session/totp", json={"code": "000000"},
                              headers={"X-CSRF-Token": user.csrf})
        return answer.status_code, time.perf_counter() - started

    return send


def burst(users: list[Maintainer], attempts: int, workers: int) -> tuple[collections.Counter, list[float], float]:
    """Statuses, per-request latencies (s) and the wall time (s) of the whole burst."""
    for user in users:
        password_step(user)
    send = wrong_code_sender(users)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(send, range(attempts)))
    return collections.Counter(status for status, _ in results), [s for _, s in results], time.perf_counter() - started


def main() -> None:
    """Runs the burst on a fresh instance and prints a table."""
    attempts = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    user_count = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    database_url = postgres_base_url()
    with tempfile.TemporaryDirectory() as scratch:
        instance = Gatehouse(Path(scratch) / "data", nats_url="", database_url=database_url)
        instance.start()
        try:
            statuses, latencies, wall = burst(create_users(instance, "burst", user_count), attempts, workers)
        finally:
            instance.stop()
            if database_url:
                drop_postgres_databases(database_url)
    milliseconds = [s * 1000 for s in latencies]
    checked = statuses[401]
    backend = "PostgreSQL" if database_url else "SQLite"
    table(f"{attempts} wrong TOTP codes from one address, {workers} in parallel ({user_count} users, {backend})", [
        ("checked (401)", str(checked)), ("refused unchecked (429)", str(statuses[429])),
        ("other statuses", str(sum(v for k, v in statuses.items() if k not in (401, 429)))),
        ("address limit held (<= 10 checked)", "yes" if checked <= ADDRESS_LIMIT else "NO"),
        ("wall time s", f"{wall:.2f}"), ("attempts per second", f"{attempts / wall:.0f}"),
        ("latency p50 ms", f"{percentile(milliseconds, 0.5):.1f}"),
        ("latency p99 ms", f"{percentile(milliseconds, 0.99):.1f}")])
    record(f"mfa_rate_limit_{backend}", [
        row(f"wrong TOTP burst ({backend}): checked of {attempts}", str(checked), f"<= {ADDRESS_LIMIT}",
            checked <= ADDRESS_LIMIT),
        row(f"wrong TOTP burst ({backend}): latency p50 / p99",
            f"{percentile(milliseconds, 0.5):.1f} / {percentile(milliseconds, 0.99):.1f} ms")])
    if checked > ADDRESS_LIMIT:
        sys.exit(1)


if __name__ == "__main__":
    main()
