"""Read model and sealed root keys of the tokens service, used inside a unit of work's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.tokens.adapters.crypto import SealedKey
from services.tokens.adapters.tables import retired_chain_keys, root_keys, tokens


async def add_token(connection: AsyncConnection, **values) -> None:
    """Inserts a new token row (never used, not revoked)."""
    await connection.execute(
        sa.insert(tokens).values(last_used_at_us=0, last_used_ip="", revoked=False, revoked_at_us=0, **values)
    )


async def store_root_key(connection: AsyncConnection, token_id: str, sealed: SealedKey) -> None:
    await connection.execute(
        sa.insert(root_keys).values(token_id=token_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext)
    )


async def find_token(connection: AsyncConnection, token_id: str):
    """The token row, or None."""
    return (await connection.execute(sa.select(tokens).where(tokens.c.token_id == token_id))).first()


async def tokens_of(connection: AsyncConnection, user_id: str) -> list:
    """The user's token rows, newest first."""
    query = sa.select(tokens).where(tokens.c.user_id == user_id).order_by(tokens.c.created_at_us.desc())
    return list(await connection.execute(query))


async def root_key_of(connection: AsyncConnection, token_id: str) -> SealedKey | None:
    """The sealed root key, or None once the token is revoked."""
    query = sa.select(root_keys.c.nonce, root_keys.c.ciphertext).where(root_keys.c.token_id == token_id)
    row = (await connection.execute(query)).first()
    return SealedKey(bytes(row.nonce), bytes(row.ciphertext)) if row else None


async def mark_revoked(connection: AsyncConnection, token_id: str, now_us: int) -> bool:
    """Deletes the root key and marks the row revoked. False when it already was revoked, which
    under concurrency means another transaction got there first."""
    result = await connection.execute(
        sa.update(tokens)
        .where(tokens.c.token_id == token_id, tokens.c.revoked == sa.false())
        .values(revoked=True, revoked_at_us=now_us)
    )
    await connection.execute(sa.delete(root_keys).where(root_keys.c.token_id == token_id))
    return result.rowcount == 1


async def mark_used(connection: AsyncConnection, token_id: str, now_us: int, ip_address: str) -> None:
    await connection.execute(
        sa.update(tokens)
        .where(tokens.c.token_id == token_id)
        .values(last_used_at_us=now_us, last_used_ip=ip_address[:64])
    )


async def store_retired_chain_key(connection: AsyncConnection, token_id: str, sealed: SealedKey) -> None:
    """Keeps a revoked token's sealed chain key (see tables.retired_chain_keys)."""
    await connection.execute(
        sa.insert(retired_chain_keys).values(token_id=token_id, nonce=sealed.nonce, ciphertext=sealed.ciphertext)
    )


async def retired_chain_key_of(connection: AsyncConnection, token_id: str) -> SealedKey | None:
    """The sealed chain key of a revoked token, or None (not revoked, or revoked before it was kept)."""
    query = sa.select(retired_chain_keys.c.nonce, retired_chain_keys.c.ciphertext).where(
        retired_chain_keys.c.token_id == token_id)
    row = (await connection.execute(query)).first()
    return SealedKey(bytes(row.nonce), bytes(row.ciphertext)) if row else None
