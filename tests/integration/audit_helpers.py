"""Shared by the audit integration tests: the CLI's export, the audit database, waiting."""

from __future__ import annotations

import json
import time

import sqlalchemy as sa

from gatehouse import settings as gatehouse_settings


def export(gatehouse, *args: str) -> list[dict]:
    """`gatehouse audit export` parsed, one dict per line."""
    done = gatehouse.cli("audit", "export", *args)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def audit_engine(gatehouse) -> sa.Engine:
    """A synchronous engine on the instance's audit database (SQLite or PostgreSQL)."""
    url = gatehouse_settings.load(gatehouse.env).database_url_for("audit")
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def wait_until(predicate, timeout: float, interval: float = 0.2):
    """Polls `predicate` until it returns something truthy; returns that, or fails."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            assert value, f"not reached within {timeout} s"
            return value
        time.sleep(interval)


def history_with(gatehouse, username: str, sentences, timeout: float = 30) -> str:
    """`gatehouse audit query --user` once it shows every sentence (the last event of a flow
    reaches the log a moment after the HTTP answer); fails after `timeout` with the last output."""
    last = []

    def shows_all():
        last[:] = [gatehouse.cli("audit", "query", "--user", username)]
        return all(sentence in last[0].stdout for sentence in sentences)

    try:
        wait_until(shows_all, timeout=timeout, interval=0.5)
    except AssertionError:
        raise AssertionError(f"not all of {list(sentences)} in:\n{last[0].stdout}{last[0].stderr}") from None
    return last[0].stdout
