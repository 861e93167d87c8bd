"""The projector: a durable JetStream consumer feeding every domain event to the projection.

It parks a message it cannot handle after MAX_DELIVERIES attempts, or at once when its
envelope or payload does not parse (stored in `parked_events`, logged as an error,
acknowledged) so that one poisoned message never holds the log back, and it can replay the
whole stream into an emptied projection on request (`rebuild`).

An event whose stream's previous event is not projected yet (JetStream redelivers a lost or
refused message after later ones, e.g. after a stream-leader fail-over) is not judged against
the chain: it is nak'ed with a growing delay and projected once its predecessor is in. After
PREDECESSOR_WAIT_DELIVERIES deliveries (over 40 s, longer than the consumer's 30 s
ack_wait after which a lost message comes back) it is projected anyway, and its link check
reports the gap as a chain break, as it would for a predecessor that was parked or deleted.
"""

from __future__ import annotations

import asyncio

import structlog
from google.protobuf.message import DecodeError

from gatehouse.events.v1 import envelope_pb2
from gatehouse.messaging.consumer import DurableConsumer
from gatehouse.messaging.jetstream import SUBJECT_ROOT
from gatehouse.service_runtime import EventSourcedRuntime
from services.audit.adapters import batch_repository, maintenance
from services.audit.application.projector import place_batch, project_batch, project_envelope
from services.audit.domain.errors import PredecessorNotProjected, UndecodablePayload

log = structlog.get_logger(__name__)

CONSUMER_NAME = "audit-projector"
STOP_TIMEOUT = 3.0
MAX_DELIVERIES = 3
BATCH_SIZE = 1000
RETRY_DELAY = 1.0
CATCH_UP_POLL = 0.2
# Short waits: the predecessor is usually in a batch another replica is committing right now, and
# each round places every event whose predecessor is in; 45 deliveries still span over 40 s.
PREDECESSOR_WAIT_DELIVERIES = 45
FIRST_WAIT_DELAY = 0.1
LONGEST_WAIT_DELAY = 1.0


def predecessor_wait_delay(delivered: int) -> float:
    """Seconds until an event waiting for its predecessor comes back: 0.1, 0.2, 0.4, 0.8, then
    1 s, about 41 s over PREDECESSOR_WAIT_DELIVERIES deliveries."""
    return min(FIRST_WAIT_DELAY * 2 ** max(delivered - 1, 0), LONGEST_WAIT_DELAY)


def _waited_enough(message) -> bool:
    return message.metadata.num_delivered >= PREDECESSOR_WAIT_DELIVERIES


class ParkingConsumer(DurableConsumer):
    """A DurableConsumer that projects a whole fetched batch with a few multi-row statements
    (project_batch), falls back to one event at a time when the batch fails, parks, rather
    than retries forever, a message that keeps failing, and sends back for later an event
    that arrived before its stream's previous event."""

    async def _handle_batch(self, messages) -> None:
        """Projects a fetched batch, acknowledges it and sends back for later the events whose
        predecessor is not projected yet; one event at a time if the batch fails."""
        try:
            waiting = await self._handle_together(messages)
        except Exception:
            await self._handle_singly(messages)
            return
        for message, waits in zip(messages, waiting):
            if waits:
                await self._wait_for_predecessor(message)
            else:
                await message.ack()

    async def _handle_together(self, messages) -> list[bool]:
        """Projects in one transaction the batch's events that can be placed in their chains;
        returns, per message, whether its event waits for its predecessor instead."""
        envelopes = [envelope_pb2.EventEnvelope.FromString(message.data) for message in messages]
        unique = list({envelope.event_id: envelope for envelope in envelopes}.values())
        overdue = {e.event_id for e, message in zip(envelopes, messages) if _waited_enough(message)}
        async with self._engine.begin() as connection:
            placement = await place_batch(connection, unique, overdue)
            ids = [envelope.event_id for envelope in placement.ready]
            claimed = await batch_repository.claim(connection, self._processed, self.name, ids) if ids else set()
            fresh = [envelope for envelope in placement.ready if envelope.event_id in claimed]
            if fresh:
                await project_batch(connection, fresh, check_known=False)
        self._count_handled(len(fresh))
        waiting = {envelope.event_id for envelope in placement.waiting}
        if waiting:
            log.info("audit.events_wait_for_predecessor", count=len(waiting))
        return [envelope.event_id in waiting for envelope in envelopes]

    async def _apply(self, connection, envelope, message) -> None:
        await self._handler(connection, envelope, wait_for_predecessor=not _waited_enough(message))

    async def _wait_for_predecessor(self, message) -> None:
        await message.nak(delay=predecessor_wait_delay(message.metadata.num_delivered))

    async def _on_failure(self, message, error: Exception) -> None:
        """Retries a failed message MAX_DELIVERIES times, or parks it (stored, logged, acked);
        an event that waits for its predecessor comes back later, neither failed nor parked."""
        if isinstance(error, PredecessorNotProjected):
            await self._wait_for_predecessor(message)
            return
        delivered = message.metadata.num_delivered
        # Bytes that do not parse never will: park them at once rather than retry.
        hopeless = isinstance(error, (UndecodablePayload, DecodeError))
        if delivered < MAX_DELIVERIES and not hopeless:
            log.warning("audit.projection_retry", subject=message.subject, delivered=delivered, error=repr(error))
            await message.nak(delay=RETRY_DELAY)
            return
        sequence = message.metadata.sequence.stream
        async with self._engine.begin() as connection:
            await maintenance.park(connection, self.name, message.subject, sequence, message.data, repr(error))
        log.error("audit.event_parked", subject=message.subject, stream_sequence=sequence, error=repr(error))
        await message.ack()


class Projector:
    """The background job of the audit process: consumes "gatehouse.events.>" once NATS is up."""

    def __init__(self, runtime: EventSourcedRuntime):
        self._runtime = runtime
        self._consumer: DurableConsumer | None = None
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._reset_requested = False
        self._reset_done = asyncio.Event()

    def _new_consumer(self, client) -> DurableConsumer:
        settings = self._runtime.settings
        return ParkingConsumer(
            client,
            self._runtime.engine,
            self._runtime.store,
            CONSUMER_NAME,
            project_envelope,
            settings.stream_name,
            filter_subject=f"{SUBJECT_ROOT}.>",
            batch_size=BATCH_SIZE,
            replicas=settings.stream_replicas,
        )

    async def run(self) -> None:
        """Waits for NATS, then consumes until stopped (see DurableConsumer.run); between two
        runs of the consumer it performs a requested reset."""
        self._task = asyncio.current_task()
        client = await self._runtime.nats.client()
        while not self._stopping:
            self._consumer = self._new_consumer(client)
            await self._consumer.run()
            await self._consumer.unsubscribe()
            if self._reset_requested and not self._stopping:
                await self._reset(client)

    async def _reset(self, client) -> None:
        async with self._runtime.engine.begin() as connection:
            await maintenance.clear_projection(connection, CONSUMER_NAME)
        js = client.jetstream(timeout=5)
        try:
            await js.delete_consumer(self._runtime.settings.stream_name, CONSUMER_NAME)
        except Exception as error:  # absent already: a fresh one is created either way
            log.warning("audit.consumer_delete_failed", error=repr(error))
        self._reset_requested = False
        log.info("audit.projection_reset")
        self._reset_done.set()

    async def rebuild(self, timeout: float) -> None:
        """Empties the projection, deletes the durable consumer, replays the whole stream and
        returns once the new consumer has nothing pending. Raises TimeoutError."""
        async with asyncio.timeout(timeout):
            while self._consumer is None:
                await asyncio.sleep(CATCH_UP_POLL)
            self._reset_done.clear()
            self._reset_requested = True
            await self._consumer.stop()
            await self._reset_done.wait()
            await self._wait_caught_up()

    async def _wait_caught_up(self) -> None:
        js = (await self._runtime.nats.client()).jetstream(timeout=5)
        stream = self._runtime.settings.stream_name
        while True:
            await asyncio.sleep(CATCH_UP_POLL)
            try:
                info = await js.consumer_info(stream, CONSUMER_NAME)
            except Exception:  # not created yet by the new run
                continue
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return

    async def stop(self) -> None:
        """Lets the batch in flight commit, ends the job and drops the subscription; must run
        before NATS is drained."""
        self._stopping = True
        if self._consumer is not None:
            await self._consumer.stop()
        if self._task is not None and not self._task.done():
            if self._consumer is None:  # still waiting for NATS: nothing to finish
                self._task.cancel()
            await asyncio.wait([self._task], timeout=STOP_TIMEOUT)
            self._task.cancel()
        if self._consumer is not None:
            await self._consumer.unsubscribe()
