"""Operator lock/unlock and re-authentication ("sudo mode") through the handlers, over a real
SQLite database migrated to head (so migration 0005 runs)."""

from dataclasses import replace

import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.identity.v1 import identity_pb2
from services.identity.application import account_lock, handlers, reauthentication
from services.identity.domain import errors, model
from services.identity.tests.test_account_flows import CONTEXT, PASSWORD, deps, log_in, register, stream_types

__all__ = ["deps"]  # the fixture, shared with test_account_flows
OPERATOR = common_pb2.Principal(operator=True)


async def lock(deps, username="ruth", actor=OPERATOR):
    request = identity_pb2.LockUserRequest(username=username, reason="spam", context=CONTEXT, actor=actor)
    return await account_lock.lock_user(deps, request)


async def unlock(deps, username="ruth"):
    request = identity_pb2.UnlockUserRequest(username=username, context=CONTEXT, actor=OPERATOR)
    return await account_lock.unlock_user(deps, request)


async def session_of(deps, token):
    return await handlers.get_session(deps, identity_pb2.GetSessionRequest(session_token=token))


async def reauthenticate(deps, token, password=PASSWORD, ip="192.0.2.1"):
    context = common_pb2.RequestContext(ip_address=ip, user_agent="tests")
    request = identity_pb2.ReauthenticateRequest(session_token=token, password=password, context=context)
    return await reauthentication.reauthenticate(deps, request)


async def test_locking_ends_every_session_and_refuses_login_with_a_clear_sentence(deps):
    user = await register(deps, verified=True)
    first, second = await log_in(deps), await log_in(deps)
    locked = await lock(deps)
    assert (locked.user.state, locked.sessions_ended) == ("locked", 2)
    for login in (first, second):
        with pytest.raises(errors.SessionInvalid):
            await session_of(deps, login.session_token)
    with pytest.raises(errors.AccountLocked, match="^This account is locked; contact the index's operators.$"):
        await log_in(deps)
    with pytest.raises(errors.InvalidCredentials):  # a wrong password does not reveal the lock
        await log_in(deps, password="not-the-password")
    assert (await stream_types(deps, user.user_id)).count("SessionEnded") == 2
    assert "UserLocked" in await stream_types(deps, user.user_id)


async def test_unlocking_lets_the_user_log_in_again(deps):
    user = await register(deps, verified=True)
    await lock(deps)
    assert (await unlock(deps)).user.state == "active"
    assert (await log_in(deps)).session.user.state == "active"
    assert (await stream_types(deps, user.user_id))[-3:-1] == ["UserLocked", "UserUnlocked"]


async def test_lock_and_unlock_refuse_no_ops_strangers_and_unknown_users(deps):
    await register(deps, verified=True)
    with pytest.raises(errors.AccountStateUnchanged, match="not locked"):
        await unlock(deps)
    await lock(deps)
    with pytest.raises(errors.AccountStateUnchanged, match="already locked"):
        await lock(deps)
    with pytest.raises(errors.OperatorRequired):
        await lock(deps, actor=common_pb2.Principal(user_id="u", username="ruth"))
    with pytest.raises(errors.UserNotFound):
        await lock(deps, "nobody")


def test_the_lock_fold_and_its_events():
    state = model.UserState(user_id="u1", username="ruth")
    locked_events = model.lock(state, "spam", ["s1", "s2"])
    assert [type(event).__name__ for event in locked_events] == ["UserLocked", "SessionEnded", "SessionEnded"]
    assert locked_events[0].sessions_ended == 2 and locked_events[1].reason == "account_locked"
    assert model.fold(locked_events).state == "locked"
    assert model.fold([*locked_events, *model.unlock(model.fold(locked_events))]).state == "active"


async def test_reauthenticating_records_the_time_on_the_session(deps):
    user = await register(deps, verified=True)
    login = await log_in(deps)
    assert (await session_of(deps, login.session_token)).reauthenticated_at_us == 0
    session = await reauthenticate(deps, login.session_token)
    assert session.reauthenticated_at_us >= session.created_at_us > 0
    assert (await session_of(deps, login.session_token)).reauthenticated_at_us == session.reauthenticated_at_us
    assert (await stream_types(deps, user.user_id))[-1] == "SessionReauthenticated"


async def test_a_wrong_password_is_refused_and_counts_toward_the_login_limits(deps):
    await register(deps, verified=True)
    login = await log_in(deps)
    for _ in range(3):  # the fixture's per-user limit is 3
        with pytest.raises(errors.WrongPassword):
            await reauthenticate(deps, login.session_token, password="not-the-password")
    with pytest.raises(errors.RateLimited):
        await reauthenticate(deps, login.session_token)
    with pytest.raises(errors.RateLimited):
        await log_in(deps)


async def test_reauthentication_needs_a_live_session(deps):
    with pytest.raises(errors.SessionInvalid):
        await reauthenticate(deps, "forged.value")


class HasTotp:
    async def methods_of(self, user_id):
        return ["totp"]


async def test_reauthentication_needs_the_second_login_step_done(deps):
    await register(deps, verified=True)
    pending = await log_in(replace(deps, second_factors=HasTotp()))
    with pytest.raises(errors.SessionInvalid, match="second login step"):
        await reauthenticate(deps, pending.session_token)
