"""The new-device check (as PyPI since November 2025).

A second login step with a TOTP code or a recovery code from an IP the account never completed a
login from does not log the session in: it is held, and a link (signed, single use, 15 minutes)
goes to the primary address. Opening the link from that same IP releases the session; from any
other IP it is refused and stays usable. A security key (or passkey) skips the check: it is
phishing-resistant, which is what the check approximates. Known IPs are those of completed
logins and, as on PyPI, the IP an account registered from (so a new account's first login is
not held). An operator-created account has no known IP until its first completed login.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.identity.v1 import identity_pb2
from gatehouse.mail.sender import MailError
from services.identity.adapters import login_devices, repository
from services.identity.domain import model
from services.identity.application.sessions import live_session
from services.identity.domain.errors import (
    LoginNotHeld,
    NewDeviceIpMismatch,
    NewDeviceLinkInvalid,
    RateLimited,
)

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies

log = structlog.get_logger(__name__)

LINK_LIFETIME_US = 15 * 60 * 1_000_000
RESEND_INTERVAL_US = 60 * 1_000_000
MAILS_PER_HELD_LOGIN = 3
CHECKED_METHODS = frozenset({"totp", "recovery_code"})
INVALID_LINK = "This login confirmation link is invalid, already used or expired; log in again."
WRONG_IP = (
    "This link must be opened on the device that tried to log in (from the same IP address); "
    "the login was not confirmed."
)


def _principal(user: identity_pb2.User) -> common_pb2.Principal:
    return common_pb2.Principal(user_id=user.user_id, username=user.username)


def _subjects(user: identity_pb2.User) -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(user_id=user.user_id, username=user.username)


async def must_hold(deps: Dependencies, unit, user_id: str, method: str, ip_address: str) -> bool:
    """Whether a second step with `method` from `ip_address` is held for confirmation."""
    if not deps.new_device_check or method not in CHECKED_METHODS or deps.new_device_tokens is None:
        return False
    return not await login_devices.is_known_ip(unit.connection, user_id, ip_address)


async def hold(deps: Dependencies, unit, row, method: str, context, resent: bool = False) -> str:
    """Holds the session (`row`) and stores a new link; answers the token to mail (after the
    transaction commits). Records NewDeviceLoginHeld."""
    now = now_us()
    token = deps.new_device_tokens.mint()
    previous = await login_devices.confirmation_of_session(unit.connection, row.id_hash)
    await login_devices.save_confirmation(
        unit.connection, session_id_hash=row.id_hash, token_hash=deps.new_device_tokens.id_hash(token),
        user_id=row.user_id, session_id=row.session_id, ip_address=context.ip_address[:64], method=method,
        expires_at_us=now + LINK_LIFETIME_US, mails_sent=(previous.mails_sent if previous else 0) + 1,
        last_sent_us=now,
    )
    await login_devices.hold_session(unit.connection, row.id_hash)
    user = await repository.find_user(unit.connection, user_id=row.user_id)
    held = events.NewDeviceLoginHeld(
        user_id=user.user_id, session_id=row.session_id, method=method, email=user.email, resent=resent
    )
    await unit.record(model.stream_of(user.user_id), None, [held], actor_from(context, _principal(user)), _subjects(user))
    return token


async def mail_link(deps: Dependencies, user: identity_pb2.User, token: str, ip_address: str) -> None:
    """Mails the confirmation link to the primary address; a failed send is logged (the user
    can ask again)."""
    text = (
        f"Hello {user.username},\n\nsomeone logged in to your Gatehouse account with your password and "
        f"second factor from a device we have not seen before (IP address {ip_address}).\n\n"
        f"If it was you, open this link on that device within 15 minutes to finish logging in:\n\n"
        f"{deps.origin}/account/confirm-login?token={token}\n\n"
        "If it was not you, do not open the link: change your password and your second factors now."
    )
    try:
        await deps.mailer.send(user.email, "Confirm a login from a new device", text)
    except MailError as error:
        log.warning("identity.new_device_mail_failed", user_id=user.user_id, error=str(error))


def _check_resend(row, now: int) -> None:
    """Raises RateLimited within a minute of the last mail, or after MAILS_PER_HELD_LOGIN mails."""
    if row.mails_sent >= MAILS_PER_HELD_LOGIN:
        raise RateLimited(
            f"The confirmation link was mailed {MAILS_PER_HELD_LOGIN} times for this login; log in again later.",
            retry_after_seconds=max(1, (row.expires_at_us - now) // 1_000_000),
        )
    wait = -(-(row.last_sent_us + RESEND_INTERVAL_US - now) // 1_000_000)
    if wait > 0:
        raise RateLimited(f"A link was mailed less than a minute ago; try again in {wait} seconds.", wait)


async def resend(deps: Dependencies, request: identity_pb2.ResendNewDeviceLoginRequest) -> str:
    """Mails the held session a new link (the old one stops working); answers the address.
    Raises SessionInvalid, LoginNotHeld or RateLimited."""
    id_hash = deps.session_tokens.id_hash(request.session_token)

    async def handle(unit):
        row = await live_session(deps, unit.connection, id_hash)
        pending = await login_devices.confirmation_of_session(unit.connection, id_hash)
        if not row.new_device_held or pending is None:
            raise LoginNotHeld("This login is not waiting for a new-device confirmation.")
        _check_resend(pending, now_us())
        token = await hold(deps, unit, row, pending.method, request.context, resent=True)
        return await repository.find_user(unit.connection, user_id=row.user_id), token

    user, token = await deps.units.run(handle)
    await mail_link(deps, user, token, request.context.ip_address)
    return user.email


async def confirm(deps: Dependencies, request: identity_pb2.ConfirmNewDeviceLoginRequest) -> identity_pb2.Session:
    """Releases the held session of a mailed link opened from the session's IP; the IP becomes
    known. Raises NewDeviceLinkInvalid or NewDeviceIpMismatch (the link stays usable)."""
    token_hash = deps.new_device_tokens.id_hash(request.token) if deps.new_device_tokens else None
    if token_hash is None:
        raise NewDeviceLinkInvalid(INVALID_LINK)

    async def handle(unit):
        pending = await login_devices.confirmation_of_token(unit.connection, token_hash)
        now = now_us()
        if pending is None or now > pending.expires_at_us:
            raise NewDeviceLinkInvalid(INVALID_LINK)
        if request.context.ip_address != pending.ip_address:
            raise NewDeviceIpMismatch(WRONG_IP)
        row = await repository.find_session(unit.connection, pending.session_id_hash)
        if row is None:
            raise NewDeviceLinkInvalid(INVALID_LINK)
        await login_devices.release_session(unit.connection, row.id_hash, pending.method, now)
        await login_devices.remember_ip(unit.connection, row.user_id, pending.ip_address, now)
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        confirmed = events.NewDeviceLoginConfirmed(user_id=user.user_id, session_id=row.session_id, method=pending.method)
        await unit.record(model.stream_of(user.user_id), None, [confirmed], actor_from(request.context, _principal(user)),
                          _subjects(user))
        return identity_pb2.Session(
            session_id=row.session_id, user=user, second_factor_verified=True, second_factor_method=pending.method,
            csrf_token=row.csrf_token, created_at_us=row.created_at_us, expires_at_us=now + deps.idle_timeout_us,
        )

    return await deps.units.run(handle)
