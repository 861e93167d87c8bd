"""Appending to and reading from a service's event store, inside a caller's transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore import registry
from gatehouse.eventstore.hashing import GENESIS_HASH, chain_hash
from gatehouse.eventstore.schema import add_event_store_tables
from gatehouse.observability import request_ids


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream since it was read; reload and retry."""


def now_us() -> int:
    """The current time in microseconds since the epoch (UTC)."""
    return time.time_ns() // 1000


def actor_from(
    context: common_pb2.RequestContext | None, principal: common_pb2.Principal | None = None
) -> envelope_pb2.Actor:
    """The event actor for a request made by `principal` from `context`."""
    actor = envelope_pb2.Actor()
    if context is not None:
        actor.ip_address = context.ip_address
        actor.user_agent = context.user_agent
        actor.request_id = request_ids.acceptable(context.request_id)
    if principal is not None:
        actor.user_id = principal.user_id
        actor.username = principal.username
        actor.token_id = principal.token_id
    return actor


class EventStore:
    """The append-only `events` table of one service, plus its outbox."""

    def __init__(self, service: str, metadata: sa.MetaData | None = None):
        self.service = service
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self.events, self.outbox, self.processed = add_event_store_tables(self.metadata)
        # Built once: building a statement per call costs more than running it on SQLite.
        events = self.events
        self._load = (sa.select(events.c.type, events.c.payload)
                      .where(events.c.stream == sa.bindparam("stream"), events.c.version > sa.bindparam("after"))
                      .order_by(events.c.version))
        self._head_of = (sa.select(events.c.version, events.c.hash).where(events.c.stream == sa.bindparam("stream"))
                         .order_by(events.c.version.desc()).limit(1))
        self._insert_event, self._insert_outbox = sa.insert(events), sa.insert(self.outbox)

    async def load(self, connection: AsyncConnection, stream: str, after_version: int = 0) -> list[Message]:
        """The decoded events of `stream` after version `after_version` (all by default), oldest first."""
        rows = await connection.execute(self._load, {"stream": stream, "after": after_version})
        return [registry.decode(row.type, row.payload) for row in rows]

    async def _head(self, connection: AsyncConnection, stream: str) -> tuple[int, str]:
        row = (await connection.execute(self._head_of, {"stream": stream})).first()
        return (row.version, row.hash) if row else (0, GENESIS_HASH)

    async def append(
        self,
        connection: AsyncConnection,
        stream: str,
        expected_version: int | None,
        events: Sequence[Message],
        actor: envelope_pb2.Actor,
        subjects: envelope_pb2.Subjects,
    ) -> list[envelope_pb2.EventEnvelope]:
        """Appends `events` to `stream` and queues them in the outbox.

        `expected_version` is the stream version the caller decided on (None: whatever it is).
        Raises ConcurrencyConflict when the stream moved on meanwhile.
        """
        version, prev_hash = await self._head(connection, stream)
        if expected_version is not None and version != expected_version:
            raise ConcurrencyConflict(f"{stream} is at {version}, expected {expected_version}")
        envelopes = []
        for event in events:
            version += 1
            envelope = self._envelope(stream, version, event, actor, subjects, prev_hash)
            prev_hash = envelope.hash
            envelopes.append(envelope)
        try:
            for envelope in envelopes:
                result = await connection.execute(self._insert_event, _row(envelope))
                position = result.inserted_primary_key[0]
                envelope.position = position
                await connection.execute(self._insert_outbox, {"position": position})
        except sa.exc.IntegrityError as error:
            raise ConcurrencyConflict(f"{stream} was appended to concurrently") from error
        return envelopes

    def _envelope(self, stream, version, event, actor, subjects, prev_hash):
        envelope = envelope_pb2.EventEnvelope(
            event_id=str(uuid.uuid4()),
            service=self.service,
            stream=stream,
            version=version,
            type=event.DESCRIPTOR.name,
            occurred_at_us=now_us(),
            payload=event.SerializeToString(deterministic=True),
            prev_hash=prev_hash,
        )
        envelope.actor.CopyFrom(actor)
        # Whatever built the actor, the event records the request being served (if any).
        envelope.actor.request_id = envelope.actor.request_id or request_ids.current()
        envelope.subjects.CopyFrom(subjects)
        envelope.hash = chain_hash(prev_hash, envelope)
        return envelope


def _row(envelope: envelope_pb2.EventEnvelope) -> dict:
    return {
        "event_id": envelope.event_id,
        "stream": envelope.stream,
        "version": envelope.version,
        "type": envelope.type,
        "occurred_at_us": envelope.occurred_at_us,
        "actor_user_id": envelope.actor.user_id,
        "actor_username": envelope.actor.username,
        "actor_token_id": envelope.actor.token_id,
        "actor_ip": envelope.actor.ip_address,
        "actor_user_agent": envelope.actor.user_agent,
        "actor_request_id": envelope.actor.request_id,
        "subject_user_id": envelope.subjects.user_id,
        "subject_username": envelope.subjects.username,
        "subject_project": envelope.subjects.project,
        "subject_project_id": envelope.subjects.project_id,
        "payload": envelope.payload,
        "prev_hash": envelope.prev_hash,
        "hash": envelope.hash,
    }


def envelope_from_row(service: str, row) -> envelope_pb2.EventEnvelope:
    """Rebuilds the published envelope from an `events` row."""
    return envelope_pb2.EventEnvelope(
        event_id=row.event_id,
        service=service,
        stream=row.stream,
        version=row.version,
        type=row.type,
        occurred_at_us=row.occurred_at_us,
        actor=envelope_pb2.Actor(
            user_id=row.actor_user_id,
            username=row.actor_username,
            token_id=row.actor_token_id,
            ip_address=row.actor_ip,
            user_agent=row.actor_user_agent,
            request_id=row.actor_request_id,
        ),
        subjects=envelope_pb2.Subjects(
            user_id=row.subject_user_id,
            username=row.subject_username,
            project=row.subject_project,
            project_id=row.subject_project_id,
        ),
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
        position=row.position,
    )
