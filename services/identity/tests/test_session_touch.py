"""The session check's last-seen throttle: a check writes last-seen only when the stored value
is older than the touch interval, reads without the write lock otherwise, and still refuses an
ended or idle session at once; GetUser reads without the write lock too. Over a real SQLite
database migrated to head."""

import asyncio
import sqlite3
import time

import pytest
import sqlalchemy as sa

from gatehouse.common.v1 import common_pb2
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.tables import sessions
from services.identity.application import account_lock, handlers, password_change
from services.identity.domain import errors
from services.identity.tests.test_account_flows import CONTEXT, NEW_PASSWORD, PASSWORD, deps, log_in, register

__all__ = ["deps"]  # the fixture, shared with test_account_flows
MINUTE_US = 60 * 1_000_000


async def session_of(deps, token):
    return await handlers.get_session(deps, identity_pb2.GetSessionRequest(session_token=token))


async def last_seen(deps, token):
    id_hash = deps.session_tokens.id_hash(token)
    async with deps.units.engine.connect() as connection:
        query = sa.select(sessions.c.last_seen_us).where(sessions.c.id_hash == id_hash)
        return (await connection.execute(query)).scalar_one()


async def set_last_seen(deps, token, value_us):
    id_hash = deps.session_tokens.id_hash(token)
    async with deps.units.engine.begin() as connection:
        await connection.execute(sa.update(sessions).where(sessions.c.id_hash == id_hash).values(last_seen_us=value_us))


def now_us():
    return time.time_ns() // 1000


async def test_a_session_seen_within_the_interval_is_not_written(deps):
    await register(deps, verified=True)
    token = (await log_in(deps)).session_token
    recently = now_us() - 30 * 1_000_000
    await set_last_seen(deps, token, recently)
    session = await session_of(deps, token)
    assert await last_seen(deps, token) == recently
    # Its expiry is counted from the stored last-seen: never later than the idle timeout allows.
    assert session.expires_at_us == recently + deps.idle_timeout_us


async def test_a_session_seen_longer_ago_than_the_interval_is_written(deps):
    await register(deps, verified=True)
    token = (await log_in(deps)).session_token
    await set_last_seen(deps, token, now_us() - MINUTE_US - 1_000_000)
    before = now_us()
    session = await session_of(deps, token)
    written = await last_seen(deps, token)
    assert before <= written <= now_us()
    assert session.expires_at_us == written + deps.idle_timeout_us


async def while_another_writer_holds_the_lock(deps, call):
    writer = sqlite3.connect(deps.units.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another writer (the notifier, say) holds the lock
    try:
        # Waiting for the lock would take the 30 s busy timeout.
        return await asyncio.wait_for(call, timeout=5)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


async def test_a_recent_session_check_neither_takes_nor_waits_for_the_write_lock(deps):
    await register(deps, verified=True)
    token = (await log_in(deps)).session_token
    session = await while_another_writer_holds_the_lock(deps, session_of(deps, token))
    assert session.user.username == "ruth"


async def test_get_user_neither_takes_nor_waits_for_the_write_lock(deps):
    user = await register(deps, verified=True)
    found = await while_another_writer_holds_the_lock(
        deps, handlers.get_user(deps, identity_pb2.GetUserRequest(username="ruth")))
    assert found.user_id == user.user_id


async def test_an_idle_session_is_refused(deps):
    await register(deps, verified=True)
    token = (await log_in(deps)).session_token
    await set_last_seen(deps, token, now_us() - deps.idle_timeout_us - 1_000_000)
    with pytest.raises(errors.SessionInvalid, match="expired"):
        await session_of(deps, token)


async def test_a_logged_out_session_is_refused_at_once_though_just_seen(deps):
    await register(deps, verified=True)
    token = (await log_in(deps)).session_token
    await session_of(deps, token)
    await handlers.logout(deps, identity_pb2.LogoutRequest(session_token=token, context=CONTEXT))
    with pytest.raises(errors.SessionInvalid):
        await session_of(deps, token)


async def test_a_lock_or_a_password_change_ends_just_seen_sessions_at_once(deps):
    await register(deps, verified=True)
    here, there = (await log_in(deps)).session_token, (await log_in(deps)).session_token
    await session_of(deps, there)
    change = identity_pb2.ChangePasswordRequest(session_token=here, current_password=PASSWORD,
                                                new_password=NEW_PASSWORD, context=CONTEXT)
    await password_change.change_password(deps, change)
    with pytest.raises(errors.SessionInvalid):
        await session_of(deps, there)
    await session_of(deps, here)
    await account_lock.lock_user(deps, identity_pb2.LockUserRequest(
        username="ruth", reason="spam", context=CONTEXT, actor=common_pb2.Principal(operator=True)))
    with pytest.raises(errors.SessionInvalid):
        await session_of(deps, here)
