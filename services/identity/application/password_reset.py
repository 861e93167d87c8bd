"""Password reset by a mailed link: asking for one (the same answer whether or not the account
exists; 5 links a day per user, 20 requests an hour per client address) and using it (single
use, 6 hours, void once the password changes; every session of the user ends)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.identity.v1 import identity_pb2
from gatehouse.mail.sender import MailError
from services.identity.adapters import repository
from services.identity.application import new_passwords
from services.identity.domain import model, password_reset
from services.identity.domain.errors import ResetLinkInvalid

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies

log = structlog.get_logger(__name__)

INVALID_LINK = "This password reset link is invalid, already used, expired or older than your last password change; ask for a new one."
# Mails being sent in the background (kept so that they are not garbage collected mid-send).
_sending: set[asyncio.Task] = set()


def _subjects(user: identity_pb2.User) -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(user_id=user.user_id, username=user.username)


def _text(deps: Dependencies, user: identity_pb2.User, token: str) -> str:
    return (
        f"Hello {user.username},\n\nsomeone (we hope you) asked to reset the password of your Gatehouse "
        f"account. To choose a new password, open this link within 6 hours:\n\n"
        f"{deps.origin}/account/reset-password?token={token}\n\nThe link works once, and all your sessions "
        "will end. If you did not ask for it, ignore this mail: your password stays as it is."
    )


async def _find(connection, request: identity_pb2.RequestPasswordResetRequest):
    if request.username:
        return await repository.find_user(connection, username=request.username)
    return await repository.find_user_by_email(connection, request.email) if request.email else None


async def request_reset(deps: Dependencies, request: identity_pb2.RequestPasswordResetRequest) -> None:
    """Mails a reset link to the primary address of the named account, if there is one and it
    was mailed fewer than 5 links today. Raises RateLimited (the client address only: the answer
    must not tell whether the account exists)."""
    if deps.reset_tokens is None or deps.mailer is None:
        return
    token, now, ip_address = deps.reset_tokens.mint(), now_us(), request.context.ip_address

    async def handle(unit):
        connection = unit.connection
        password_reset.check_ip_limit(
            await repository.reset_requests_since(connection, ip_address, now - password_reset.HOUR_US), now)
        await repository.add_reset_request(connection, ip_address, now)
        user = await _find(connection, request)
        if user is None or user.state != "active":
            return None
        stream = model.stream_of(user.user_id)
        mailed = await repository.event_times_since(connection, stream, "PasswordResetRequested", now - password_reset.DAY_US)
        if not password_reset.may_mail(mailed, now):
            return None
        state = model.fold(await unit.load(stream))
        actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
        await unit.record(stream, state.version, model.request_password_reset(state), actor, _subjects(user))
        fingerprint = password_reset.fingerprint(await repository.password_hash_of(connection, user.user_id))
        await repository.add_password_reset(
            connection, token_hash=deps.reset_tokens.id_hash(token), user_id=user.user_id,
            password_fingerprint=fingerprint, created_at_us=now, expires_at_us=now + password_reset.LINK_LIFETIME_US,
        )
        return user

    user = await deps.units.run(handle)
    if user is not None:
        # Sent in the background: a slow mail server must not make known accounts answer slower.
        task = asyncio.create_task(_send(deps, user, token))
        _sending.add(task)
        task.add_done_callback(_sending.discard)


async def _send(deps: Dependencies, user: identity_pb2.User, token: str) -> None:
    try:
        await deps.mailer.send(user.email, "Reset your Gatehouse password", _text(deps, user, token))
    except MailError as error:
        log.warning("identity.reset_mail_failed", user_id=user.user_id, error=str(error))


async def _live_link(deps: Dependencies, connection, token: str):
    """The link's row and user, if it is well signed, known, unexpired and made for the current password."""
    token_hash = deps.reset_tokens.id_hash(token) if deps.reset_tokens else None
    row = await repository.find_password_reset(connection, token_hash) if token_hash else None
    if row is None or now_us() > row.expires_at_us:
        raise ResetLinkInvalid(INVALID_LINK)
    current = password_reset.fingerprint(await repository.password_hash_of(connection, row.user_id) or "")
    if not password_reset.same_fingerprint(current, row.password_fingerprint):
        raise ResetLinkInvalid(INVALID_LINK)
    return row, await repository.find_user(connection, user_id=row.user_id)


async def reset(deps: Dependencies, request: identity_pb2.ResetPasswordRequest) -> int:
    """Sets the new password, voids every reset link of the user and ends all their sessions;
    answers how many ended. Raises ResetLinkInvalid or UnacceptablePassword."""
    async with deps.units() as unit:
        _, user = await _live_link(deps, unit.connection, request.token)
    await new_passwords.check_new_password(deps.breached_passwords, request.new_password, user.username, user.email)
    new_hash = await deps.passwords.hash(request.new_password)

    async def handle(unit):
        connection = unit.connection
        await _live_link(deps, connection, request.token)  # again: it may have been used meanwhile
        await repository.remove_password_resets(connection, user.user_id)
        open_sessions = await repository.user_sessions(connection, user.user_id)
        stream = model.stream_of(user.user_id)
        state = model.fold(await unit.load(stream))
        actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
        new_events = model.reset_password(state, [row.session_id for row in open_sessions])
        await unit.record(stream, state.version, new_events, actor, _subjects(user))
        await repository.set_password_hash(connection, user.user_id, new_hash)
        for row in open_sessions:
            await repository.remove_session(connection, row.id_hash)
        return len(open_sessions)

    return await deps.units.run(handle)
