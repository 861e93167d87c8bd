"""SQLite connections for the async engine that run each statement on the event loop's thread.

aiosqlite hands every call (cursor, execute, fetch, close) to a worker thread and back: two thread
switches, a wake-up of the event loop and a contest for the GIL per call, several calls per
statement. For the short statements a service runs, that costs four times the statement itself
(1.3 ms of CPU against 0.3 ms for a two-statement transaction, measured). Here the calls run
inline; connecting and closing still go through aiosqlite's thread.

What makes running inline safe:
- A call that would wait for another connection's lock fails at once (busy timeout 0), and the
  wait happens here, asleep on the event loop, so the loop never blocks on another writer; after
  BUSY_TIMEOUT it fails as the driver's own busy timeout would.
- A long run of calls (a big scan fetched in chunks) lets other tasks in every YIELD_EVERY seconds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import aiosqlite

BUSY_TIMEOUT = 30.0  # seconds, as the threaded driver's busy timeout was
FIRST_PAUSE, LONGEST_PAUSE = 0.0005, 0.02
YIELD_EVERY = 0.02
_SQLITE_BUSY, _SQLITE_BUSY_SNAPSHOT = 5, 517


def is_busy(error: sqlite3.OperationalError) -> bool:
    """True when the statement failed only because another connection holds a lock, so that
    running it again later can succeed. A read transaction's snapshot that a writer has moved past
    (BUSY_SNAPSHOT) never recovers by waiting."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return str(error).startswith("database is locked")
    return code & 0xFF == _SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


class _Turns:
    """When the inline calls last let the event loop run other tasks."""

    last = time.monotonic()

    @classmethod
    async def take(cls) -> None:
        now = time.monotonic()
        if now - cls.last >= YIELD_EVERY:
            cls.last = now
            await asyncio.sleep(0)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run on the caller's thread."""

    async def _execute(self, fn, *args, **kwargs):
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        # Before the call, never after it: a task cancelled while it yields has then done
        # nothing, rather than left the connection in a state SQLAlchemy does not know about.
        await _Turns.take()
        deadline, pause = None, FIRST_PAUSE
        while True:
            try:
                result = fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    raise
                now = time.monotonic()
                deadline = deadline or now + BUSY_TIMEOUT
                if now >= deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                continue
            return result


def inline_connector(path: str | Path):
    """An `async_creator` for `create_async_engine`: inline connections to the file `path`."""

    def connect() -> sqlite3.Connection:
        # Used from the event loop's thread after aiosqlite's thread opened it; timeout=0: see above.
        return sqlite3.connect(str(path), timeout=0, check_same_thread=False, isolation_level=None)

    async def create() -> InlineConnection:
        connection = InlineConnection(connect, 64)
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite dialect does
        return await connection

    return create
