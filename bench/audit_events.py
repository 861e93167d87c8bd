"""Synthetic, correctly chained event envelopes published straight to JetStream, the way the
outbox relays publish them; shared by the audit benchmarks and fault tests."""

from __future__ import annotations

import uuid

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as identity_events
from gatehouse.eventstore.hashing import GENESIS_HASH, chain_hash
from gatehouse.eventstore.store import now_us
from gatehouse.messaging.jetstream import connect, ensure_stream, subject_for


def failed_logins(count: int, ip: str, stream: str = "", start_version: int = 1,
                  prev_hash: str = GENESIS_HASH) -> list[envelope_pb2.EventEnvelope]:
    """`count` LoginFailed events for an unknown username from `ip`, chained on one stream."""
    stream = stream or f"ip-bench-{uuid.uuid4().hex[:16]}"
    payload = identity_events.LoginFailed(username="nobody", reason="unknown_username").SerializeToString()
    envelopes = []
    for version in range(start_version, start_version + count):
        envelope = envelope_pb2.EventEnvelope(
            event_id=str(uuid.uuid4()), service="identity", stream=stream, version=version,
            type="LoginFailed", occurred_at_us=now_us(), payload=payload, prev_hash=prev_hash,
            actor=envelope_pb2.Actor(ip_address=ip, user_agent="pip/24.0"),
        )
        envelope.hash = prev_hash = chain_hash(prev_hash, envelope)
        envelopes.append(envelope)
    return envelopes


class Publisher:
    """A JetStream connection publishing envelopes with Nats-Msg-Id de-duplication."""

    def __init__(self, url: str, stream_name: str = "GATEHOUSE_EVENTS"):
        self._url = url
        self._stream = stream_name
        self._client = None
        self._js = None

    async def __aenter__(self) -> "Publisher":
        self._client = await connect(self._url, "gatehouse-bench")
        self._js = self._client.jetstream(timeout=10)
        await ensure_stream(self._js, self._stream)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._client.drain()

    async def publish(self, envelope: envelope_pb2.EventEnvelope) -> None:
        """Publishes one envelope on its subject; raises nats errors."""
        await self._js.publish(
            subject_for(envelope.service, envelope.type), envelope.SerializeToString(),
            headers={"Nats-Msg-Id": envelope.event_id},
        )

    async def publish_raw(self, subject: str, data: bytes, message_id: str) -> None:
        """Publishes arbitrary bytes (a poisoned message, for tests)."""
        await self._js.publish(subject, data, headers={"Nats-Msg-Id": message_id})


def sessions_ended_of(count: int, user_id: str, username: str) -> list[envelope_pb2.EventEnvelope]:
    """`count` SessionEnded events of one real account, chained on a stream of their own
    (not the account's identity stream, whose head identity owns), in that user's log. No
    alert rule reacts to them, so only the audit projection works on them."""
    stream, prev_hash = f"user-bench-{uuid.uuid4().hex[:16]}", GENESIS_HASH
    envelopes = []
    for version in range(1, count + 1):
        payload = identity_events.SessionEnded(user_id=user_id, session_id=str(version)).SerializeToString()
        envelope = envelope_pb2.EventEnvelope(
            event_id=str(uuid.uuid4()), service="identity", stream=stream, version=version,
            type="SessionEnded", occurred_at_us=now_us(), payload=payload, prev_hash=prev_hash,
            actor=envelope_pb2.Actor(user_id=user_id, username=username, ip_address="192.0.2.9", user_agent="pip/24.0"),
            subjects=envelope_pb2.Subjects(user_id=user_id, username=username),
        )
        envelope.hash = prev_hash = chain_hash(prev_hash, envelope)
        envelopes.append(envelope)
    return envelopes


def user_logins(count: int, users: int = 100) -> list[envelope_pb2.EventEnvelope]:
    """`count` LoginSucceeded events spread over `users` accounts, each account its own
    chained stream, with actor and subject set as identity sets them (one user log each)."""
    heads: dict[int, tuple[int, str]] = {}
    envelopes = []
    run = uuid.uuid4().hex[:8]
    for index in range(count):
        number = index % users
        user_id = f"bench-{run}-{number}"
        version, prev_hash = heads.get(number, (0, GENESIS_HASH))
        payload = identity_events.LoginSucceeded(user_id=user_id, session_id=str(index)).SerializeToString()
        envelope = envelope_pb2.EventEnvelope(
            event_id=str(uuid.uuid4()), service="identity", stream=f"user-{user_id}", version=version + 1,
            type="LoginSucceeded", occurred_at_us=now_us(), payload=payload, prev_hash=prev_hash,
            actor=envelope_pb2.Actor(user_id=user_id, username=f"u{run}{number}", ip_address="192.0.2.9",
                                     user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"),
            subjects=envelope_pb2.Subjects(user_id=user_id, username=f"u{run}{number}"),
        )
        envelope.hash = chain_hash(prev_hash, envelope)
        heads[number] = (envelope.version, envelope.hash)
        envelopes.append(envelope)
    return envelopes


def drop_database(url: str) -> None:
    """Drops a PostgreSQL database a benchmark created (no-op for SQLite)."""
    if not url.startswith("postgresql"):
        return
    import sqlalchemy as sa

    base, _, name = url.rpartition("/")
    admin = sa.create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
