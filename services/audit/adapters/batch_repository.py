"""Writing many projected events with a handful of statements (the projector's fast path).

Per-row statements cost far more in driver round trips than in SQL; a batch of a few hundred
events goes in with one multi-row insert per table instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.adapters.tables import audit_users, chain_heads, log_entries, security_events
from services.audit.domain.chain import ChainHead

StreamKey = tuple[str, str]


async def bulk_insert(connection: AsyncConnection, table: sa.Table, rows: list[dict]) -> None:
    """Inserts many rows: COPY on PostgreSQL (psycopg), where it is several times faster than
    an executemany; a portable multi-row insert elsewhere."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        await connection.execute(sa.insert(table), rows)
        return
    columns = list(rows[0])
    raw = await connection.get_raw_connection()
    cursor = raw.driver_connection.cursor()
    names = ", ".join(f'"{column}"' for column in columns)
    async with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            await copy.write_row(tuple(row[column] for column in columns))


async def known_event_ids(connection: AsyncConnection, event_ids: Sequence[str]) -> set[str]:
    """Which of `event_ids` are projected already."""
    query = sa.select(security_events.c.event_id).where(security_events.c.event_id.in_(event_ids))
    return set((await connection.execute(query)).scalars())


async def heads_of(connection: AsyncConnection, streams: Iterable[StreamKey]) -> dict[StreamKey, ChainHead]:
    """The stored heads of `streams` (streams never seen are absent)."""
    wanted = set(streams)
    services = {service for service, _ in wanted}
    names = {stream for _, stream in wanted}
    query = sa.select(chain_heads).where(chain_heads.c.service.in_(services), chain_heads.c.stream.in_(names))
    rows = await connection.execute(query)
    found = {(row.service, row.stream): ChainHead(row.version, row.hash) for row in rows}
    return {key: head for key, head in found.items() if key in wanted}


async def insert_events(connection: AsyncConnection, rows: list[dict]) -> list[int]:
    """Inserts records in order; returns their seqs in the same order."""
    # A plain multi-row insert then one lookup: RETURNING in parameter order makes SQLAlchemy
    # fall back to slow paths (row by row on SQLite, small pages on PostgreSQL).
    await bulk_insert(connection, security_events, rows)
    ids = [row["event_id"] for row in rows]
    query = sa.select(security_events.c.event_id, security_events.c.seq).where(security_events.c.event_id.in_(ids))
    seq_of = dict(list(await connection.execute(query)))
    return [seq_of[event_id] for event_id in ids]


async def insert_log_entries(connection: AsyncConnection, entries: list[tuple[str, int]]) -> None:
    """Adds (log_key, seq) memberships."""
    await bulk_insert(connection, log_entries, [{"log_key": k, "seq": s} for k, s in entries])


async def remember_users(connection: AsyncConnection, pairs: Iterable[tuple[str, str]]) -> None:
    """Records user_id -> username pairs not known yet (the first name seen for an id wins)."""
    first = {}
    for user_id, username in pairs:
        first.setdefault(user_id, username)
    if not first:
        return
    known_query = sa.select(audit_users.c.user_id).where(audit_users.c.user_id.in_(list(first)))
    known = set((await connection.execute(known_query)).scalars())
    new = [{"user_id": i, "username": n, "username_key": n.casefold()} for i, n in first.items() if i not in known]
    if new:
        await connection.execute(sa.insert(audit_users), new)


async def save_heads(connection: AsyncConnection, heads: dict[StreamKey, ChainHead], existing: set[StreamKey]) -> None:
    """Stores the new heads: updates those in `existing`, inserts the others."""
    updates = [
        {"s": s, "n": n, "v": h.version, "h": h.hash} for (s, n), h in heads.items() if (s, n) in existing
    ]
    inserts = [
        {"service": s, "stream": n, "version": h.version, "hash": h.hash}
        for (s, n), h in heads.items() if (s, n) not in existing
    ]
    if updates:
        statement = (
            sa.update(chain_heads)
            .where(chain_heads.c.service == sa.bindparam("s"), chain_heads.c.stream == sa.bindparam("n"))
            .values(version=sa.bindparam("v"), hash=sa.bindparam("h"))
        )
        await connection.execute(statement, updates)
    if inserts:
        await connection.execute(sa.insert(chain_heads), inserts)
