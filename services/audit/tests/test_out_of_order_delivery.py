"""Events of one chain delivered out of order (a successor before its predecessor, as JetStream
does after a stream-leader fail-over) are all projected with chain_ok true, in version order;
a real tamper is still flagged at once; a predecessor that never comes is waited for a bounded
number of deliveries, then reported as a break. SQLite always, PostgreSQL when
GATEHOUSE_TEST_DATABASE_URL is set."""

from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from services.audit.adapters.tables import parked_events, security_events, store
from services.audit.application.projector import project_envelope
from services.audit.entrypoints.event_consumer import (
    PREDECESSOR_WAIT_DELIVERIES,
    ParkingConsumer,
    predecessor_wait_delay,
)
from gatehouse.eventstore.hashing import chain_hash
from services.audit.tests.factories import Chains, actor, sample_events
from services.audit.tests.test_batch_databases import database  # noqa: F401
from services.audit.tests.test_poisoned_events import FakeMessage

STREAM = "ip-chain"


@dataclass
class Message(FakeMessage):
    """A fake message that also records the delay of a nak."""

    delays: list = field(default_factory=list)

    async def nak(self, delay=None):
        self.answers.append("nak")
        self.delays.append(delay)


def _chain(count: int, stream: str = STREAM) -> list:
    chains = Chains()
    service, _, event, subjects = sample_events()["LoginFailed"]
    return [chains.next(service, stream, event, actor(), subjects) for _ in range(count)]


def _messages(envelopes, delivered: int = 1) -> list[Message]:
    return [Message(e.SerializeToString(), e.version, delivered=delivered) for e in envelopes]


@pytest.fixture
def consumer(database):  # noqa: F811
    return ParkingConsumer(None, database("order"), store, "test-projector", project_envelope, "STREAM")


async def _rows(consumer) -> list:
    query = sa.select(security_events.c.event_id, security_events.c.version, security_events.c.chain_ok)
    async with consumer._engine.connect() as connection:
        return list(await connection.execute(query.order_by(security_events.c.seq)))


async def _parked(consumer) -> int:
    async with consumer._engine.connect() as connection:
        return (await connection.execute(sa.select(sa.func.count()).select_from(parked_events))).scalar()


async def test_successors_delivered_before_their_predecessors_end_with_intact_chains(consumer):
    events = _chain(6)
    first = _messages([events[0], events[2], events[3], events[5], events[4]])
    await consumer._handle_batch(first)  # 3 and 4 wait for 2; 5 and 6 come in reverse order
    assert [m.answers for m in first] == [["ack"], ["nak"], ["nak"], ["nak"], ["nak"]]
    await consumer._handle_batch(_messages([events[1]]))
    redelivered = _messages([events[5], events[2], events[4], events[3]], delivered=2)
    await consumer._handle_batch(redelivered)
    assert all(m.answers == ["ack"] for m in redelivered)
    rows = await _rows(consumer)
    assert [row.version for row in rows] == [1, 2, 3, 4, 5, 6]  # stream order, not arrival order
    assert all(row.chain_ok for row in rows) and consumer.handled == 6


async def test_one_at_a_time_a_successor_waits_for_its_predecessor(consumer):
    events = _chain(3)
    messages = _messages([events[1], events[0], events[2]])
    await consumer._handle_singly(messages)
    assert [m.answers for m in messages] == [["nak"], ["ack"], ["nak"]]
    await consumer._handle_singly(_messages([events[1], events[2]], delivered=2))
    rows = await _rows(consumer)
    assert [row.version for row in rows] == [1, 2, 3] and all(row.chain_ok for row in rows)
    assert await _parked(consumer) == 0


@pytest.mark.parametrize("same_batch", [True, False])
async def test_a_wrong_prev_hash_with_its_predecessor_projected_is_flagged_at_once(consumer, same_batch):
    events = _chain(3)
    events[1].prev_hash = "1" * 64  # rewritten, and the hash recomputed over it
    events[1].hash = chain_hash(events[1].prev_hash, events[1])
    batches = [events[:2]] if same_batch else [events[:1], events[1:2]]
    for batch in batches:
        messages = _messages(batch)
        await consumer._handle_batch(messages)
        assert all(m.answers == ["ack"] for m in messages)
    assert [(row.version, row.chain_ok) for row in await _rows(consumer)] == [(1, True), (2, False)]


async def test_an_event_whose_predecessor_never_comes_is_flagged_after_a_bounded_wait(consumer):
    events = _chain(3)
    await consumer._handle_batch(_messages(events[:1]))
    delays = []
    for delivered in range(1, PREDECESSOR_WAIT_DELIVERIES):
        (message,) = _messages(events[2:], delivered=delivered)
        await consumer._handle_batch([message])
        assert message.answers == ["nak"]
        delays += message.delays
    assert delays == sorted(delays) and 40 < sum(delays) < 120  # longer than ack_wait (30 s)
    (last,) = _messages(events[2:], delivered=PREDECESSOR_WAIT_DELIVERIES)
    await consumer._handle_batch([last])
    assert last.answers == ["ack"]
    assert [(row.version, row.chain_ok) for row in await _rows(consumer)] == [(1, True), (3, False)]
    assert await _parked(consumer) == 0


def test_the_wait_grows_and_is_capped():
    assert predecessor_wait_delay(1) < predecessor_wait_delay(2) < predecessor_wait_delay(5)
    assert predecessor_wait_delay(50) == predecessor_wait_delay(PREDECESSOR_WAIT_DELIVERIES)
