"""Account recovery for a user who lost every second factor (operator-started).

1. `gatehouse admin recover USER` (StartRecovery): an identity link (signed, single use, 24
   hours) goes to the primary address, or the first verified one if the primary is not; every
   address gets a notice with its own cancel link. RecoveryStarted.
2. The user opens the identity link (ConfirmRecovery): the waiting period (24 hours by default)
   starts and is announced to every address, again with cancel links. RecoveryConfirmed.
3. Anyone holding a mailed cancel link, or the user logged in (account page), can cancel until
   the end (CancelRecovery). RecoveryCancelled.
4. After the wait identity's scheduler (recovery_completion.py) has mfa remove every second
   factor, ends every session and records RecoveryCompleted; the user logs in with the
   password and is sent to set up 2FA again (GATEHOUSE_REQUIRE_2FA).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.identity.v1 import identity_pb2
from gatehouse.mail.sender import MailError
from services.identity.adapters import recoveries, repository
from services.identity.domain import model
from services.identity.application.sessions import live_session
from services.identity.domain.errors import (
    NoRecoveryInProgress,
    NoVerifiedEmail,
    OperatorRequired,
    RecoveryInProgress,
    RecoveryLinkInvalid,
    UserNotFound,
)

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies

log = structlog.get_logger(__name__)

IDENTITY_LINK_LIFETIME_US = 24 * 3600 * 1_000_000
CANCEL_LINK_LIFETIME_US = 60 * 24 * 3600 * 1_000_000  # deleted anyway when the recovery ends
INVALID_LINK = "This account recovery link is invalid, already used, expired or cancelled."


def recovery_message(row) -> identity_pb2.Recovery:
    """The Recovery message of a stored row."""
    return identity_pb2.Recovery(recovery_id=row.recovery_id, user_id=row.user_id, state=row.state,
                                 started_at_us=row.started_at_us, due_at_us=row.due_at_us)


def utc(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1e6, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


async def addresses_of(connection, user: identity_pb2.User) -> list[tuple[str, bool]]:
    """Every address of the user as (address, verified), the primary first."""
    others = await repository.other_emails(connection, user.user_id)
    return [(user.email, user.email_verified), *((row.email, row.verified) for row in others)]


async def record(unit, user: identity_pb2.User, event, actor) -> None:
    subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
    await unit.record(model.stream_of(user.user_id), None, [event], actor, subjects)


async def cancel_links(deps: Dependencies, unit, recovery_id: str, addresses) -> list[tuple[str, str]]:
    """A fresh cancel link for each address: (address, token)."""
    mailed = []
    for address, _ in addresses:
        token = deps.recovery_tokens.mint()
        await recoveries.add_link(unit.connection, deps.recovery_tokens.id_hash(token), recovery_id, "cancel",
                                  now_us() + CANCEL_LINK_LIFETIME_US)
        mailed.append((address, token))
    return mailed


async def send(deps: Dependencies, to: str, subject: str, text: str) -> None:
    """Mails one message; a failed send is logged (the operator can start again)."""
    if deps.mailer is None:
        return
    try:
        await deps.mailer.send(to, subject, text)
    except MailError as error:
        log.warning("identity.recovery_mail_failed", error=str(error))


def cancel_paragraph(deps: Dependencies, token: str) -> str:
    return (f"If you did not ask the index's operators to recover your account, cancel it now:\n\n"
            f"{deps.origin}/account/recovery/cancel?token={token}\n")


async def start(deps: Dependencies, request: identity_pb2.StartRecoveryRequest) -> identity_pb2.StartRecoveryResponse:
    """Starts a recovery and mails its links. Raises OperatorRequired, UserNotFound,
    NoVerifiedEmail or RecoveryInProgress."""
    if not request.actor.operator:
        raise OperatorRequired("Only the index's operators can start an account recovery.")
    recovery_id = str(uuid.uuid4())

    async def handle(unit):
        user = await repository.find_user(unit.connection, username=request.username) if request.username else None
        if user is None:
            raise UserNotFound(f"No user is named '{request.username}'.")
        addresses = await addresses_of(unit.connection, user)
        verified = [address for address, is_verified in addresses if is_verified]
        if not verified:
            raise NoVerifiedEmail(f"{user.username} has no verified e-mail address to prove their identity with.")
        if await recoveries.in_progress_of(unit.connection, user.user_id):
            raise RecoveryInProgress(f"An account recovery of {user.username} is already in progress.")
        now = now_us()
        await recoveries.add(unit.connection, recovery_id, user.user_id, now)
        identity_token = deps.recovery_tokens.mint()
        await recoveries.add_link(unit.connection, deps.recovery_tokens.id_hash(identity_token), recovery_id,
                                  "confirm", now + IDENTITY_LINK_LIFETIME_US)
        mailed = await cancel_links(deps, unit, recovery_id, addresses)
        started = events.RecoveryStarted(user_id=user.user_id, recovery_id=recovery_id, identity_email=verified[0],
                                         addresses_notified=len(addresses))
        await record(unit, user, started, actor_from(request.context, request.actor))
        return user, verified[0], identity_token, mailed, recovery_message(await recoveries.find(unit.connection, recovery_id))

    user, identity_email, identity_token, mailed, recovery = await deps.units.run(handle)
    await _mail_started(deps, user, identity_email, identity_token, mailed)
    return identity_pb2.StartRecoveryResponse(
        recovery=recovery, identity_email=identity_email, notified_emails=[address for address, _ in mailed]
    )


async def _mail_started(deps, user, identity_email: str, identity_token: str, mailed) -> None:
    wait = _hours(deps.recovery_wait_us)
    for address, cancel_token in mailed:
        await send(deps, address, "Account recovery started", (
            f"Hello {user.username},\n\nthe index's operators started recovering your Gatehouse account because "
            f"its owner lost every second factor. When the owner proves their identity by e-mail, the second "
            f"factors are removed after a waiting period of {wait}.\n\n{cancel_paragraph(deps, cancel_token)}"
        ))
    await send(deps, identity_email, "Confirm your account recovery", (
        f"Hello {user.username},\n\nto recover your account (remove its lost second factors), open this link "
        f"within 24 hours:\n\n{deps.origin}/account/recovery/confirm?token={identity_token}\n\n"
        f"The second factors are then removed after {wait}, unless the recovery is cancelled."
    ))


def _hours(time_us: int) -> str:
    seconds = time_us // 1_000_000
    return f"{seconds // 3600} hours" if seconds % 3600 == 0 else f"{seconds} seconds"


async def confirm(deps: Dependencies, request: identity_pb2.ConfirmRecoveryRequest) -> identity_pb2.Recovery:
    """The identity link was opened: the waiting period starts, announced to every address.
    Raises RecoveryLinkInvalid."""
    token_hash = deps.recovery_tokens.id_hash(request.token) if deps.recovery_tokens else None

    async def handle(unit):
        link = await recoveries.find_link(unit.connection, token_hash) if token_hash else None
        row = await recoveries.find(unit.connection, link.recovery_id) if link else None
        now = now_us()
        if link is None or link.purpose != "confirm" or now > link.expires_at_us or row.state != "started":
            raise RecoveryLinkInvalid(INVALID_LINK)
        due = now + deps.recovery_wait_us
        await recoveries.set_state(unit.connection, row.recovery_id, "confirmed", due_at_us=due)
        await recoveries.delete_links(unit.connection, row.recovery_id, "confirm")
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        confirmed = events.RecoveryConfirmed(user_id=user.user_id, recovery_id=row.recovery_id, due_at_us=due)
        await record(unit, user, confirmed, actor_from(request.context, _principal(user)))
        mailed = await cancel_links(deps, unit, row.recovery_id, await addresses_of(unit.connection, user))
        return user, mailed, recovery_message(await recoveries.find(unit.connection, row.recovery_id))

    user, mailed, recovery = await deps.units.run(handle)
    for address, cancel_token in mailed:
        await send(deps, address, "Account recovery: second factors will be removed", (
            f"Hello {user.username},\n\nthe owner of your Gatehouse account proved their identity by e-mail. "
            f"Every second factor of the account will be removed at {utc(recovery.due_at_us)}; then log in with "
            f"your password and set up new ones.\n\n{cancel_paragraph(deps, cancel_token)}"
        ))
    return recovery


def _principal(user: identity_pb2.User) -> common_pb2.Principal:
    return common_pb2.Principal(user_id=user.user_id, username=user.username)


async def _recovery_to_cancel(deps: Dependencies, unit, request):
    """(recovery row, user, how) for a cancel link's token or a live session. Raises
    RecoveryLinkInvalid, SessionInvalid or NoRecoveryInProgress."""
    if request.session_token:
        session = await live_session(deps, unit.connection, deps.session_tokens.id_hash(request.session_token))
        row = await recoveries.in_progress_of(unit.connection, session.user_id)
        if row is None or row.state == "completing":
            raise NoRecoveryInProgress("Your account has no recovery in progress.")
        return row, "session"
    token_hash = deps.recovery_tokens.id_hash(request.token) if deps.recovery_tokens else None
    link = await recoveries.find_link(unit.connection, token_hash) if token_hash else None
    row = await recoveries.find(unit.connection, link.recovery_id) if link else None
    if link is None or link.purpose != "cancel" or now_us() > link.expires_at_us or row.state not in ("started", "confirmed"):
        raise RecoveryLinkInvalid(INVALID_LINK)
    return row, "link"


async def cancel(deps: Dependencies, request: identity_pb2.CancelRecoveryRequest) -> identity_pb2.Recovery:
    """Cancels the recovery (every link stops working) and tells every address. Raises
    RecoveryLinkInvalid, SessionInvalid or NoRecoveryInProgress."""

    async def handle(unit):
        row, how = await _recovery_to_cancel(deps, unit, request)
        await recoveries.set_state(unit.connection, row.recovery_id, "cancelled", ended_at_us=now_us())
        await recoveries.delete_links(unit.connection, row.recovery_id)
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        cancelled = events.RecoveryCancelled(user_id=user.user_id, recovery_id=row.recovery_id, cancelled_by=how)
        await record(unit, user, cancelled, actor_from(request.context, _principal(user)))
        return user, await addresses_of(unit.connection, user), recovery_message(await recoveries.find(unit.connection, row.recovery_id))

    user, addresses, recovery = await deps.units.run(handle)
    for address, _ in addresses:
        await send(deps, address, "Account recovery cancelled", (
            f"Hello {user.username},\n\nthe recovery of your Gatehouse account was cancelled; its second factors "
            "stay as they are. If you did not cancel it, contact the index's operators."
        ))
    return recovery


async def get(deps: Dependencies, request: identity_pb2.GetRecoveryRequest) -> identity_pb2.Recovery:
    """The session user's recovery in progress (an empty message when none). Raises SessionInvalid."""
    id_hash = deps.session_tokens.id_hash(request.session_token)
    async with deps.units() as unit:
        session = await live_session(deps, unit.connection, id_hash)
        row = await recoveries.in_progress_of(unit.connection, session.user_id)
    return recovery_message(row) if row else identity_pb2.Recovery()
