"""The notifier: a durable JetStream consumer ("identity-notifier") mailing account owners
about security events (rules in domain/alerts.py). It lives in identity because identity owns
the e-mail addresses. Idempotent by event id (DurableConsumer); a mail that fails is retried
with the event, so an owner may, rarely, receive an alert twice, never zero times.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
import structlog
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore import registry
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


class AlertMailer:
    """The consumer's handler: decides with alerts.alert_for and sends the mail."""

    def __init__(self, mailer: Mailer, origin: str = ""):
        self._mailer = mailer
        self._origin = origin

    async def _facts(self, connection: AsyncConnection, envelope) -> alerts.Facts:
        is_local_login = envelope.type == "LoginSucceeded" and envelope.service == "identity"
        first = is_local_login and await first_login_from_ip(connection, envelope)
        return alerts.Facts(envelope.actor.ip_address, envelope.actor.user_agent, first, self._origin)

    async def __call__(self, connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope) -> None:
        """Mails each user a rule names (one owner, or every owner of a project). Raises
        MailError (the event is then retried)."""
        if not alerts.has_rule(envelope.type):
            return
        facts = await self._facts(connection, envelope)
        age = now_us() - envelope.occurred_at_us
        for alert in alerts.alerts_for(envelope.type, _payload(envelope), facts, age):
            await self._send(connection, envelope, alert)

    async def _send(self, connection: AsyncConnection, envelope, alert: alerts.Alert) -> None:
        user = await repository.find_user(connection, user_id=alert.user_id)
        if user is None or not (alert.to_email or user.email):
            return
        await self._mailer.send(alert.to_email or user.email, alert.subject, alert.text)
        log.info("identity.alert_sent", event_id=envelope.event_id, event_type=envelope.type, user_id=user.user_id)


class Notifier:
    """The identity process's background job mailing alerts; consumes once NATS is up."""

    def __init__(self, runtime: EventSourcedRuntime, mailer: Mailer, origin: str = ""):
        self._runtime = runtime
        self._handler = AlertMailer(mailer, origin)
        self._consumer: DurableConsumer | None = None
        self._task: asyncio.Task | None = None

    async def run(self) -> None:
        """Waits for NATS, then consumes every event until stopped."""
        self._task = asyncio.current_task()
        client = await self._runtime.nats.client()
        settings = self._runtime.settings
        self._consumer = DurableConsumer(
            client, self._runtime.engine, self._runtime.store, CONSUMER_NAME, self._handler,
            settings.stream_name, filter_subject=f"{SUBJECT_ROOT}.>", batch_size=BATCH_SIZE,
            replicas=settings.stream_replicas,
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
