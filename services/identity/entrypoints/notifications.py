"""The notifier: a durable JetStream consumer ("identity-notifier") mailing account owners
about security events (rules in domain/alerts.py). It lives in identity because identity owns
the e-mail addresses. Idempotent by event id (DurableConsumer); mails are sent outside any
database transaction and an event is recorded as handled only after its mails went out
(AlertConsumer), so a mail that fails is retried with the event: an owner may, rarely,
receive an alert twice, never zero times.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import sqlalchemy as sa
import structlog
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore import registry
from gatehouse.eventstore.database import reader
from gatehouse.eventstore.store import now_us
from gatehouse.mail import Mailer
from gatehouse.messaging.consumer import DurableConsumer
from gatehouse.messaging.jetstream import SUBJECT_ROOT
from gatehouse.service_runtime import EventSourcedRuntime
from services.identity.adapters import repository
from services.identity.adapters.tables import store
from services.identity.domain import alerts

log = structlog.get_logger(__name__)

CONSUMER_NAME = "identity-notifier"
STOP_TIMEOUT = 3.0
BATCH_SIZE = 20


async def first_login_from_ip(connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope) -> bool:
    """Whether no earlier successful login in this user's stream came from the same IP."""
    events = store.events
    earlier = sa.select(sa.literal(1)).where(
        events.c.stream == envelope.stream,
        events.c.type == "LoginSucceeded",
        events.c.actor_ip == envelope.actor.ip_address,
        events.c.version < envelope.version,
    )
    return (await connection.execute(earlier.limit(1))).first() is None


def _payload(envelope: envelope_pb2.EventEnvelope) -> dict:
    try:
        message = registry.decode(envelope.type, envelope.payload)
    except (registry.UnknownEventType, DecodeError):
        return {}
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def _address_for(alert: alerts.Alert, user) -> str:
    """Where the alert goes: its own address, else the user's primary one (if verified, when
    the alert asks for that); "" for nobody (no such user, or no suitable address)."""
    if user is None:
        return ""
    if alert.to_email:
        return alert.to_email
    if alert.verified_only and not user.email_verified:
        return ""
    return user.email


@dataclass(frozen=True)
class Mail:
    """One alert mail decided for an event."""

    to: str
    subject: str
    text: str
    user_id: str


class AlertMailer:
    """Decides with alerts.alerts_for which mails an event calls for, and sends them."""

    def __init__(self, mailer: Mailer, origin: str = ""):
        self._mailer = mailer
        self._origin = origin

    async def _facts(self, connection: AsyncConnection, envelope) -> alerts.Facts:
        is_local_login = envelope.type == "LoginSucceeded" and envelope.service == "identity"
        first = is_local_login and await first_login_from_ip(connection, envelope)
        return alerts.Facts(envelope.actor.ip_address, envelope.actor.user_agent, first, self._origin)

    async def mails_for(self, connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope) -> list[Mail]:
        """The mails a rule names for the event (one owner, or every owner of a project); only
        reads. Raises the database's errors."""
        if not alerts.has_rule(envelope.type):
            return []
        facts = await self._facts(connection, envelope)
        age = now_us() - envelope.occurred_at_us
        mails = []
        for alert in alerts.alerts_for(envelope.type, _payload(envelope), facts, age):
            user = await repository.find_user(connection, user_id=alert.user_id)
            address = _address_for(alert, user)
            if address:
                mails.append(Mail(address, alert.subject, alert.text, user.user_id))
        return mails

    async def send(self, envelope: envelope_pb2.EventEnvelope, mails: list[Mail]) -> None:
        """Sends the event's mails. Raises MailError (the event is then retried, all its mails)."""
        for mail in mails:
            await self._mailer.send(mail.to, mail.subject, mail.text)
            log.info("identity.alert_sent", event_id=envelope.event_id, event_type=envelope.type, user_id=mail.user_id)


class AlertConsumer(DurableConsumer):
    """The DurableConsumer of alerts, with no mail sent while a transaction is open.

    Per fetched batch: (1) read-only transactions (database.reader: no write lock on SQLite)
    skip the events already handled and decide the others' mails; (2) the mails are sent with
    no transaction open; (3) one short write transaction records the events whose mails all
    went out, then those are acknowledged. An event is recorded only after its mails were
    sent, so a failed mail or a crash before (3) redelivers it: at least once, rarely twice.
    """

    def __init__(self, nc, engine: AsyncEngine, store, alert_mailer: AlertMailer, **options):
        # The base's handler is the decision; the mails are sent by _handle_batch.
        super().__init__(nc, engine, store, CONSUMER_NAME, alert_mailer.mails_for, **options)
        self._alert_mailer = alert_mailer
        self._reader = reader(engine)

    async def _handle_batch(self, messages) -> None:
        decided = await self._decide(messages)
        sent = [(message, envelope, mails) for message, envelope, mails in decided
                if await self._send(message, envelope, mails)]
        try:
            await self._record([envelope for _, envelope, mails in sent if mails is not None])
        except Exception as error:  # mails went out unrecorded: redelivery may send them again
            for message, _, _ in sent:
                await self._on_failure(message, error)
            return
        for message, _, _ in sent:
            await message.ack()

    async def _decide(self, messages) -> list[tuple]:
        """(message, envelope, mails, or None when already handled or no rule ever mails for
        its type); failures are retried later."""
        decided, candidates = [], []
        for message in messages:
            envelope = _without_rule(message)
            # Most events (every upload's) can never call for a mail: no database work for them.
            if envelope is None:
                candidates.append(message)
            else:
                decided.append((message, envelope, None))
        if not candidates:
            return decided
        async with self._reader.connect() as connection:
            for message in candidates:
                try:
                    # One transaction each: on PostgreSQL a failed statement spoils the rest of its transaction.
                    async with connection.begin():
                        decided.append(await self._decide_one(connection, message))
                except Exception as error:
                    await self._on_failure(message, error)
        return decided

    async def _decide_one(self, connection: AsyncConnection, message) -> tuple:
        envelope = envelope_pb2.EventEnvelope.FromString(message.data)
        if await self._already_handled(connection, envelope.event_id):
            return message, envelope, None
        return message, envelope, await self._handler(connection, envelope)

    async def _send(self, message, envelope, mails: list[Mail] | None) -> bool:
        try:
            await self._alert_mailer.send(envelope, mails or [])
        except Exception as error:
            await self._on_failure(message, error)
            return False
        return True

    async def _record(self, envelopes: list[envelope_pb2.EventEnvelope]) -> None:
        """Records the events as handled in one short write transaction (skipping any another
        delivery recorded meanwhile)."""
        if not envelopes:
            return
        ids = {envelope.event_id for envelope in envelopes}
        async with self._engine.begin() as connection:
            known = sa.select(self._processed.c.event_id).where(
                self._processed.c.consumer == self.name, self._processed.c.event_id.in_(ids)
            )
            new = ids - set((await connection.execute(known)).scalars())
            if new:
                rows = [{"consumer": self.name, "event_id": event_id} for event_id in sorted(new)]
                await connection.execute(sa.insert(self._processed), rows)
        self._count_handled(len(new))


def _without_rule(message) -> envelope_pb2.EventEnvelope | None:
    """The message's envelope when no alert rule names its type, else None (also for a message
    that does not parse: _decide_one then meets the error and it is retried or parked)."""
    try:
        envelope = envelope_pb2.EventEnvelope.FromString(message.data)
    except DecodeError:
        return None
    return None if alerts.has_rule(envelope.type) else envelope


class Notifier:
    """The identity process's background job mailing alerts; consumes once NATS is up."""

    def __init__(self, runtime: EventSourcedRuntime, mailer: Mailer, origin: str = ""):
        self._runtime = runtime
        self._handler = AlertMailer(mailer, origin)
        self._consumer: AlertConsumer | None = None
        self._task: asyncio.Task | None = None

    async def run(self) -> None:
        """Waits for NATS, then consumes every event until stopped."""
        self._task = asyncio.current_task()
        client = await self._runtime.nats.client()
        settings = self._runtime.settings
        self._consumer = AlertConsumer(
            client, self._runtime.engine, self._runtime.store, self._handler, stream=settings.stream_name,
            filter_subject=f"{SUBJECT_ROOT}.>", batch_size=BATCH_SIZE, replicas=settings.stream_replicas,
        )
        await self._consumer.run()

    async def stop(self) -> None:
        """Lets the batch in flight commit, ends the job and drops the subscription; must run
        before NATS is drained."""
        if self._consumer is not None:
            await self._consumer.stop()
        if self._task is not None and not self._task.done():
            if self._consumer is None:
                self._task.cancel()
            await asyncio.wait([self._task], timeout=STOP_TIMEOUT)
            self._task.cancel()
        if self._consumer is not None:
            await self._consumer.unsubscribe()
