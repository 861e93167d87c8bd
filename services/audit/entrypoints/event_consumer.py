"""The projector: a durable JetStream consumer feeding every domain event to the projection."""

from __future__ import annotations

import asyncio

from gatehouse.messaging.consumer import DurableConsumer
from gatehouse.messaging.jetstream import SUBJECT_ROOT
from gatehouse.service_runtime import EventSourcedRuntime
from services.audit.application.projector import project_envelope

CONSUMER_NAME = "audit-projector"
STOP_TIMEOUT = 3.0


class Projector:
    """The background job of the audit process: consumes "gatehouse.events.>" once NATS is up."""

    def __init__(self, runtime: EventSourcedRuntime):
        self._runtime = runtime
        self._consumer: DurableConsumer | None = None
        self._task: asyncio.Task | None = None

    async def run(self) -> None:
        """Waits for NATS, then consumes until stopped (see DurableConsumer.run)."""
        self._task = asyncio.current_task()
        client = await self._runtime.nats.client()
        settings = self._runtime.settings
        self._consumer = DurableConsumer(
            client,
            self._runtime.engine,
            self._runtime.store,
            CONSUMER_NAME,
            project_envelope,
            settings.stream_name,
            filter_subject=f"{SUBJECT_ROOT}.>",
            replicas=settings.stream_replicas,
        )
        await self._consumer.run()

    async def stop(self) -> None:
        """Lets the batch in flight commit, ends the job and drops the subscription; must run
        before NATS is drained."""
        if self._consumer is not None:
            await self._consumer.stop()
        if self._task is not None and not self._task.done():
            if self._consumer is None:  # still waiting for NATS: nothing to finish
                self._task.cancel()
            await asyncio.wait([self._task], timeout=STOP_TIMEOUT)
            self._task.cancel()
        if self._consumer is not None:
            await self._consumer.unsubscribe()
