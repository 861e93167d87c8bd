"""Read models of account recovery: recoveries and their mailed links (SHA-256 of each token)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.tables import account_recoveries, recovery_links

IN_PROGRESS = ("started", "confirmed", "completing")


async def in_progress_of(connection: AsyncConnection, user_id: str):
    """The user's recovery that has not ended, or None."""
    query = sa.select(account_recoveries).where(
        account_recoveries.c.user_id == user_id, account_recoveries.c.state.in_(IN_PROGRESS)
    )
    return (await connection.execute(query)).first()


async def find(connection: AsyncConnection, recovery_id: str):
    query = sa.select(account_recoveries).where(account_recoveries.c.recovery_id == recovery_id)
    return (await connection.execute(query)).first()


async def add(connection: AsyncConnection, recovery_id: str, user_id: str, now_us: int) -> None:
    await connection.execute(sa.insert(account_recoveries).values(
        recovery_id=recovery_id, user_id=user_id, state="started", started_at_us=now_us, due_at_us=0, ended_at_us=0,
    ))


async def set_state(connection: AsyncConnection, recovery_id: str, state: str, **values) -> None:
    await connection.execute(
        sa.update(account_recoveries).where(account_recoveries.c.recovery_id == recovery_id).values(state=state, **values)
    )


async def add_link(connection: AsyncConnection, token_hash: str, recovery_id: str, purpose: str, expires_at_us: int):
    await connection.execute(sa.insert(recovery_links).values(
        token_hash=token_hash, recovery_id=recovery_id, purpose=purpose, expires_at_us=expires_at_us,
    ))


async def find_link(connection: AsyncConnection, token_hash: str):
    query = sa.select(recovery_links).where(recovery_links.c.token_hash == token_hash)
    return (await connection.execute(query)).first()


async def delete_links(connection: AsyncConnection, recovery_id: str, purpose: str = "") -> None:
    """Deletes the recovery's links (of one `purpose`, or all)."""
    query = sa.delete(recovery_links).where(recovery_links.c.recovery_id == recovery_id)
    if purpose:
        query = query.where(recovery_links.c.purpose == purpose)
    await connection.execute(query)


async def due(connection: AsyncConnection, now_us: int) -> list:
    """Recoveries whose waiting period is over (and those whose completion was interrupted)."""
    query = sa.select(account_recoveries).where(
        account_recoveries.c.state.in_(("confirmed", "completing")), account_recoveries.c.due_at_us <= now_us
    )
    return list((await connection.execute(query)).all())
