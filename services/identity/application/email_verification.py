"""E-mail verification: mailing a signed, single-use link (6 hours), resending it (rate
limited) and confirming the address when the link is opened."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.identity.v1 import identity_pb2
from gatehouse.mail.sender import MailError
from services.identity.adapters import repository
from services.identity.domain import model
from services.identity.application.sessions import live_session
from services.identity.domain.errors import (
    EmailAlreadyVerified,
    RateLimited,
    VerificationLinkInvalid,
)

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies

log = structlog.get_logger(__name__)

LINK_LIFETIME_US = 6 * 3600 * 1_000_000
RESENDS_PER_HOUR = 3
HOUR_US = 3600 * 1_000_000
INVALID_LINK = "This verification link is invalid, already used or expired; log in and ask for a new one."


def _subjects(user: identity_pb2.User) -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(user_id=user.user_id, username=user.username)


def _text(deps: Dependencies, user: identity_pb2.User, token: str, added: bool) -> str:
    after = ("If you did not add this address to a Gatehouse account, ignore this mail." if added else
             "Until then your account can do nothing else. If you did not open an account, ignore this mail.")
    return (
        f"Hello {user.username},\n\nconfirm that {user.email} is your address by opening this link "
        f"within 6 hours:\n\n{deps.origin}/account/verify-email?token={token}\n\n{after}"
    )


async def mail_link(deps: Dependencies, user: identity_pb2.User, resent: bool, added: bool = False) -> None:
    """Stores a new link's hash and mails the link to `user.email` (`added`: an address added
    to an account, not its first one). A failed send is logged, not raised: the
    account exists and the user can ask for the link again."""
    if deps.verification_tokens is None or deps.mailer is None:
        return
    token = deps.verification_tokens.mint()
    now = now_us()

    async def handle(unit):
        await repository.add_email_verification(
            unit.connection, token_hash=deps.verification_tokens.id_hash(token), user_id=user.user_id,
            email=user.email, created_at_us=now, expires_at_us=now + LINK_LIFETIME_US, resent=resent,
        )

    await deps.units.run(handle)
    try:
        await deps.mailer.send(user.email, "Verify your e-mail address", _text(deps, user, token, added))
    except MailError as error:
        log.warning("identity.verification_mail_failed", user_id=user.user_id, error=str(error))


def _check_resend_limit(sent_times: list[int], now: int) -> None:
    """Raises RateLimited after RESENDS_PER_HOUR resends within the last hour."""
    if len(sent_times) < RESENDS_PER_HOUR:
        return
    oldest_counted = sorted(sent_times)[len(sent_times) - RESENDS_PER_HOUR]
    wait = max(1, -(-(oldest_counted + HOUR_US - now) // 1_000_000))
    raise RateLimited(
        f"A verification link was mailed {RESENDS_PER_HOUR} times within the last hour; try again in {wait} seconds.",
        retry_after_seconds=wait,
    )


async def resend(deps: Dependencies, request: identity_pb2.ResendEmailVerificationRequest) -> str:
    """Mails the session user a new link; answers the address. Raises SessionInvalid,
    EmailAlreadyVerified or RateLimited (3 resends per hour)."""
    id_hash = deps.session_tokens.id_hash(request.session_token)
    now = now_us()
    async with deps.units() as unit:
        row = await live_session(deps, unit.connection, id_hash)
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        if user.email_verified:
            raise EmailAlreadyVerified("Your e-mail address is already verified.")
        _check_resend_limit(await repository.resends_since(unit.connection, user.user_id, now - HOUR_US), now)
    await mail_link(deps, user, resent=True)
    return user.email


async def verify(deps: Dependencies, request: identity_pb2.VerifyEmailRequest) -> tuple[identity_pb2.User, str]:
    """Confirms the address a link was mailed to (the primary or an added one); the link then
    stops working. Answers the user and the address. Raises
    VerificationLinkInvalid (forged, unknown, used or expired) or EmailAlreadyVerified."""
    token_hash = deps.verification_tokens.id_hash(request.token) if deps.verification_tokens else None
    if token_hash is None:
        raise VerificationLinkInvalid(INVALID_LINK)

    async def handle(unit):
        row = await repository.take_email_verification(unit.connection, token_hash)
        if row is None or now_us() > row.expires_at_us:
            raise VerificationLinkInvalid(INVALID_LINK)
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        history = await unit.load(model.stream_of(user.user_id))
        state = model.fold(history)
        actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
        new_events = model.verify_email(state, row.email)
        await unit.record(model.stream_of(user.user_id), state.version, new_events, actor, _subjects(user))
        if row.email == user.email:
            await repository.mark_email_verified(unit.connection, user.user_id)
            user.email_verified = True
        else:
            await repository.mark_other_email_verified(unit.connection, user.user_id, row.email)
        return user, row.email

    return await deps.units.run(handle)
