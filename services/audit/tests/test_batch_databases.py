"""The projector's batch path on each database it runs on: SQLite always, PostgreSQL too when
GATEHOUSE_TEST_DATABASE_URL is set (as .ci/run does), where it takes its own statements."""

import os
import uuid

import pytest
import sqlalchemy as sa

from gatehouse.eventstore.database import create_engine, migrate
from services.audit.adapters.tables import security_events, store
from services.audit.application.projector import project_batch, project_envelope
from services.audit.bootstrap import MIGRATIONS
from services.audit.entrypoints.event_consumer import ParkingConsumer
from services.audit.tests.factories import Chains, actor, sample_events
from services.audit.tests.test_integrity_component import _envelopes, _snapshot
from services.audit.tests.test_poisoned_events import FakeMessage


def _database_urls() -> list[str]:
    base = os.environ.get("GATEHOUSE_TEST_DATABASE_URL", "")
    return ["sqlite", f"{base}_audit_{uuid.uuid4().hex[:8]}"] if base else ["sqlite"]


def _drop(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = sa.create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=_database_urls(), ids=lambda url: url.split(":")[0])
async def database(request, tmp_path):
    """A factory of fresh, migrated audit databases on the parametrized backend."""
    made = []

    def make(name: str):
        url = f"sqlite:///{tmp_path / name}.db" if request.param == "sqlite" else f"{request.param}_{name}"
        migrate(url, MIGRATIONS)
        made.append((url, create_engine(url)))
        return made[-1][1]

    yield make
    for url, engine in made:
        await engine.dispose()
        if not url.startswith("sqlite"):
            _drop(url)


async def test_batch_projection_equals_event_by_event_projection(database):
    envelopes = _envelopes()
    one, batch = database("one"), database("batch")
    for envelope in envelopes:
        async with one.begin() as connection:
            await project_envelope(connection, envelope)
    async with batch.begin() as connection:
        assert await project_batch(connection, envelopes[:5]) == 5
    async with batch.begin() as connection:  # a redelivery overlapping the first batch
        assert await project_batch(connection, envelopes[3:]) == len(envelopes) - 5
    assert await _snapshot(one) == await _snapshot(batch)


def _logins(count: int) -> list:
    chains = Chains()
    service, _, event, subjects = sample_events()["LoginFailed"]
    return [chains.next(service, f"ip-{n % 7}", event, actor(), subjects) for n in range(count)]


async def test_redelivered_and_repeated_messages_are_projected_once(database):
    engine = database("consumer")
    envelopes = _logins(300)
    consumer = ParkingConsumer(None, engine, store, "test-projector", project_envelope, "STREAM")
    first = [FakeMessage(e.SerializeToString(), n + 1) for n, e in enumerate(envelopes[:200])]
    await consumer._handle_batch(first + first[:10])  # a message twice in one batch
    again = [FakeMessage(e.SerializeToString(), n + 1) for n, e in enumerate(envelopes[150:])]
    await consumer._handle_batch(again)  # redelivered after a restart, overlapping
    assert consumer.handled == 300
    assert all(m.answers == ["ack"] for m in again) and all("ack" in m.answers for m in first)
    async with engine.connect() as connection:
        rows = list(await connection.execute(sa.select(security_events.c.event_id, security_events.c.chain_ok,
                                                       security_events.c.seq).order_by(security_events.c.seq)))
    assert [row.event_id for row in rows] == [e.event_id for e in envelopes]
    assert all(row.chain_ok for row in rows)
