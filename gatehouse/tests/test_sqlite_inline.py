"""Inline SQLite connections: a writer waiting for another connection's write lock waits asleep,
so the event loop keeps serving other tasks, and goes on once the lock is released; a lock held
past the busy timeout fails the statement as the driver's own timeout would."""

import asyncio
import sqlite3

import pytest
import sqlalchemy as sa

from gatehouse.eventstore import sqlite_inline
from gatehouse.eventstore.database import create_engine


@pytest.fixture
async def engines(tmp_path):
    url = f"sqlite:///{tmp_path / 'inline.db'}"
    first, second = create_engine(url), create_engine(url)  # as two processes would hold them
    async with first.begin() as connection:
        await connection.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"))
    yield first, second
    await first.dispose()
    await second.dispose()


async def _ticker(ticks: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        ticks.append(1)
        await asyncio.sleep(0.005)


async def test_a_writer_waits_for_the_lock_without_blocking_the_event_loop(engines):
    first, second = engines
    ticks, stop = [], asyncio.Event()
    ticker = asyncio.create_task(_ticker(ticks, stop))
    async with first.begin() as holder:
        await holder.execute(sa.text("INSERT INTO t (who) VALUES ('first')"))
        waiting = asyncio.create_task(_insert(second, "second"))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # it waits for the lock...
        ticks_while_waiting = len(ticks)
    await asyncio.wait_for(waiting, timeout=5)  # ...and goes on once it is released
    stop.set()
    await ticker
    assert ticks_while_waiting >= 20  # the loop ran other tasks meanwhile (a 5 ms ticker, 300 ms)
    async with first.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT who FROM t ORDER BY id"))).scalars().all()
    assert rows == ["first", "second"]


async def test_a_lock_held_past_the_busy_timeout_fails_the_waiting_statement(engines, monkeypatch):
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT", 0.2)
    first, second = engines
    async with first.begin() as holder:
        await holder.execute(sa.text("INSERT INTO t (who) VALUES ('first')"))
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            await _insert(second, "second")


async def _insert(engine, who: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text("INSERT INTO t (who) VALUES (:who)"), {"who": who})


def _error(code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = code
    return error


def test_only_a_lock_held_elsewhere_is_worth_waiting_for():
    assert sqlite_inline.is_busy(_error(5))  # SQLITE_BUSY
    assert sqlite_inline.is_busy(_error(261))  # SQLITE_BUSY_RECOVERY
    assert not sqlite_inline.is_busy(_error(517))  # SQLITE_BUSY_SNAPSHOT: a stale read snapshot
    assert not sqlite_inline.is_busy(_error(1))  # any other error
