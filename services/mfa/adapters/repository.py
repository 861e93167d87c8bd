"""Read models and secret tables of the mfa service, used inside a unit of work's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.mfa.adapters.tables import (
    pending_totp,
    recovery_codes,
    second_factors,
    second_step_failures,
    totp_secrets,
)


async def methods_of(connection: AsyncConnection, user_id: str) -> list[str]:
    """The distinct methods of the user's enrolled factors (unordered); recovery codes count only
    as a way in next to another factor, and only while unused ones remain."""
    # One statement (it runs on every upload): the methods, each beside whether codes remain.
    unused_codes = sa.exists().where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at_us.is_(None))
    query = (sa.select(second_factors.c.method, unused_codes.label("codes_left"))
             .where(second_factors.c.user_id == user_id).distinct())
    rows = (await connection.execute(query)).all()
    methods = [row.method for row in rows]
    if rows and rows[0].codes_left:
        methods.append("recovery_code")
    return methods


async def add_factor(connection, factor_id, user_id, method, label, now_us) -> None:
    """Adds a row to the second-factor read model."""
    await connection.execute(sa.insert(second_factors).values(
        factor_id=factor_id, user_id=user_id, method=method, label=label, created_at_us=now_us,
        last_used_at_us=0,
    ))


async def remove_factor(connection: AsyncConnection, factor_id: str) -> None:
    """Removes a row from the second-factor read model."""
    await connection.execute(sa.delete(second_factors).where(second_factors.c.factor_id == factor_id))


async def touch_factor(connection: AsyncConnection, user_id: str, method: str, now_us: int) -> None:
    """Records when a method was last used."""
    await connection.execute(
        sa.update(second_factors)
        .where(second_factors.c.user_id == user_id, second_factors.c.method == method)
        .values(last_used_at_us=now_us)
    )


async def replace_recovery_codes(connection, user_id: str, hashes: list[tuple[str, str]]) -> None:
    """Drops the old set and stores (code_id, hash) pairs of the new one."""
    await connection.execute(sa.delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
    for code_id, code_hash in hashes:
        await connection.execute(sa.insert(recovery_codes).values(
            code_id=code_id, user_id=user_id, code_hash=code_hash, used_at_us=None
        ))


async def recovery_code_rows(connection: AsyncConnection, user_id: str) -> list:
    """The user's recovery-code rows (used ones included)."""
    query = sa.select(recovery_codes).where(recovery_codes.c.user_id == user_id)
    return list(await connection.execute(query))


async def unused_code_count(connection: AsyncConnection, user_id: str) -> int:
    """How many recovery codes are left."""
    query = sa.select(sa.func.count()).select_from(recovery_codes).where(
        recovery_codes.c.user_id == user_id, recovery_codes.c.used_at_us.is_(None)
    )
    return int((await connection.execute(query)).scalar_one())


async def burn_recovery_code(connection: AsyncConnection, code_id: str, now_us: int) -> bool:
    """Marks a code used; False when another request used it first."""
    result = await connection.execute(
        sa.update(recovery_codes)
        .where(recovery_codes.c.code_id == code_id, recovery_codes.c.used_at_us.is_(None))
        .values(used_at_us=now_us)
    )
    return result.rowcount == 1


async def set_pending_totp(connection, user_id: str, sealed: bytes, now_us: int) -> None:
    """Stores a sealed secret awaiting confirmation (replacing an older one)."""
    await connection.execute(sa.delete(pending_totp).where(pending_totp.c.user_id == user_id))
    await connection.execute(sa.insert(pending_totp).values(user_id=user_id, sealed_secret=sealed,
                                                            created_at_us=now_us))


async def pending_totp_of(connection: AsyncConnection, user_id: str):
    """The user's pending TOTP enrolment, or None."""
    query = sa.select(pending_totp).where(pending_totp.c.user_id == user_id)
    return (await connection.execute(query)).first()


async def store_totp(connection, user_id: str, factor_id: str, sealed: bytes, now_us: int) -> None:
    """Makes the pending secret the user's TOTP secret (replacing an older app's)."""
    await connection.execute(sa.delete(pending_totp).where(pending_totp.c.user_id == user_id))
    await connection.execute(sa.delete(totp_secrets).where(totp_secrets.c.user_id == user_id))
    await connection.execute(sa.insert(totp_secrets).values(
        user_id=user_id, factor_id=factor_id, sealed_secret=sealed, created_at_us=now_us
    ))


async def totp_of(connection: AsyncConnection, user_id: str):
    """The user's sealed TOTP secret row, or None."""
    query = sa.select(totp_secrets).where(totp_secrets.c.user_id == user_id)
    return (await connection.execute(query)).first()


async def delete_totp(connection: AsyncConnection, user_id: str) -> None:
    """Deletes the user's TOTP secret."""
    await connection.execute(sa.delete(totp_secrets).where(totp_secrets.c.user_id == user_id))


async def serialise(connection: AsyncConnection, *keys: str) -> None:
    """Holds a lock on each of `keys` until the transaction ends: for the rate limits (the count
    of failures and the reservation of the next attempt as one step) and for appends without an
    expected version (which would otherwise collide on a busy stream and run out of retries).
    PostgreSQL takes transaction-scoped advisory locks (in sorted order: no deadlock); SQLite
    needs nothing, as its writers already queue on BEGIN IMMEDIATE."""
    if connection.dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        await connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def stream_lock(user_id: str) -> str:
    """The `serialise` key for appending to a user's stream without an expected version."""
    return f"mfa-stream:{user_id}"


async def add_failure(connection, user_id: str, address_key: str, now_us: int) -> int:
    """Counts a failed (or reserved, not yet checked) second step for the rate limits; answers
    its id so that a reservation can be released."""
    result = await connection.execute(sa.insert(second_step_failures).values(
        user_id=user_id, address_key=address_key, at_us=now_us
    ))
    return int(result.inserted_primary_key[0])


async def release_failure(connection: AsyncConnection, failure_id: int) -> None:
    """Drops a reservation whose attempt succeeded."""
    await connection.execute(sa.delete(second_step_failures).where(second_step_failures.c.failure_id == failure_id))


async def failure_times(connection, user_id: str, address_key: str, since_us: int) -> dict[str, list[int]]:
    """Failure times (µs) since `since_us` for the user and for the address."""
    table = second_step_failures
    recent = table.c.at_us > since_us
    by_user = await connection.execute(sa.select(table.c.at_us).where(table.c.user_id == user_id, recent))
    by_ip = await connection.execute(sa.select(table.c.at_us).where(table.c.address_key == address_key, recent))
    return {"user": list(by_user.scalars()), "ip": list(by_ip.scalars())}
