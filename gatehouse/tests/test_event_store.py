import asyncio

import pytest
import sqlalchemy as sa

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.database import reader
from gatehouse.eventstore.hashing import GENESIS_HASH, verify_link
from gatehouse.eventstore.store import ConcurrencyConflict, envelope_from_row

ACTOR = envelope_pb2.Actor(user_id="u1", username="alice", ip_address="127.0.0.1")
SUBJECTS = envelope_pb2.Subjects(user_id="u1", username="alice")


async def _record(units, version, *messages):
    async def handle(unit):
        return await unit.record("user-u1", version, list(messages), ACTOR, SUBJECTS)

    return await units.run(handle, attempts=1)


async def test_appended_events_are_chained_versioned_and_queued(units, store, engine):
    first = await _record(units, 0, events.UserCreated(user_id="u1", username="alice"))
    second = await _record(units, 1, events.LoginSucceeded(user_id="u1"), events.SessionEnded(user_id="u1"))
    assert [e.version for e in first + second] == [1, 2, 3]
    assert verify_link(GENESIS_HASH, first[0])
    assert verify_link(first[0].hash, second[0]) and verify_link(second[0].hash, second[1])
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(store.events).order_by(store.events.c.position))).all()
        queued = (await connection.execute(sa.select(store.outbox.c.position))).scalars().all()
    assert [envelope_from_row("identity", row) for row in rows] == first + second
    assert sorted(queued) == [e.position for e in first + second]
    assert units.woken == [1, 1]


async def test_a_stale_expected_version_is_a_conflict(units):
    await _record(units, 0, events.UserCreated(user_id="u1"))
    with pytest.raises(ConcurrencyConflict):
        await _record(units, 0, events.UserCreated(user_id="u1"))


async def test_loading_folds_back_the_messages(units):
    await _record(units, 0, events.UserCreated(user_id="u1", username="alice"), events.LoginSucceeded(user_id="u1"))
    async with units() as unit:
        history = await unit.load("user-u1")
    assert history == [events.UserCreated(user_id="u1", username="alice"), events.LoginSucceeded(user_id="u1")]


async def test_concurrent_writers_at_the_same_version_do_not_both_win(units):
    await _record(units, 0, events.UserCreated(user_id="u1"))
    outcomes = await asyncio.gather(
        *(_record(units, 1, events.LoginSucceeded(user_id="u1")) for _ in range(5)), return_exceptions=True
    )
    winners = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, ConcurrencyConflict) for o in outcomes if isinstance(o, Exception))


async def test_a_failed_handler_leaves_nothing_behind(units, store, engine):
    async def handle(unit):
        await unit.record("user-u1", 0, [events.UserCreated(user_id="u1")], ACTOR, SUBJECTS)
        raise RuntimeError("handler failed after recording")

    with pytest.raises(RuntimeError):
        await units.run(handle)
    async with engine.connect() as connection:
        count = (await connection.execute(sa.select(sa.func.count()).select_from(store.events))).scalar()
    assert count == 0


async def test_a_reader_neither_waits_for_nor_blocks_the_writer(engine, store):
    async with engine.begin() as writer:
        await writer.execute(sa.insert(store.outbox).values(position=1))
        async with reader(engine).connect() as connection:  # BEGIN IMMEDIATE would wait 30 s here
            count = sa.select(sa.func.count()).select_from(store.outbox)
            seen = await asyncio.wait_for(connection.execute(count), timeout=5)
            assert seen.scalar() == 0  # the last committed snapshot
    async with reader(engine).connect() as connection:
        assert (await connection.execute(count)).scalar() == 1
