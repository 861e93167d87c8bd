"""Login latency (password + TOTP, through the gateway) and the second-step rate limiter under
1,000 wrong codes from one address.

Starts a whole instance as `make run` does. Part 1: N users (created over the identity gRPC API,
each with recovery codes and TOTP enrolled through the JSON API) each log in once: the time from
the password request to the TOTP step's answer. Each user logs in once because a TOTP step is
accepted once per user (replay refusal). Part 2: 1,000 wrong codes from 127.0.0.1 spread over
20 users with pending logins: how many were checked (401) and how many refused unchecked (429),
the Retry-After values and the refusal latency.  Usage: python -m bench.login_latency [N]
"""

from __future__ import annotations

import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc

from bench.event_latency import percentile
from bench.results import record, row
from gatehouse.common.v1 import common_pb2
from gatehouse.identity.v1 import identity_pb2, identity_pb2_grpc
from tests.integration.flow import Maintainer
from tests.integration.harness import Gatehouse

PASSWORD = "a-long-benchmark-password"


def create_users(instance: Gatehouse, prefix: str, count: int) -> list[Maintainer]:
    """Users created over gRPC, each logged in once with TOTP enrolled."""
    channel = grpc.insecure_channel(f"unix:{instance.data_dir / 'run' / 'identity.sock'}")
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    users = []
    for index in range(count):
        name = f"{prefix}{index}"
        stub.CreateUser(identity_pb2.CreateUserRequest(
            username=name, email=f"{name}@example.org", email_verified=True, password=PASSWORD,
            actor=common_pb2.Principal(operator=True)))
        user = Maintainer(instance, name, f"{name}@example.org", PASSWORD)
        user.log_in()  # no factor yet: enrols recovery codes and TOTP
        users.append(user)
    channel.close()
    return users


def password_step(user: Maintainer) -> None:
    """A fresh session through the password step."""
    user.http.cookies.clear()
    answer = user.http.post(f"{user.gatehouse.url}/api/v1/session", json={"username": user.username,
                                                                         "password": user.password})
    assert answer.status_code == 200, answer.text
    user.csrf = answer.json()["csrf_token"]


def login_latencies(users: list[Maintainer]) -> list[float]:
    """Seconds from the password request to the TOTP answer, per user."""
    latencies = []
    for user in users:
        code = user.next_totp_code()
        started = time.perf_counter()
        password_step(user)
        answer = user.post("/api/v1/session/totp", {"code": code})
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return latencies


def flood(users: list[Maintainer], attempts: int) -> tuple[collections.Counter, list[float], set[int]]:
    """Sends wrong codes round-robin; statuses, 429 latencies, Retry-After values."""
    statuses: collections.Counter = collections.Counter()
    refusal_times, retry_after = [], set()
    for user in users:
        password_step(user)
    for index in range(attempts):
        user = users[index % len(users)]
        started = time.perf_counter()
        answer = user.post("/api/v1/session/totp", {"code": "000000"})
        statuses[answer.status_code] += 1
        if answer.status_code == 429:
            refusal_times.append(time.perf_counter() - started)
            retry_after.add(int(answer.headers.get("Retry-After", "0")))
    return statuses, refusal_times, retry_after


def table(title: str, rows: list[tuple[str, str]]) -> None:
    """Prints a two-column Markdown table."""
    print(f"\n{title}\n| {'metric':<34} | {'value':>12} |\n|{'-' * 36}|{'-' * 14}|")
    for label, value in rows:
        print(f"| {label:<34} | {value:>12} |")


def main() -> None:
    """Runs both measurements on a fresh instance and prints the tables."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as scratch:
        instance = Gatehouse(Path(scratch) / "data", nats_url="")
        instance.start()
        try:
            latencies = [s * 1000 for s in login_latencies(create_users(instance, "bench", count))]
            statuses, refusals, retry_after = flood(create_users(instance, "flood", 20), 1000)
        finally:
            instance.stop()
    table(f"Login latency, password + TOTP through the gateway ({count} logins, SQLite, embedded NATS)", [
        ("p50 ms", f"{percentile(latencies, 0.5):.1f}"), ("p99 ms", f"{percentile(latencies, 0.99):.1f}"),
        ("max ms", f"{max(latencies):.1f}"), ("mean ms", f"{statistics.fmean(latencies):.1f}")])
    refusal_ms = [s * 1000 for s in refusals] or [0.0]
    record("login_latency", [row("login (password + TOTP) p50 / p99",
                                 f"{percentile(latencies, 0.5):.1f} / {percentile(latencies, 0.99):.1f} ms")])
    table("1,000 wrong TOTP codes from one address (20 users, default limits)", [
        ("checked (401)", str(statuses[401])), ("refused unchecked (429)", str(statuses[429])),
        ("other statuses", str(sum(v for k, v in statuses.items() if k not in (401, 429)))),
        ("429 latency p50 ms", f"{percentile(refusal_ms, 0.5):.1f}"),
        ("429 latency p99 ms", f"{percentile(refusal_ms, 0.99):.1f}"),
        ("Retry-After values (s)", f"{min(retry_after, default='-')}..{max(retry_after, default='-')}")])


if __name__ == "__main__":
    main()
