"""Writing many projected events with a handful of statements (the projector's fast path).

Per-row statements cost far more in driver round trips than in SQL; a batch of a few hundred
events goes in with one multi-row statement per table instead.

On PostgreSQL every statement takes its keys as one array parameter (`unnest`, `= ANY`)
rather than an `IN (...)` list of a thousand parameters: such a list costs milliseconds of
client CPU to build and parse per statement, and once psycopg prepares the statement the
server's generic plan may test each row of an index range against the whole list, which
made each batch take seconds as `processed_events` grew. SQLite keeps the portable forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.adapters.tables import audit_users, chain_heads, log_entries, security_events
from services.audit.domain.chain import ChainHead

StreamKey = tuple[str, str]

_CLAIM = sa.text(
    "INSERT INTO processed_events (consumer, event_id) "
    "SELECT :consumer, unnest(CAST(:ids AS varchar[])) ON CONFLICT DO NOTHING RETURNING event_id"
)
_NEXT_SEQS = sa.text(
    "SELECT nextval(pg_get_serial_sequence('security_events', 'seq')) FROM generate_series(1, :count)"
)
_HEADS = sa.text(
    "SELECT h.service, h.stream, h.version, h.hash FROM chain_heads h "
    "JOIN unnest(CAST(:services AS varchar[]), CAST(:streams AS varchar[])) AS k(service, stream) "
    "ON h.service = k.service AND h.stream = k.stream"
)
_UPDATE_HEADS = sa.text(
    "UPDATE chain_heads h SET version = k.version, hash = k.hash "
    "FROM unnest(CAST(:services AS varchar[]), CAST(:streams AS varchar[]), CAST(:versions AS bigint[]), "
    "CAST(:hashes AS varchar[])) AS k(service, stream, version, hash) "
    "WHERE h.service = k.service AND h.stream = k.stream"
)
_REMEMBER_USERS = sa.text(
    "INSERT INTO audit_users (user_id, username, username_key) "
    "SELECT * FROM unnest(CAST(:ids AS varchar[]), CAST(:names AS varchar[]), CAST(:keys AS varchar[])) "
    "ON CONFLICT (user_id) DO NOTHING"
)


def _postgresql(connection: AsyncConnection) -> bool:
    return connection.dialect.name == "postgresql"


async def bulk_insert(connection: AsyncConnection, table: sa.Table, rows: list[dict]) -> None:
    """Inserts many rows: COPY on PostgreSQL (psycopg), where it is several times faster than
    an executemany; a portable multi-row insert elsewhere."""
    if not rows:
        return
    if not _postgresql(connection):
        await connection.execute(sa.insert(table), rows)
        return
    columns = list(rows[0])
    raw = await connection.get_raw_connection()
    cursor = raw.driver_connection.cursor()
    names = ", ".join(f'"{column}"' for column in columns)
    async with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            await copy.write_row(tuple(row[column] for column in columns))


async def claim(connection: AsyncConnection, processed: sa.Table, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Records `event_ids` (distinct) as handled by `consumer` and returns those it had not
    handled before: the caller handles exactly those, in the same transaction. On PostgreSQL
    a concurrent claimer of the same id waits for this transaction and then skips the id."""
    if _postgresql(connection):
        rows = await connection.execute(_CLAIM, {"consumer": consumer, "ids": list(event_ids)})
        return set(rows.scalars())
    query = sa.select(processed.c.event_id).where(processed.c.consumer == consumer, processed.c.event_id.in_(event_ids))
    done = set((await connection.execute(query)).scalars())
    fresh = [event_id for event_id in event_ids if event_id not in done]
    await bulk_insert(connection, processed, [{"consumer": consumer, "event_id": event_id} for event_id in fresh])
    return set(fresh)


async def known_event_ids(connection: AsyncConnection, event_ids: Sequence[str]) -> set[str]:
    """Which of `event_ids` are projected already."""
    column = security_events.c.event_id
    if _postgresql(connection):
        condition = column == sa.any_(sa.bindparam("ids", list(event_ids), type_=sa.ARRAY(sa.String)))
    else:
        condition = column.in_(event_ids)
    return set((await connection.execute(sa.select(column).where(condition))).scalars())


async def heads_of(connection: AsyncConnection, streams: Iterable[StreamKey]) -> dict[StreamKey, ChainHead]:
    """The stored heads of `streams` (streams never seen are absent)."""
    wanted = set(streams)
    if not wanted:
        return {}
    if _postgresql(connection):
        services, names = zip(*wanted)
        rows = await connection.execute(_HEADS, {"services": list(services), "streams": list(names)})
    else:
        services = {service for service, _ in wanted}
        names = {stream for _, stream in wanted}
        query = sa.select(chain_heads).where(chain_heads.c.service.in_(services), chain_heads.c.stream.in_(names))
        rows = await connection.execute(query)
    found = {(row.service, row.stream): ChainHead(row.version, row.hash) for row in rows}
    return {key: head for key, head in found.items() if key in wanted}


async def _next_seqs(connection: AsyncConnection, count: int) -> list[int]:
    return sorted((await connection.execute(_NEXT_SEQS, {"count": count})).scalars())


async def insert_events(connection: AsyncConnection, rows: list[dict]) -> list[int]:
    """Inserts records in order; returns their seqs in the same order."""
    if _postgresql(connection):
        # Take the seqs from the column's sequence first, so the rows go in with one COPY
        # and nothing has to be read back.
        seqs = await _next_seqs(connection, len(rows))
        await bulk_insert(connection, security_events, [dict(row, seq=seq) for row, seq in zip(rows, seqs)])
        return seqs
    # A plain multi-row insert then one lookup: RETURNING in parameter order makes SQLAlchemy
    # fall back to slow paths (row by row on SQLite).
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
    if _postgresql(connection):
        names = list(first.values())
        parameters = {"ids": list(first), "names": names, "keys": [name.casefold() for name in names]}
        await connection.execute(_REMEMBER_USERS, parameters)
        return
    known_query = sa.select(audit_users.c.user_id).where(audit_users.c.user_id.in_(list(first)))
    known = set((await connection.execute(known_query)).scalars())
    new = [{"user_id": i, "username": n, "username_key": n.casefold()} for i, n in first.items() if i not in known]
    if new:
        await connection.execute(sa.insert(audit_users), new)


async def _update_heads(connection: AsyncConnection, updates: list[tuple[StreamKey, ChainHead]]) -> None:
    if _postgresql(connection):
        columns = {
            "services": [s for (s, _), _ in updates], "streams": [n for (_, n), _ in updates],
            "versions": [h.version for _, h in updates], "hashes": [h.hash for _, h in updates],
        }
        await connection.execute(_UPDATE_HEADS, columns)
        return
    statement = (
        sa.update(chain_heads)
        .where(chain_heads.c.service == sa.bindparam("s"), chain_heads.c.stream == sa.bindparam("n"))
        .values(version=sa.bindparam("v"), hash=sa.bindparam("h"))
    )
    await connection.execute(statement, [{"s": s, "n": n, "v": h.version, "h": h.hash} for (s, n), h in updates])


async def save_heads(connection: AsyncConnection, heads: dict[StreamKey, ChainHead], existing: set[StreamKey]) -> None:
    """Stores the new heads: updates those in `existing`, inserts the others."""
    updates = [(key, head) for key, head in heads.items() if key in existing]
    inserts = [
        {"service": s, "stream": n, "version": h.version, "hash": h.hash}
        for (s, n), h in heads.items() if (s, n) not in existing
    ]
    if updates:
        await _update_heads(connection, updates)
    if inserts:
        await connection.execute(sa.insert(chain_heads), inserts)
