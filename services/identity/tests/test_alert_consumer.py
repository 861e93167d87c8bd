"""The alert consumer: mails go out with no database transaction open, an event is recorded
as handled only after its mails were sent, and a recorded event is never mailed again. Over a
real SQLite database migrated to head, with fake JetStream messages and a fake mailer."""

import sqlite3

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.database import create_engine, migrate
from gatehouse.eventstore.store import now_us
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.identity.v1 import identity_pb2
from gatehouse.mail.sender import MailError
from services.identity.adapters.passwords import Argon2Passwords
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.adapters.tables import store
from services.identity.application import handlers
from services.identity.bootstrap import MIGRATIONS
from services.identity.entrypoints.notifications import AlertConsumer, AlertMailer
from services.identity.tests.test_account_flows import CONTEXT, PASSWORD


class Message:
    def __init__(self, envelope):
        self.data = envelope.SerializeToString()
        self.subject = "gatehouse.events.identity.PasswordChanged"
        self.acked = self.naked = 0

    async def ack(self):
        self.acked += 1

    async def nak(self, delay=None):
        self.naked += 1


class LockCheckingMailer:
    """Records each mail, after checking that no transaction holds the write lock meanwhile."""

    def __init__(self, path, failing=()):
        self._path = path
        self._failing = set(failing)
        self.sent = []

    async def send(self, to, subject, text):
        probe = sqlite3.connect(self._path, isolation_level=None, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")  # fails at once ("database is locked") if a writer holds it
            probe.execute("ROLLBACK")
        finally:
            probe.close()
        if to in self._failing:
            raise MailError(f"mail to {to} not accepted")
        self.sent.append(to)


@pytest.fixture
async def setup(tmp_path):
    path = tmp_path / "identity.db"
    migrate(f"sqlite:///{path}", MIGRATIONS)
    engine = create_engine(f"sqlite:///{path}")
    deps = handlers.Dependencies(
        units=UnitOfWorkFactory(engine, store, on_commit=lambda: None),
        passwords=Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)),
        session_tokens=SessionTokens(b"s" * 32), second_factors=None,
    )
    yield engine, deps, str(path)
    await engine.dispose()


async def user(deps, name):
    request = identity_pb2.CreateUserRequest(username=name, email=f"{name}@example.org", email_verified=True,
                                             password=PASSWORD, context=CONTEXT)
    return (await handlers.create_user(deps, request)).user_id


def password_changed(event_id, user_id):
    payload = events.PasswordChanged(user_id=user_id).SerializeToString()
    return Message(envelope_pb2.EventEnvelope(event_id=event_id, type="PasswordChanged", payload=payload,
                                              occurred_at_us=now_us()))


async def recorded(engine):
    async with engine.connect() as connection:
        rows = await connection.execute(sa.select(store.processed.c.event_id))
        return sorted(rows.scalars())


async def test_mails_are_sent_outside_transactions_and_recorded_once(setup):
    engine, deps, path = setup
    ruth, sam = await user(deps, "ruth"), await user(deps, "sam")
    mailer = LockCheckingMailer(path)
    consumer = AlertConsumer(None, engine, store, AlertMailer(mailer), stream="S")
    first, second = password_changed("e1", ruth), password_changed("e2", sam)
    await consumer._handle_batch([first, second])
    assert mailer.sent == ["ruth@example.org", "sam@example.org"]
    assert await recorded(engine) == ["e1", "e2"]
    assert (first.acked, second.acked) == (1, 1)
    again = password_changed("e1", ruth)  # a redelivery
    await consumer._handle_batch([again])
    assert mailer.sent == ["ruth@example.org", "sam@example.org"] and again.acked == 1


async def test_a_failed_mail_leaves_its_event_unrecorded_for_redelivery_without_holding_back_others(setup):
    engine, deps, path = setup
    ruth, sam = await user(deps, "ruth"), await user(deps, "sam")
    mailer = LockCheckingMailer(path, failing={"ruth@example.org"})
    consumer = AlertConsumer(None, engine, store, AlertMailer(mailer), stream="S")
    bad, good = password_changed("e1", ruth), password_changed("e2", sam)
    await consumer._handle_batch([bad, good])
    assert await recorded(engine) == ["e2"]
    assert (bad.acked, bad.naked, good.acked) == (0, 1, 1)
    mailer._failing.clear()
    retried = password_changed("e1", ruth)
    await consumer._handle_batch([retried])
    assert mailer.sent == ["sam@example.org", "ruth@example.org"]
    assert await recorded(engine) == ["e1", "e2"] and retried.acked == 1


async def test_an_event_no_rule_mails_for_is_acknowledged_without_touching_the_database(setup, monkeypatch):
    engine, deps, path = setup
    mailer = LockCheckingMailer(path)
    consumer = AlertConsumer(None, engine, store, AlertMailer(mailer), stream="S")
    monkeypatch.setattr(consumer, "_reader", None)  # any read would fail: there is none to make
    upload = Message(envelope_pb2.EventEnvelope(event_id="u1", type="FileAdded", occurred_at_us=now_us()))
    await consumer._handle_batch([upload])
    assert (upload.acked, upload.naked) == (1, 0)
    assert mailer.sent == [] and await recorded(engine) == []
