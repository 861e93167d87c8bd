"""Reading and writing the security-log projection inside a caller's transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.audit.v1 import audit_pb2
from gatehouse.events.v1 import envelope_pb2
from services.audit.adapters.tables import audit_users, chain_heads, log_entries, security_events
from services.audit.domain.chain import ChainHead
from services.audit.domain.query import LogQuery
from services.audit.domain.devices import describe
from services.audit.domain.tags import render


async def has_event(connection: AsyncConnection, event_id: str) -> bool:
    """Whether the event was projected already (e.g. replayed into a kept projection)."""
    query = sa.select(security_events.c.seq).where(security_events.c.event_id == event_id)
    return (await connection.execute(query)).first() is not None


async def chain_head(connection: AsyncConnection, service: str, stream: str) -> ChainHead | None:
    """The last projected event of a stream, or None before its first."""
    query = sa.select(chain_heads.c.version, chain_heads.c.hash).where(
        chain_heads.c.service == service, chain_heads.c.stream == stream
    )
    row = (await connection.execute(query)).first()
    return ChainHead(row.version, row.hash) if row else None


async def chain_heads_by_stream(connection: AsyncConnection) -> dict[tuple[str, str], ChainHead]:
    """Every stream's last projected (version, hash), per (service, stream)."""
    rows = await connection.execute(sa.select(chain_heads))
    return {(row.service, row.stream): ChainHead(row.version, row.hash) for row in rows}


async def save_chain_head(
    connection: AsyncConnection, service: str, stream: str, head: ChainHead, existed: bool
) -> None:
    """Stores a stream's head; `existed` says whether chain_head found one (portable upsert)."""
    if existed:
        await connection.execute(
            sa.update(chain_heads)
            .where(chain_heads.c.service == service, chain_heads.c.stream == stream)
            .values(version=head.version, hash=head.hash)
        )
        return
    await connection.execute(
        sa.insert(chain_heads).values(service=service, stream=stream, version=head.version, hash=head.hash)
    )


async def insert_event(connection: AsyncConnection, row: dict, log_keys: Iterable[str]) -> int:
    """Adds a record and its log memberships; returns its local seq."""
    result = await connection.execute(sa.insert(security_events).values(**row))
    seq = result.inserted_primary_key[0]
    for key in log_keys:
        await connection.execute(sa.insert(log_entries).values(log_key=key, seq=seq))
    return seq


async def remember_users(connection: AsyncConnection, pairs: Iterable[tuple[str, str]]) -> None:
    """Records user_id -> username pairs not known yet (usernames never change)."""
    for user_id, username in pairs:
        known = sa.select(audit_users.c.user_id).where(audit_users.c.user_id == user_id)
        if (await connection.execute(known)).first() is None:
            await connection.execute(
                sa.insert(audit_users).values(
                    user_id=user_id, username=username, username_key=username.casefold()
                )
            )


async def user_id_of(connection: AsyncConnection, username: str) -> str | None:
    """The id of the user called `username` (case-insensitively), or None."""
    query = (
        sa.select(audit_users.c.user_id)
        .where(audit_users.c.username_key == username.casefold())
        .order_by(audit_users.c.user_id)
        .limit(1)
    )
    return (await connection.execute(query)).scalar()


def _select(query: LogQuery) -> tuple[sa.Select, sa.ColumnElement]:
    """The filtered statement and the seq column to order and page by: the first log's
    membership seq when there is a log, so that a page is a range scan of (log_key, seq)."""
    events = security_events
    statement = sa.select(events)
    position = events.c.seq
    for index, key in enumerate(query.log_keys):
        entry = log_entries.alias()
        statement = statement.join(entry, sa.and_(entry.c.seq == events.c.seq, entry.c.log_key == key))
        if index == 0:
            position = entry.c.seq
    if query.type:
        statement = statement.where(sa.or_(events.c.tag == query.type, events.c.event_type == query.type))
    if query.since_us:
        statement = statement.where(events.c.occurred_at_us >= query.since_us)
    if query.until_us:
        statement = statement.where(events.c.occurred_at_us < query.until_us)
    if query.ip_address:
        statement = statement.where(events.c.actor_ip == query.ip_address)
    if query.actor_user_id:
        statement = statement.where(events.c.actor_user_id == query.actor_user_id)
    if query.token_id:
        statement = statement.where(events.c.actor_token_id == query.token_id)
    if query.before_seq:
        statement = statement.where(position < query.before_seq)
    if query.after_seq:
        statement = statement.where(position > query.after_seq)
    return statement, position


async def newest_events(connection: AsyncConnection, query: LogQuery) -> list:
    """Up to `query.limit` matching rows, newest (highest seq) first."""
    statement, position = _select(query)
    return list(await connection.execute(statement.order_by(position.desc()).limit(query.limit)))


async def events_after(connection: AsyncConnection, query: LogQuery) -> list:
    """Up to `query.limit` matching rows after `query.after_seq`, oldest first (for tails)."""
    statement, position = _select(query)
    return list(await connection.execute(statement.order_by(position).limit(query.limit)))


async def last_seq(connection: AsyncConnection) -> int:
    """The seq of the most recently projected event (0 when there is none)."""
    return (await connection.execute(sa.select(sa.func.max(security_events.c.seq)))).scalar() or 0


async def rows_in_stream_order(connection: AsyncConnection) -> AsyncIterator:
    """Every record, ordered by service, stream and version (what verify walks)."""
    statement = sa.select(security_events).order_by(
        security_events.c.service, security_events.c.stream, security_events.c.version
    )
    result = await connection.stream(statement)
    async for row in result:
        yield row


def security_event_of(row) -> audit_pb2.SecurityEvent:
    """The API form of a record, with its one-sentence summary."""
    return audit_pb2.SecurityEvent(
        id=row.event_id,
        tag=row.tag,
        time_us=row.occurred_at_us,
        actor=audit_pb2.SecurityActor(
            user=row.actor_username, user_id=row.actor_user_id, token_id=row.actor_token_id
        ),
        ip_address=row.actor_ip,
        user_agent=row.actor_user_agent,
        additional_json=row.additional,
        hash=row.hash,
        prev_hash=row.prev_hash,
        event_type=row.event_type,
        stream=row.stream,
        version=row.version,
        subject_user=row.subject_username,
        subject_project=row.subject_project,
        service=row.service,
        summary=render(row.tag, json.loads(row.additional)),
        chain_ok=row.chain_ok,
        payload=row.payload,
        subject_user_id=row.subject_user_id,
        subject_project_id=row.subject_project_id,
        device=describe(row.actor_user_agent),
        actor_username=row.actor_username,
    )


def envelope_of(row) -> envelope_pb2.EventEnvelope:
    """The envelope a record was projected from, as far as its hash covers it."""
    return envelope_pb2.EventEnvelope(
        event_id=row.event_id,
        service=row.service,
        stream=row.stream,
        version=row.version,
        type=row.event_type,
        occurred_at_us=row.occurred_at_us,
        actor=envelope_pb2.Actor(
            user_id=row.actor_user_id,
            username=row.actor_username,
            token_id=row.actor_token_id,
            ip_address=row.actor_ip,
            user_agent=row.actor_user_agent,
        ),
        subjects=envelope_pb2.Subjects(
            user_id=row.subject_user_id,
            username=row.subject_username,
            project=row.subject_project,
            project_id=row.subject_project_id,
        ),
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
