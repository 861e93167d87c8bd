"""The projector: a durable JetStream consumer feeding every domain event to the projection.

It parks a message it cannot handle after MAX_DELIVERIES attempts, or at once when its
envelope or payload does not parse (stored in `parked_events`, logged as an error,
acknowledged) so that one poisoned message never holds the log back, and it can replay the
whole stream into an emptied projection on request (`rebuild`).
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
from services.audit.application.projector import project_batch, project_envelope
from services.audit.domain.errors import UndecodablePayload

log = structlog.get_logger(__name__)

CONSUMER_NAME = "audit-projector"
STOP_TIMEOUT = 3.0
MAX_DELIVERIES = 3
BATCH_SIZE = 1000
RETRY_DELAY = 1.0
CATCH_UP_POLL = 0.2


class ParkingConsumer(DurableConsumer):
    """A DurableConsumer that projects a whole fetched batch with a few multi-row statements
    (project_batch), falls back to one event at a time when the batch fails, and parks, rather
    than retries forever, a message that keeps failing."""

    async def _handle_together(self, messages) -> None:
        envelopes = [envelope_pb2.EventEnvelope.FromString(message.data) for message in messages]
        unique = list({envelope.event_id: envelope for envelope in envelopes}.values())
        async with self._engine.begin() as connection:
            claimed = await batch_repository.claim(
                connection, self._processed, self.name, [envelope.event_id for envelope in unique]
            )
            fresh = [envelope for envelope in unique if envelope.event_id in claimed]
            if fresh:
                await project_batch(connection, fresh, check_known=False)
        self._count_handled(len(fresh))

    async def _on_failure(self, message, error: Exception) -> None:
        """Retries a failed message MAX_DELIVERIES times, or parks it (stored, logged, acked)."""
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
