"""Wiring shared by every service's bootstrap: database, migrations, event store, outbox, NATS."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.eventstore.database import create_engine, migrate
from gatehouse.eventstore.store import EventStore
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.messaging.jetstream import connect, ensure_stream
from gatehouse.messaging.lease import lease_for
from gatehouse.messaging.relay import JetStreamPublisher, OutboxRelay
from gatehouse.settings import Settings


class NatsLink:
    """One NATS connection per process, opened in the background so a service starts (and
    keeps its events in the outbox) while NATS is down."""

    def __init__(self, settings: Settings, name: str):
        self._settings = settings
        self._name = name
        self._client = None
        self._lock = asyncio.Lock()

    async def client(self):
        """The connected client; waits until NATS is reachable."""
        async with self._lock:
            if self._client is None:
                self._client = await connect(self._settings.nats_url, self._name)
        return self._client

    def connected(self) -> bool:
        """Whether the connection is up right now."""
        return self._client is not None and self._client.is_connected

    async def drain(self) -> None:
        """Flushes pending messages and closes the connection."""
        if self._client is not None and self._client.is_connected:
            await self._client.drain()


class LazyPublisher:
    """A JetStreamPublisher created once NATS is first reachable."""

    def __init__(self, link: NatsLink, settings: Settings):
        self._link = link
        self._settings = settings
        self._publisher: JetStreamPublisher | None = None

    async def publish(self, envelope) -> None:
        if self._publisher is None:
            js = (await self._link.client()).jetstream(timeout=3)
            await ensure_stream(js, self._settings.stream_name, self._settings.stream_replicas)
            self._publisher = JetStreamPublisher(js)
        await self._publisher.publish(envelope)


@dataclass
class EventSourcedRuntime:
    """The parts an event-sourced service's handlers and entry points use."""

    settings: Settings
    service: str
    engine: AsyncEngine
    store: EventStore
    units: UnitOfWorkFactory
    relay: OutboxRelay
    nats: NatsLink
    stops: list = field(default_factory=list)

    async def close(self) -> None:
        """Stops the relay, drains NATS and closes the database pool."""
        await self.relay.stop()
        await self.nats.drain()
        await self.engine.dispose()


def build_runtime(
    settings: Settings, service: str, metadata: sa.MetaData, store: EventStore, migrations_dir: Path
) -> EventSourcedRuntime:
    """Migrates the service's database to head and assembles its event machinery."""
    url = settings.database_url_for(service)
    migrate(url, migrations_dir)
    engine = create_engine(url)
    link = NatsLink(settings, f"gatehouse-{service}")
    relay_holder: list[OutboxRelay] = []
    units = UnitOfWorkFactory(engine, store, on_commit=lambda: relay_holder[0].notify())
    relay = OutboxRelay(engine, store, LazyPublisher(link, settings), lease_for(engine, service))
    relay_holder.append(relay)
    return EventSourcedRuntime(settings, service, engine, store, units, relay, link)
