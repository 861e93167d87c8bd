"""Re-authentication ("sudo mode"): the user of a live session re-enters their password, and the
session remembers when, so sensitive actions (2FA changes, tokens, weakening project policies)
can require a recent proof without a new login. A wrong password is a failed login: it is
recorded as LoginFailed and counts toward the login rate limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters import repository
from services.identity.application import handlers
from services.identity.domain import model
from services.identity.domain.errors import SessionInvalid, WrongPassword

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies


async def _live_session(deps: Dependencies, unit, id_hash: str | None):
    """(session row, user) of a live session past its second step. Raises SessionInvalid."""
    row = await repository.find_session(unit.connection, id_hash) if id_hash else None
    if row is None or now_us() - row.last_seen_us > deps.idle_timeout_us:
        raise SessionInvalid("You are not logged in.")
    user = await repository.find_user(unit.connection, user_id=row.user_id)
    if user is None or user.state != "active":
        raise SessionInvalid("You are not logged in.")
    if not row.second_factor_verified:
        raise SessionInvalid("Complete the second login step before confirming your password.")
    return row, user


async def reauthenticate(deps: Dependencies, request: identity_pb2.ReauthenticateRequest) -> identity_pb2.Session:
    """Checks the session user's password and records the time on the session. Raises
    SessionInvalid, RateLimited (before the check, as at login) or WrongPassword (recorded as a
    failed login)."""
    id_hash = deps.session_tokens.id_hash(request.session_token)
    async with deps.units() as unit:
        row, user = await _live_session(deps, unit, id_hash)
        await handlers._check_login_limits(deps, unit, user, request.context.ip_address)
        stored_hash = await repository.password_hash_of(unit.connection, user.user_id)
    matches = await deps.passwords.verify(stored_hash, request.password)
    actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
    subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
    stream = model.stream_of(user.user_id)
    if not matches:
        failed = events.LoginFailed(username=user.username, user_id=user.user_id, reason="invalid_password")
        await deps.units.run(lambda unit: unit.record(stream, None, [failed], actor, subjects))
        raise WrongPassword("The password is incorrect.")

    async def handle(unit):
        now = now_us()
        state = model.fold(await unit.load(stream))
        await unit.record(stream, state.version, model.reauthenticated(state, row.session_id), actor, subjects)
        await repository.mark_reauthenticated(unit.connection, id_hash, now)
        await repository.touch_session(unit.connection, id_hash, now)
        session = handlers._session_message(row, user, now + deps.idle_timeout_us)
        session.reauthenticated_at_us = now
        return session

    return await deps.units.run(handle)
