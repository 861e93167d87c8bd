"""The outbox relay: publishes committed events to JetStream in order, at least once."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.database import reader
from gatehouse.eventstore.store import EventStore, envelope_from_row
from gatehouse.messaging.jetstream import subject_for
from gatehouse.messaging.lease import RelayLease
from gatehouse.observability.metrics import OUTBOX_LAG

LAG_REPORT_INTERVAL = 0.5  # seconds between two outbox lag counts while events flow

log = structlog.get_logger(__name__)


class EventPublisher(Protocol):
    async def publish(self, envelope: envelope_pb2.EventEnvelope) -> None:
        """Publishes one event; raises when the broker did not acknowledge it."""


class JetStreamPublisher:
    """Publishes envelopes with Nats-Msg-Id = event id, so a re-publish is de-duplicated."""

    def __init__(self, js, timeout: float = 2.0):
        self._js = js
        self._timeout = timeout

    async def publish(self, envelope: envelope_pb2.EventEnvelope) -> None:
        await self._js.publish(
            subject_for(envelope.service, envelope.type),
            envelope.SerializeToString(),
            timeout=self._timeout,
            headers={"Nats-Msg-Id": envelope.event_id},
        )


class OutboxRelay:
    """Moves events from the outbox to the broker, oldest first, never skipping one.

    An event stays in the outbox until the broker acknowledged it; a failed publish is
    retried (with back-off) before anything after it, so a stream is never reordered.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        store: EventStore,
        publisher: EventPublisher,
        lease: RelayLease,
        batch_size: int = 200,
        poll_interval: float = 0.5,
    ):
        self._engine = engine
        self._store = store
        self._publisher = publisher
        self._lease = lease
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._stopping = False
        self._lag_reported_at = -LAG_REPORT_INTERVAL

    def notify(self) -> None:
        """Called after a commit that recorded events."""
        self._wake.set()

    async def run(self) -> None:
        """Relays until stop() is called; keeps the outbox lag gauge current."""
        while not self._stopping:
            if not await self._lease.acquire():
                OUTBOX_LAG.labels(self._store.service).set(0)  # the lease holder reports it
                await self._sleep(self._poll_interval * 4)
                continue
            published = await self.relay_pending()
            await self._report_lag_now_and_then()
            if published < self._batch_size:
                # All caught up: a commit since the read set the wake-up, so this returns at once.
                await self._sleep(self._poll_interval)

    async def _report_lag_now_and_then(self) -> None:
        # A count per round would cost as much as relaying a busy service's events.
        now = time.monotonic()
        if now - self._lag_reported_at >= LAG_REPORT_INTERVAL:
            self._lag_reported_at = now
            await self._report_lag()

    async def _report_lag(self) -> None:
        try:
            OUTBOX_LAG.labels(self._store.service).set(await self.lag())
        except sa.exc.SQLAlchemyError as error:  # a metric is not worth stopping the relay for
            log.warning("outbox.lag_unknown", error=repr(error))

    async def stop(self) -> None:
        """Finishes the batch in flight and returns; unpublished events stay in the outbox."""
        self._stopping = True
        self._wake.set()
        await self._lease.release()

    async def relay_pending(self) -> int:
        """Publishes one batch; returns how many events were published."""
        envelopes = await self._pending()
        published = []
        for envelope in envelopes:
            if not await self._publish_with_backoff(envelope):
                break
            published.append(envelope.position)
        if published:
            await self._forget(published)
        return len(published)

    async def _pending(self) -> list[envelope_pb2.EventEnvelope]:
        events, outbox = self._store.events, self._store.outbox
        query = (
            sa.select(events)
            .join(outbox, outbox.c.position == events.c.position)
            .order_by(events.c.position)
            .limit(self._batch_size)
        )
        # A read-only transaction: on SQLite it does not queue for the write lock behind the
        # requests whose commits woke the relay (what they commit later is read next round).
        async with reader(self._engine).connect() as connection:
            rows = (await connection.execute(query)).all()
            await connection.rollback()
        return [envelope_from_row(self._store.service, row) for row in rows]

    async def _publish_with_backoff(self, envelope) -> bool:
        delay = 0.1
        while not self._stopping:
            try:
                await self._publisher.publish(envelope)
                return True
            except Exception as error:  # broker down, timeout, reconnecting: all retried
                log.warning(
                    "outbox.publish_failed", event_id=envelope.event_id, error=repr(error), retry_in=delay
                )
                await self._report_lag()  # the lag grows while the broker is away: keep it visible
                await self._sleep(delay)
                delay = min(delay * 2, 5.0)
        return False

    async def _forget(self, positions: list[int]) -> None:
        outbox = self._store.outbox
        async with self._engine.begin() as connection:
            await connection.execute(sa.delete(outbox).where(outbox.c.position.in_(positions)))

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass
        self._wake.clear()

    async def lag(self) -> int:
        """How many events wait in the outbox."""
        async with self._engine.connect() as connection:
            count = (await connection.execute(sa.select(sa.func.count()).select_from(self._store.outbox))).scalar()
            await connection.rollback()
        return int(count or 0)
