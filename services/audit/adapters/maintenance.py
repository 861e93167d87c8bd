"""Projection upkeep inside a caller's transaction: retention, retention marks, parking, reset."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.eventstore.store import now_us
from services.audit.adapters.tables import (
    audit_users,
    chain_heads,
    log_entries,
    parked_events,
    retention_marks,
    security_events,
    store,
)
from services.audit.domain.chain import ChainHead
from services.audit.domain.retention import KINDS, USER, stream_prefix

events = security_events


async def retention_starts(connection: AsyncConnection) -> dict[tuple[str, str], ChainHead]:
    """Per (service, stream), where the kept part of a trimmed stream continues from."""
    rows = await connection.execute(sa.select(retention_marks))
    return {(row.service, row.stream): ChainHead(row.version, row.hash) for row in rows}


def _streams_of_kind(kind: str) -> sa.ColumnElement:
    if kind != USER:
        return events.c.stream.startswith(stream_prefix(kind), autoescape=True)
    others = [events.c.stream.startswith(stream_prefix(k), autoescape=True) for k in KINDS if k != USER]
    return sa.not_(sa.or_(*others))


async def _expired_heads(connection: AsyncConnection, cutoff_us: int, kind: str) -> list:
    """Per stream of `kind`, the newest event older than the cutoff: (service, stream,
    version, hash)."""
    newest = (
        sa.select(events.c.service, events.c.stream, sa.func.max(events.c.version).label("version"))
        .where(events.c.occurred_at_us < cutoff_us, _streams_of_kind(kind))
        .group_by(events.c.service, events.c.stream)
        .subquery()
    )
    statement = sa.select(events.c.service, events.c.stream, events.c.version, events.c.hash).join(
        newest,
        sa.and_(
            events.c.service == newest.c.service,
            events.c.stream == newest.c.stream,
            events.c.version == newest.c.version,
        ),
    )
    return list(await connection.execute(statement))


async def _save_mark(connection: AsyncConnection, service: str, stream: str, head: ChainHead) -> None:
    where = sa.and_(retention_marks.c.service == service, retention_marks.c.stream == stream)
    await connection.execute(sa.delete(retention_marks).where(where))
    await connection.execute(
        sa.insert(retention_marks).values(service=service, stream=stream, version=head.version, hash=head.hash)
    )


async def trim_stream(connection: AsyncConnection, service: str, stream: str, head: ChainHead) -> int:
    """Removes a stream's rows up to `head.version` (and their log memberships), recording
    `head` as where the kept part begins. Returns the number of rows removed."""
    doomed = sa.and_(events.c.service == service, events.c.stream == stream, events.c.version <= head.version)
    seqs = sa.select(events.c.seq).where(doomed).scalar_subquery()
    await connection.execute(sa.delete(log_entries).where(log_entries.c.seq.in_(seqs)))
    removed = (await connection.execute(sa.delete(events).where(doomed))).rowcount
    await _save_mark(connection, service, stream, head)
    return removed


async def apply_retention(connection: AsyncConnection, cutoff_us: int, kind: str) -> int:
    """Removes every row of `kind`'s streams (see domain/retention.py) that occurred before
    `cutoff_us`, stream by stream, keeping each chain verifiable from its retention mark.
    Returns the number of rows removed."""
    removed = 0
    for row in await _expired_heads(connection, cutoff_us, kind):
        removed += await trim_stream(connection, row.service, row.stream, ChainHead(row.version, row.hash))
    return removed


async def park(connection: AsyncConnection, consumer: str, subject: str, sequence: int, data: bytes, error: str) -> None:
    """Keeps a message the projector could not handle, with the reason."""
    await connection.execute(
        sa.insert(parked_events).values(
            consumer=consumer, subject=subject, stream_sequence=sequence, data=data, error=error[:2000],
            parked_at_us=now_us(),
        )
    )


async def parked(connection: AsyncConnection, limit: int) -> list:
    """Up to `limit` parked messages, newest first."""
    statement = sa.select(parked_events).order_by(parked_events.c.id.desc()).limit(limit)
    return list(await connection.execute(statement))


async def clear_projection(connection: AsyncConnection, consumer: str) -> None:
    """Empties the projection and forgets what `consumer` handled, ready for a replay."""
    for table in (log_entries, security_events, audit_users, chain_heads, retention_marks, parked_events):
        await connection.execute(sa.delete(table))
    processed = store.processed
    await connection.execute(sa.delete(processed).where(processed.c.consumer == consumer))


async def count_events(connection: AsyncConnection) -> int:
    """How many events the projection holds."""
    return (await connection.execute(sa.select(sa.func.count()).select_from(events))).scalar() or 0
