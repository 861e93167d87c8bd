"""Re-authentication ("sudo mode"): the user of a live session re-enters their password, or
answers a fresh challenge with one of their security keys, and the session remembers when, so
sensitive actions (2FA changes, tokens, weakening project policies) can require a recent proof
without a new login. A wrong password is a failed login: it is recorded as LoginFailed and counts
toward the login rate limits. A security key's answer is checked by the mfa service (its key
must be this user's, its challenge one issued for a re-authentication, unused and under 5
minutes old; refusals count toward mfa's limits), which signs a proof identity checks here."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters import repository
from services.identity.application import handlers
from services.identity.application.second_factor import expected_proof, proof_is_fresh
from services.identity.domain import model
from services.identity.domain.errors import SecurityKeyRejected, SessionInvalid, WrongPassword
from services.identity.application.sessions import live_session

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies


async def _live_session(deps: Dependencies, unit, id_hash: str | None):
    """(session row, user) of a live session past its second step. Raises SessionInvalid."""
    row = await live_session(deps, unit.connection, id_hash)
    user = await repository.find_user(unit.connection, user_id=row.user_id)
    if user is None or user.state != "active":
        raise SessionInvalid("You are not logged in.")
    if not row.second_factor_verified:
        raise SessionInvalid("Complete the second login step before confirming your password.")
    return row, user


async def reauthenticate(deps: Dependencies, request: identity_pb2.ReauthenticateRequest) -> identity_pb2.Session:
    """Checks the session user's password (or, when `webauthn_credential_json` is set, has mfa
    check their security key's answer) and records the time on the session. Raises
    SessionInvalid, RateLimited (before the check), WrongPassword (recorded as a failed login)
    or SecurityKeyRejected."""
    id_hash = deps.session_tokens.id_hash(request.session_token)
    stored_hash = ""
    async with deps.units() as unit:
        row, user = await _live_session(deps, unit, id_hash)
        if not request.webauthn_credential_json:  # a key's failures count toward mfa's limits
            await handlers._check_login_limits(deps, unit, user, request.context.ip_address)
            stored_hash = await repository.password_hash_of(unit.connection, user.user_id)
    principal = common_pb2.Principal(user_id=user.user_id, username=user.username)
    actor = actor_from(request.context, principal)
    if request.webauthn_credential_json:
        method, label = "webauthn", await _check_security_key(deps, row, principal, request)
    else:
        await _check_password(deps, user, stored_hash, request.password, actor)
        method, label = "password", ""
    return await _mark(deps, id_hash, row, user, actor, method, label)


async def _check_password(deps: Dependencies, user, stored_hash: str, password: str, actor) -> None:
    if await deps.passwords.verify(stored_hash, password):
        return
    failed = events.LoginFailed(username=user.username, user_id=user.user_id, reason="invalid_password")
    subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
    await deps.units.run(lambda unit: unit.record(model.stream_of(user.user_id), None, [failed], actor, subjects))
    raise WrongPassword("The password is incorrect.")


async def _check_security_key(deps: Dependencies, row, principal, request) -> str:
    """The key's label once mfa vouches, with a proof bound to this user and session, that the
    user's own key answered a re-authentication challenge. Raises SecurityKeyRejected, RateLimited."""
    answer = await deps.second_factors.verify_security_key(
        principal, row.session_id, request.webauthn_credential_json, request.context)
    expected = expected_proof(deps.proof_key, row.user_id, row.session_id, "webauthn", answer.label,
                              answer.issued_at_us)
    fresh = proof_is_fresh(answer.issued_at_us, now_us())
    if not (deps.proof_key and fresh and hmac.compare_digest(expected, answer.proof)):
        raise SecurityKeyRejected("The security key's answer could not be confirmed; try again.")
    return answer.label


async def _mark(deps: Dependencies, id_hash: str, row, user, actor, method: str, label: str) -> identity_pb2.Session:
    subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
    stream = model.stream_of(user.user_id)

    async def handle(unit):
        now = now_us()
        state = model.fold(await unit.load(stream))
        await unit.record(stream, state.version, model.reauthenticated(state, row.session_id, method, label),
                          actor, subjects)
        await repository.mark_reauthenticated(unit.connection, id_hash, now)
        await repository.touch_session(unit.connection, id_hash, now)
        session = handlers._session_message(row, user, now + deps.idle_timeout_us)
        session.reauthenticated_at_us = now
        return session

    return await deps.units.run(handle)
