"""Durable JetStream consumers whose handlers are idempotent by event id.

The handled event ids are recorded in the consumer's own database, in the same transaction
as the handler's changes; the message is acknowledged only after that commit. A redelivery
(after a crash, a restart of NATS or of the service) is therefore recognised and skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import nats
import sqlalchemy as sa
import structlog
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import EventStore
from gatehouse.messaging.jetstream import SUBJECT_ROOT, ensure_stream
from gatehouse.observability.metrics import CONSUMER_HANDLED, CONSUMER_LAG

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncConnection, envelope_pb2.EventEnvelope], Awaitable[None]]


def _pending_after(messages) -> int | None:
    """How many messages the stream still holds for this consumer after the fetched ones
    (JetStream says it in each message's reply subject, so asking costs no round trip)."""
    try:
        return messages[-1].metadata.num_pending if messages else 0
    except (nats.errors.NotJSMessageError, ValueError, AttributeError):  # a test double, say
        return None


class DurableConsumer:
    """Feeds every event on `filter_subject` to `handler`, in batches, exactly once in effect."""

    def __init__(
        self,
        nc,
        engine: AsyncEngine,
        store: EventStore,
        name: str,
        handler: Handler,
        stream: str,
        filter_subject: str = f"{SUBJECT_ROOT}.>",
        batch_size: int = 100,
        replicas: int = 1,
    ):
        self._nc = nc
        self._engine = engine
        self._processed = store.processed
        self.name = name
        self._handler = handler
        self._stream = stream
        self._filter = filter_subject
        self._batch_size = batch_size
        self._replicas = replicas
        self._stopping = False
        self._subscription = None
        self.handled = 0

    async def run(self) -> None:
        """Consumes until stop(); survives broker restarts by re-subscribing."""
        while not self._stopping:
            try:
                subscription = await self._subscribe()
                await self._consume(subscription)
            except Exception as error:  # broker away or consumer lost: subscribe again
                if self._stopping:
                    break
                log.warning("consumer.resubscribe", consumer=self.name, error=repr(error))
                await self._drop_subscription()
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        """Ends run() after the batch in flight; call unsubscribe() once it has returned."""
        self._stopping = True

    async def unsubscribe(self) -> None:
        """Drops the pull subscription's inbox (the durable consumer and its position stay).

        nats-py's drain() otherwise waits its whole timeout on a pull subscription whose
        fetch has timed out, which would stall every shutdown.
        """
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _drop_subscription(self) -> None:
        # A lost pull subscription left registered would make the connection's drain() wait
        # for it until its timeout at shutdown, once per lost subscription.
        try:
            await self.unsubscribe()
        except Exception as error:  # the connection is down: nothing left to drop on the server
            log.debug("consumer.unsubscribe_failed", consumer=self.name, error=repr(error))
            self._subscription = None

    async def _subscribe(self):
        js = self._nc.jetstream(timeout=3)
        await ensure_stream(js, self._stream, self._replicas)
        self._subscription = await js.pull_subscribe(
            self._filter,
            durable=self.name,
            stream=self._stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_ack_pending=10_000,
            ),
        )
        return self._subscription

    async def _consume(self, subscription) -> None:
        # The next batch is fetched while this one is handled: the broker's delivery and this
        # process's waits on the database overlap instead of taking turns.
        upcoming = asyncio.ensure_future(self._fetch(subscription))
        try:
            while not self._stopping:
                messages = await upcoming
                upcoming = asyncio.ensure_future(self._fetch(subscription))
                # An empty batch means nothing was waiting for a whole second.
                self._report_pending(_pending_after(messages) if messages else 0)
                if messages:
                    await self._handle_batch(messages)
        finally:
            await self._give_back(upcoming)

    async def _fetch(self, subscription) -> list:
        try:
            return await subscription.fetch(self._batch_size, timeout=1)
        except (nats.errors.TimeoutError, asyncio.TimeoutError):
            return []

    async def _give_back(self, upcoming: asyncio.Future) -> None:
        """Returns a batch fetched but never handled (stop) for redelivery now, not after ack_wait."""
        try:
            messages = await upcoming
        except Exception:  # the broker went away: it redelivers after ack_wait
            return
        for message in messages:
            await message.nak()

    def _report_pending(self, pending: int | None) -> None:
        if pending is not None:
            CONSUMER_LAG.labels(self.name).set(pending)

    async def _handle_batch(self, messages) -> None:
        try:
            await self._handle_together(messages)
        except Exception:
            # One bad event must not hold the others back: retry them one at a time.
            await self._handle_singly(messages)
            return
        for message in messages:
            await message.ack()

    async def _handle_together(self, messages) -> None:
        """Handles a fetched batch in one transaction; subclasses may do it in fewer statements."""
        handled = 0
        async with self._engine.begin() as connection:
            for message in messages:
                handled += await self._handle_one(connection, message)
        self._count_handled(handled)

    async def _handle_singly(self, messages) -> None:
        for message in messages:
            try:
                async with self._engine.begin() as connection:
                    handled = await self._handle_one(connection, message)
            except Exception as error:
                await self._on_failure(message, error)
                continue
            self._count_handled(handled)
            await message.ack()

    def _count_handled(self, count: int) -> None:
        """Counts events handled for the first time, once their transaction has committed (a
        batch rolled back and retried one by one is counted once)."""
        self.handled += count
        CONSUMER_HANDLED.labels(self.name).inc(count)

    async def _on_failure(self, message, error: Exception) -> None:
        """A message that failed on its own: redelivered later (subclasses may park it)."""
        log.error("consumer.handler_failed", consumer=self.name, subject=message.subject, exc_info=error)
        await message.nak(delay=5)

    async def _handle_one(self, connection: AsyncConnection, message) -> bool:
        """Handles one message in the caller's transaction; False when it was handled before."""
        envelope = envelope_pb2.EventEnvelope.FromString(message.data)
        if await self._already_handled(connection, envelope.event_id):
            return False
        await self._apply(connection, envelope, message)
        await connection.execute(
            sa.insert(self._processed).values(consumer=self.name, event_id=envelope.event_id)
        )
        return True

    async def _apply(self, connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope, message) -> None:
        """Runs the handler on one message's event; subclasses may also read the message's metadata."""
        await self._handler(connection, envelope)

    async def _already_handled(self, connection: AsyncConnection, event_id: str) -> bool:
        query = sa.select(sa.literal(1)).where(
            self._processed.c.consumer == self.name, self._processed.c.event_id == event_id
        )
        return (await connection.execute(query)).first() is not None
