"""One transaction per command: events appended and read models updated together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.database import reader
from gatehouse.eventstore.store import ConcurrencyConflict, EventStore

T = TypeVar("T")


class UnitOfWork(Protocol):
    """What a handler sees: the transaction's connection and the event store."""

    connection: AsyncConnection

    async def record(
        self,
        stream: str,
        expected_version: int | None,
        events: Sequence[Message],
        actor: envelope_pb2.Actor,
        subjects: envelope_pb2.Subjects,
    ) -> list[envelope_pb2.EventEnvelope]: ...

    async def load(self, stream: str, after_version: int = 0) -> list[Message]: ...


class SqlUnitOfWork:
    """A UnitOfWork over one SQLAlchemy transaction; commit wakes the outbox relay."""

    def __init__(self, engine: AsyncEngine, store: EventStore, on_commit: Callable[[], None],
                 writers: asyncio.Lock | None = None):
        self._engine = engine
        self._store = store
        self._on_commit = on_commit
        self._recorded = False
        self._writers = writers

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._writers is not None:
            await self._writers.acquire()
        try:
            self.connection = await self._engine.connect()
            self._transaction = await self.connection.begin()
        except BaseException:
            self._release()
            raise
        return self

    async def __aexit__(self, *exc_info) -> None:
        try:
            if self._transaction.is_active:
                await self._transaction.rollback()
            await self.connection.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._writers is not None:
            self._writers.release()

    async def record(self, stream, expected_version, events, actor, subjects):
        """Appends events to `stream` in this transaction (see EventStore.append)."""
        self._recorded = True
        return await self._store.append(
            self.connection, stream, expected_version, events, actor, subjects
        )

    async def load(self, stream: str, after_version: int = 0) -> list[Message]:
        """The events of `stream` after `after_version` (all by default) as this transaction sees them."""
        return await self._store.load(self.connection, stream, after_version)

    async def commit(self) -> None:
        """Commits; the relay is told so that new events are published at once."""
        await self._transaction.commit()
        if self._recorded:
            self._on_commit()


class UnitOfWorkFactory:
    """Opens units of work and runs handlers in them, retrying concurrency conflicts."""

    def __init__(self, engine: AsyncEngine, store: EventStore, on_commit: Callable[[], None]):
        self.engine = engine
        self.store = store
        self._on_commit = on_commit
        # SQLite has one writer at a time, and a transaction waiting for the write lock polls
        # with growing sleeps (sqlite_inline): this process's writers queue here in turn instead (the
        # lock is held exactly while SQLite's would be; other processes still meet the busy wait).
        self._writers = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.store, self._on_commit, self._writers)

    def reading(self) -> SqlUnitOfWork:
        """A unit of work for checks that only read (see database.reader): on SQLite it neither
        takes nor waits for the write lock, so it does not queue behind other requests' commits.
        Never record or write through it (that may fail with OperationalError); decisions taken
        on what it read must be taken again in the unit of work that records."""
        return SqlUnitOfWork(reader(self.engine), self.store, self._on_commit)

    async def run(self, handler: Callable[[UnitOfWork], Awaitable[T]], attempts: int = 5) -> T:
        """Runs `handler` in a fresh unit of work and commits it.

        A ConcurrencyConflict re-runs the handler from scratch (it re-reads its state);
        after `attempts` conflicts the last one is raised. Other errors roll back and propagate.
        """
        for attempt in range(1, attempts + 1):
            try:
                async with self() as unit:
                    result = await handler(unit)
                    await unit.commit()
                    return result
            except ConcurrencyConflict:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    async def read(self, handler: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Runs `handler`, which must only read, in a deferred transaction (database.reader):
        on SQLite it neither takes nor waits for the write lock and sees the last committed
        state. Nothing is committed; a write through it may fail with OperationalError."""
        async with self.reading() as unit:
            return await handler(unit)
