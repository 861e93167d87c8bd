"""The retention job: every interval, removes projected rows older than the retention period.

GATEHOUSE_AUDIT_RETENTION_DAYS (a number of days, fractions allowed; unset or 0: keep
everything). The chains stay verifiable: each trimmed stream records where its kept part begins.
"""

from __future__ import annotations

import asyncio
import os

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from services.audit.application.integrity import apply_retention

log = structlog.get_logger(__name__)

RETENTION_ENV = "GATEHOUSE_AUDIT_RETENTION_DAYS"
INTERVAL_ENV = "GATEHOUSE_AUDIT_RETENTION_INTERVAL"


def retention_days(environ: dict[str, str] | None = None) -> float:
    """The configured retention in days (0: keep everything). Raises ValueError for a bad value."""
    text = (os.environ if environ is None else environ).get(RETENTION_ENV, "").strip()
    days = float(text) if text else 0.0
    if days < 0:
        raise ValueError(f"{RETENTION_ENV} must not be negative")
    return days


class RetentionJob:
    """Runs apply_retention every `interval` seconds while the process lives."""

    def __init__(self, engine: AsyncEngine, days: float, interval: float = 3600.0):
        self._engine = engine
        self._days = days
        self._interval = interval

    async def run(self) -> None:
        """Trims, then sleeps, until cancelled; a failed pass is logged and retried next time."""
        if self._days <= 0:
            return
        while True:
            try:
                removed = await apply_retention(self._engine, self._days)
                log.info("audit.retention_applied", days=self._days, removed=removed)
            except Exception:  # a database hiccup must not end the job
                log.exception("audit.retention_failed")
            await asyncio.sleep(self._interval)
