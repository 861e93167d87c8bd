"""Read model of the mfa service, read inside a unit of work's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.mfa.adapters.tables import second_factors


async def methods_of(connection: AsyncConnection, user_id: str) -> list[str]:
    """The distinct methods of the user's enrolled factors (unordered)."""
    query = sa.select(second_factors.c.method).where(second_factors.c.user_id == user_id).distinct()
    return list((await connection.execute(query)).scalars())
