"""Several e-mail addresses per account, one primary: listing, adding (a verification link is
mailed to the new address), removing a non-primary one, and making a verified one primary (the
notifier mails the old primary address on EmailChanged)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters import repository
from services.identity.application import email_verification
from services.identity.domain import model
from services.identity.domain.errors import EmailTaken
from services.identity.application.sessions import live_session

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies


async def _session_user(deps: Dependencies, connection, session_token: str) -> identity_pb2.User:
    """The live session's user. Raises SessionInvalid."""
    row = await live_session(deps, connection, deps.session_tokens.id_hash(session_token))
    return await repository.find_user(connection, user_id=row.user_id)


async def list_emails(deps: Dependencies, request: identity_pb2.ListEmailsRequest) -> list[identity_pb2.EmailAddress]:
    """The session user's addresses, the primary first. Raises SessionInvalid."""
    async with deps.units() as unit:
        user = await _session_user(deps, unit.connection, request.session_token)
        others = await repository.other_emails(unit.connection, user.user_id)
    primary = identity_pb2.EmailAddress(email=user.email, verified=user.email_verified, primary=True)
    return [primary, *(identity_pb2.EmailAddress(email=row.email, verified=row.verified) for row in others)]


async def _change(deps: Dependencies, request, decide, apply):
    """Runs one address change for the session user: `decide(state)` gives the events (or
    raises), `apply(connection, user, state, events)` updates the read models."""

    async def handle(unit):
        user = await _session_user(deps, unit.connection, request.session_token)
        stream = model.stream_of(user.user_id)
        state = model.fold(await unit.load(stream))
        new_events = decide(state)
        actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
        subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
        await unit.record(stream, state.version, new_events, actor, subjects)
        return await apply(unit.connection, user, state, new_events)

    return await deps.units.run(handle)


async def add_email(deps: Dependencies, request: identity_pb2.AddEmailRequest) -> identity_pb2.EmailAddress:
    """Adds an unverified address and mails it a verification link. Raises SessionInvalid,
    InvalidEmail, EmailTaken (on this or any account) or TooManyEmails."""
    from services.identity.application.handlers import normalized_email

    email = normalized_email(request.email)

    async def apply(connection, user, state, new_events):
        if await repository.email_in_use(connection, email):
            raise EmailTaken("This e-mail address is already used by another account.")
        await repository.add_other_email(connection, user.user_id, email, False, now_us())
        return user

    user = await _change(deps, request, lambda state: model.add_email(state, email), apply)
    await email_verification.mail_link(deps, identity_pb2.User(user_id=user.user_id, username=user.username, email=email),
                                       resent=False, added=True)
    return identity_pb2.EmailAddress(email=email, verified=False)


async def remove_email(deps: Dependencies, request: identity_pb2.RemoveEmailRequest) -> None:
    """Removes a non-primary address. Raises SessionInvalid, EmailIsPrimary or EmailNotFound."""

    async def apply(connection, user, state, new_events):
        await repository.remove_other_email(connection, user.user_id, new_events[0].email)

    await _change(deps, request, lambda state: model.remove_email(state, request.email), apply)


async def set_primary_email(deps: Dependencies, request: identity_pb2.SetPrimaryEmailRequest) -> identity_pb2.User:
    """Makes a verified address primary. Raises SessionInvalid, EmailNotFound or EmailNotVerified."""

    async def apply(connection, user, state, new_events):
        changed = new_events[0]
        await repository.swap_primary_email(connection, user.user_id, changed.old_email, state.email_verified,
                                            changed.new_email)
        return await repository.find_user(connection, user_id=user.user_id)

    return await _change(deps, request, lambda state: model.set_primary_email(state, request.email), apply)
