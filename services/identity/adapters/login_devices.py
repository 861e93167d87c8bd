"""Read models of the new-device check: known login IPs and held sessions' mailed links."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.adapters.tables import known_login_ips, new_device_confirmations, sessions


async def is_known_ip(connection: AsyncConnection, user_id: str, ip_address: str) -> bool:
    """Whether the user completed a login (or registered) from `ip_address`."""
    query = sa.select(known_login_ips.c.user_id).where(
        known_login_ips.c.user_id == user_id, known_login_ips.c.ip_address == ip_address
    )
    return (await connection.execute(query)).first() is not None


async def remember_ip(connection: AsyncConnection, user_id: str, ip_address: str, now_us: int) -> None:
    """Adds `ip_address` to the user's known login IPs (no-op when known or empty)."""
    if not ip_address or await is_known_ip(connection, user_id, ip_address):
        return
    await connection.execute(
        sa.insert(known_login_ips).values(user_id=user_id, ip_address=ip_address[:64], first_seen_us=now_us)
    )


async def confirmation_of_session(connection: AsyncConnection, session_id_hash: str):
    query = sa.select(new_device_confirmations).where(new_device_confirmations.c.session_id_hash == session_id_hash)
    return (await connection.execute(query)).first()


async def confirmation_of_token(connection: AsyncConnection, token_hash: str):
    query = sa.select(new_device_confirmations).where(new_device_confirmations.c.token_hash == token_hash)
    return (await connection.execute(query)).first()


async def save_confirmation(connection: AsyncConnection, **values) -> None:
    """Inserts or replaces the held session's pending link (one per session)."""
    await connection.execute(
        sa.delete(new_device_confirmations).where(
            new_device_confirmations.c.session_id_hash == values["session_id_hash"]
        )
    )
    await connection.execute(sa.insert(new_device_confirmations).values(**values))


async def release_session(connection: AsyncConnection, session_id_hash: str, method: str, now_us: int) -> None:
    """Marks the held session verified with `method` and deletes its link."""
    await connection.execute(
        sa.update(sessions).where(sessions.c.id_hash == session_id_hash).values(
            second_factor_verified=True, second_factor_method=method, new_device_held=False, last_seen_us=now_us,
        )
    )
    await connection.execute(
        sa.delete(new_device_confirmations).where(new_device_confirmations.c.session_id_hash == session_id_hash)
    )


async def hold_session(connection: AsyncConnection, session_id_hash: str) -> None:
    await connection.execute(
        sa.update(sessions).where(sessions.c.id_hash == session_id_hash).values(new_device_held=True)
    )
