"""Who may run a service's outbox relay: exactly one replica at a time, so order holds."""

from __future__ import annotations

import zlib
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class RelayLease(Protocol):
    async def acquire(self) -> bool:
        """Tries to become the relay; True when this process holds the lease."""

    async def release(self) -> None: ...


class ProcessLease:
    """SQLite databases belong to one process, so that process always holds the lease."""

    async def acquire(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLockLease:
    """A PostgreSQL session advisory lock held on a dedicated connection."""

    def __init__(self, engine: AsyncEngine, service: str):
        self._engine = engine
        self._key = zlib.crc32(f"gatehouse-relay-{service}".encode())
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._connection is not None and not self._connection.closed:
            return True
        connection = await self._engine.connect()
        held = (
            await connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
        ).scalar()
        await connection.commit()
        if held:
            self._connection = connection
            return True
        await connection.close()
        return False

    async def release(self) -> None:
        if self._connection is not None:
            await self._connection.close()  # closing the session frees the lock
            self._connection = None


def lease_for(engine: AsyncEngine, service: str) -> RelayLease:
    """The lease that fits the engine's database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLease(engine, service)
    return ProcessLease()
