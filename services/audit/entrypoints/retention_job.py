"""The retention job: every interval, removes projected rows older than their log's retention.

GATEHOUSE_AUDIT_RETENTION_DAYS is the retention of every log (days, fractions allowed; unset or
0: keep everything); GATEHOUSE_AUDIT_RETENTION_DAYS_USER, _PROJECT and _IP override it for user,
project and IP logs (0 keeps that kind whole). The chains stay verifiable: each trimmed stream
records where its kept part begins.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit.application.integrity import apply_retention
from services.audit.domain.retention import KINDS, RetentionPolicy

log = structlog.get_logger(__name__)

RETENTION_ENV = "GATEHOUSE_AUDIT_RETENTION_DAYS"
INTERVAL_ENV = "GATEHOUSE_AUDIT_RETENTION_INTERVAL"


def _days(environ: Mapping[str, str], name: str) -> float | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        days = float(text)
    except ValueError as error:
        raise ValueError(f"{name} must be a number of days, not {text!r}.") from error
    if days < 0:
        raise ValueError(f"{name} must not be negative.")
    return days


def retention_days(environ: Mapping[str, str] | None = None) -> float:
    """The retention of every log in days (0: keep everything). Raises ValueError for a bad value."""
    return _days(os.environ if environ is None else environ, RETENTION_ENV) or 0.0


def retention_policy(environ: Mapping[str, str] | None = None) -> RetentionPolicy:
    """The default retention and the per-kind overrides set in the environment.
    Raises ValueError for a value that is not a non-negative number."""
    environ = os.environ if environ is None else environ
    overrides = {}
    for kind in KINDS:
        days = _days(environ, f"{RETENTION_ENV}_{kind.upper()}")
        if days is not None:
            overrides[kind] = days
    return RetentionPolicy(retention_days(environ), overrides)


class RetentionJob:
    """Runs apply_retention every `interval` seconds while the process lives."""

    def __init__(self, engine: AsyncEngine, policy: RetentionPolicy, interval: float = 3600.0):
        self._engine = engine
        self._policy = policy
        self._interval = interval

    async def run_once(self, now_us: int | None = None) -> int:
        """One pass as of `now_us` (default: the clock): returns how many rows were removed.
        Raises only database errors."""
        removed = await apply_retention(self._engine, self._policy, now_us)
        log.info("audit.retention_applied", removed=removed)
        return removed

    async def run(self) -> None:
        """Trims, then sleeps, until cancelled; a failed pass is logged and retried next time.
        Returns at once when the policy keeps everything."""
        if self._policy.keeps_everything:
            return
        while True:
            try:
                await self.run_once()
            except Exception:  # a database hiccup must not end the job
                log.exception("audit.retention_failed")
            await asyncio.sleep(self._interval)
