"""Read models of the identity service, read and written inside a unit of work's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.eventstore.store import ConcurrencyConflict
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters.tables import (
    credentials,
    email_verifications,
    password_reset_requests,
    password_resets,
    sessions,
    store,
    user_emails,
    users,
)


def _user_message(row) -> identity_pb2.User:
    return identity_pb2.User(
        user_id=row.user_id,
        username=row.username,
        email=row.email,
        email_verified=row.email_verified,
        state=row.state,
        created_at_us=row.created_at_us,
    )


async def find_user(connection: AsyncConnection, *, user_id: str = "", username: str = ""):
    """The user by id or (case-insensitive) username, or None."""
    query = sa.select(users)
    query = query.where(users.c.user_id == user_id) if user_id else query.where(
        users.c.username_key == username.lower()
    )
    row = (await connection.execute(query)).first()
    return _user_message(row) if row else None


async def email_in_use(connection: AsyncConnection, email: str) -> bool:
    """Whether any account has the address, as its primary or another one."""
    query = sa.select(users.c.user_id).where(users.c.email_key == email.lower())
    if (await connection.execute(query)).first() is not None:
        return True
    other = sa.select(user_emails.c.user_id).where(user_emails.c.email_key == email.lower())
    return (await connection.execute(other)).first() is not None


async def find_user_by_email(connection: AsyncConnection, email: str):
    """The user whose primary address, or another verified one, is `email`; or None."""
    query = sa.select(users.c.user_id).where(users.c.email_key == email.lower())
    user_id = (await connection.execute(query)).scalar()
    if user_id is None:
        other = sa.select(user_emails.c.user_id).where(
            user_emails.c.email_key == email.lower(), user_emails.c.verified.is_(True)
        )
        user_id = (await connection.execute(other)).scalar()
    return await find_user(connection, user_id=user_id) if user_id else None


async def other_emails(connection: AsyncConnection, user_id: str) -> list:
    """The user's non-primary addresses (rows with email and verified), oldest first."""
    query = sa.select(user_emails).where(user_emails.c.user_id == user_id).order_by(user_emails.c.added_at_us)
    return list((await connection.execute(query)).all())


async def add_other_email(connection: AsyncConnection, user_id: str, email: str, verified: bool, now: int) -> None:
    """Raises ConcurrencyConflict when another account added the address meanwhile, so that the
    unit of work re-runs and finds it taken."""
    try:
        await connection.execute(sa.insert(user_emails).values(
            email_key=email.lower(), user_id=user_id, email=email, verified=verified, added_at_us=now,
        ))
    except sa.exc.IntegrityError as error:
        raise ConcurrencyConflict("a concurrent request added the same address") from error


async def remove_other_email(connection: AsyncConnection, user_id: str, email: str) -> None:
    """Deletes the address and its pending verification links."""
    await connection.execute(sa.delete(user_emails).where(
        user_emails.c.user_id == user_id, user_emails.c.email_key == email.lower()
    ))
    await connection.execute(sa.delete(email_verifications).where(
        email_verifications.c.user_id == user_id, email_verifications.c.email == email
    ))


async def mark_other_email_verified(connection: AsyncConnection, user_id: str, email: str) -> None:
    await connection.execute(sa.update(user_emails).where(
        user_emails.c.user_id == user_id, user_emails.c.email_key == email.lower()
    ).values(verified=True))


async def swap_primary_email(connection: AsyncConnection, user_id: str, old_email: str, old_verified: bool,
                             new_email: str) -> None:
    """Makes `new_email` (verified) the primary address; the old primary joins the other addresses."""
    row = (await connection.execute(sa.select(user_emails.c.added_at_us).where(
        user_emails.c.email_key == new_email.lower()))).first()
    await connection.execute(sa.delete(user_emails).where(user_emails.c.email_key == new_email.lower()))
    await connection.execute(sa.update(users).where(users.c.user_id == user_id).values(
        email=new_email, email_key=new_email.lower(), email_verified=True,
    ))
    await add_other_email(connection, user_id, old_email, old_verified, row.added_at_us if row else 0)


async def add_password_reset(connection: AsyncConnection, **values) -> None:
    await connection.execute(sa.insert(password_resets).values(**values))


async def find_password_reset(connection: AsyncConnection, token_hash: str):
    query = sa.select(password_resets).where(password_resets.c.token_hash == token_hash)
    return (await connection.execute(query)).first()


async def remove_password_resets(connection: AsyncConnection, user_id: str) -> int:
    """Deletes every reset link of the user (one was used, or the password changed); answers how many."""
    result = await connection.execute(sa.delete(password_resets).where(password_resets.c.user_id == user_id))
    return result.rowcount


async def add_reset_request(connection: AsyncConnection, ip_address: str, now: int) -> None:
    await connection.execute(sa.insert(password_reset_requests).values(ip_address=ip_address, requested_at_us=now))


async def reset_requests_since(connection: AsyncConnection, ip_address: str, since_us: int) -> list[int]:
    query = sa.select(password_reset_requests.c.requested_at_us).where(
        password_reset_requests.c.ip_address == ip_address, password_reset_requests.c.requested_at_us >= since_us
    )
    return [row.requested_at_us for row in (await connection.execute(query)).all()]


async def event_times_since(connection: AsyncConnection, stream: str, event_type: str, since_us: int) -> list[int]:
    """Times of the stream's events of one type since `since_us`."""
    events = store.events
    query = sa.select(events.c.occurred_at_us).where(
        events.c.stream == stream, events.c.type == event_type, events.c.occurred_at_us >= since_us
    )
    return [row.occurred_at_us for row in (await connection.execute(query)).all()]


async def user_sessions(connection: AsyncConnection, user_id: str) -> list:
    """Every session of the user (id_hash, session_id)."""
    query = sa.select(sessions.c.id_hash, sessions.c.session_id).where(sessions.c.user_id == user_id)
    return list((await connection.execute(query)).all())


async def add_user(connection: AsyncConnection, user: identity_pb2.User, password_hash: str) -> None:
    await connection.execute(
        sa.insert(users).values(
            user_id=user.user_id,
            username=user.username,
            username_key=user.username.lower(),
            email=user.email,
            email_key=user.email.lower(),
            email_verified=user.email_verified,
            state=user.state,
            created_at_us=user.created_at_us,
        )
    )
    await connection.execute(sa.insert(credentials).values(user_id=user.user_id, password_hash=password_hash))


async def password_hash_of(connection: AsyncConnection, user_id: str) -> str | None:
    query = sa.select(credentials.c.password_hash).where(credentials.c.user_id == user_id)
    return (await connection.execute(query)).scalar()


async def set_password_hash(connection: AsyncConnection, user_id: str, password_hash: str) -> None:
    await connection.execute(
        sa.update(credentials).where(credentials.c.user_id == user_id).values(password_hash=password_hash)
    )


async def add_session(connection: AsyncConnection, **values) -> None:
    await connection.execute(sa.insert(sessions).values(**values))


async def find_session(connection: AsyncConnection, id_hash: str):
    query = sa.select(sessions).where(sessions.c.id_hash == id_hash)
    return (await connection.execute(query)).first()


async def touch_session(connection: AsyncConnection, id_hash: str, now_us: int) -> None:
    await connection.execute(
        sa.update(sessions).where(sessions.c.id_hash == id_hash).values(last_seen_us=now_us)
    )


async def remove_session(connection: AsyncConnection, id_hash: str) -> None:
    await connection.execute(sa.delete(sessions).where(sessions.c.id_hash == id_hash))


async def mark_reauthenticated(connection: AsyncConnection, id_hash: str, now_us: int) -> None:
    await connection.execute(
        sa.update(sessions).where(sessions.c.id_hash == id_hash).values(reauthenticated_at_us=now_us)
    )


async def set_user_state(connection: AsyncConnection, user_id: str, state: str) -> None:
    await connection.execute(sa.update(users).where(users.c.user_id == user_id).values(state=state))


async def sessions_of(connection: AsyncConnection, user_id: str) -> list:
    """Every session of the user: (id_hash, session_id) rows."""
    query = sa.select(sessions.c.id_hash, sessions.c.session_id).where(sessions.c.user_id == user_id)
    return list((await connection.execute(query)).all())


async def other_sessions(connection: AsyncConnection, user_id: str, keep_id_hash: str) -> list:
    """The user's sessions except the one with `keep_id_hash`."""
    query = sa.select(sessions.c.id_hash, sessions.c.session_id).where(
        sessions.c.user_id == user_id, sessions.c.id_hash != keep_id_hash
    )
    return list((await connection.execute(query)).all())


async def mark_email_verified(connection: AsyncConnection, user_id: str) -> None:
    await connection.execute(sa.update(users).where(users.c.user_id == user_id).values(email_verified=True))


async def add_email_verification(connection: AsyncConnection, **values) -> None:
    await connection.execute(sa.insert(email_verifications).values(**values))


async def take_email_verification(connection: AsyncConnection, token_hash: str):
    """The verification row of a link, deleted in the same transaction (a link works once), or None."""
    query = sa.select(email_verifications).where(email_verifications.c.token_hash == token_hash)
    row = (await connection.execute(query)).first()
    if row is not None:
        await connection.execute(sa.delete(email_verifications).where(email_verifications.c.token_hash == token_hash))
    return row


async def resends_since(connection: AsyncConnection, user_id: str, since_us: int) -> list[int]:
    """Creation times of the links the user asked to be mailed again since `since_us`."""
    query = sa.select(email_verifications.c.created_at_us).where(
        email_verifications.c.user_id == user_id,
        email_verifications.c.resent.is_(True),
        email_verifications.c.created_at_us >= since_us,
    )
    return [row.created_at_us for row in (await connection.execute(query)).all()]


async def login_failures_since(
    connection: AsyncConnection, since_us: int, most_recent: int, *, stream: str = "", ip: str = ""
) -> list[int]:
    """Times of the `most_recent` LoginFailed events since `since_us`, in a stream, from an IP, or
    overall. (The event store is the record of failures; rate limits read it, not a copy; only
    the newest `limit` failures decide whether a limit is reached, so no more are read.)"""
    events = store.events
    query = (
        sa.select(events.c.occurred_at_us)
        .where(events.c.type == "LoginFailed", events.c.occurred_at_us >= since_us)
        .order_by(events.c.occurred_at_us.desc())
        .limit(max(most_recent, 0))
    )
    if stream:
        query = query.where(events.c.stream == stream)
    if ip:
        query = query.where(events.c.actor_ip == ip)
    return [row.occurred_at_us for row in (await connection.execute(query)).all()]
