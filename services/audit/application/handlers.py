"""Use cases of the audit service: query, tail and verify the security logs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import TypeVar

from packaging.utils import canonicalize_name
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gatehouse.audit.v1 import audit_pb2
from gatehouse.common.v1 import common_pb2
from services.audit.adapters import maintenance, repository
from services.audit.adapters.uploads_client import ProjectAccess
from services.audit.domain import access
from services.audit.domain.chain import ChainBreak, ChainWalker
from services.audit.domain.query import (
    LogQuery,
    check_time_range,
    decode_cursor,
    encode_cursor,
    page_size,
    project_log_key,
    user_log_key,
)

TAIL_BATCH = 100
T = TypeVar("T")


@dataclass(frozen=True)
class Dependencies:
    """What the handlers need: the projection's database and the project access check."""

    engine: AsyncEngine
    access: ProjectAccess
    poll_interval: float = 0.2


async def authorize(
    deps: Dependencies, caller: common_pb2.Principal, log_filter: audit_pb2.EventFilter
) -> None:
    """Raises NotAllowedToReadLog unless the caller may read the filtered log(s);
    AccessCheckUnavailable when the uploads service cannot answer."""
    allowed = False
    if access.needs_project_check(caller, log_filter):
        project = canonicalize_name(log_filter.project)
        allowed = await deps.access.allows(caller, project, access.READ_AUDIT)
    access.authorize(caller, log_filter, allowed)


async def _user_id(connection: AsyncConnection, caller: common_pb2.Principal, username: str) -> str | None:
    if access.reads_own_log(caller, username) and caller.user_id:
        return caller.user_id
    return await repository.user_id_of(connection, username)


async def resolve_query(
    connection: AsyncConnection, caller: common_pb2.Principal, log_filter: audit_pb2.EventFilter, **position
) -> LogQuery | None:
    """The LogQuery for `log_filter` at a position (before_seq/after_seq, limit): the logs to
    intersect, by user id; None when the filter names a user nobody has. An actor's events
    are all in the actor's own log, so filtering by actor intersects that log too. Raises only
    database errors."""
    keys, user_ids = [], {}
    for role, username in (("user", log_filter.user), ("actor", log_filter.actor)):
        user_id = username and await _user_id(connection, caller, username)
        if username and not user_id:
            return None
        if user_id and user_log_key(user_id) not in keys:
            keys.append(user_log_key(user_id))
        user_ids[role] = user_id or ""
    if log_filter.project:
        keys.append(project_log_key(log_filter.project))
    return LogQuery(
        log_keys=tuple(keys),
        type=log_filter.type,
        since_us=log_filter.since_us,
        until_us=log_filter.until_us,
        ip_address=log_filter.ip_address,
        actor_user_id=user_ids["actor"],
        token_id=log_filter.token_id,
        **position,
    )


async def uncancelled(coroutine: Awaitable[T]) -> T:
    """Awaits `coroutine` in a task a cancelled RPC cannot interrupt (the caller still sees the
    cancellation). A query cancelled inside aiosqlite leaves SQLAlchemy a connection it cannot
    close, which hangs its task and leaks the pooled connection."""
    task = asyncio.ensure_future(coroutine)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        raise


async def _newest_page(deps: Dependencies, request: audit_pb2.QueryEventsRequest, **position) -> list:
    async with deps.engine.connect() as connection:
        query = await resolve_query(connection, request.caller, request.filter, **position)
        if query is None:
            return []
        return await repository.newest_events(connection, query)


async def query_events(
    deps: Dependencies, request: audit_pb2.QueryEventsRequest
) -> audit_pb2.QueryEventsResponse:
    """One page of a security log, newest first, with the cursor of the next page ("" at the end).
    Raises NotAllowedToReadLog, AccessCheckUnavailable, InvalidCursor or InvalidFilter."""
    await authorize(deps, request.caller, request.filter)
    limit = page_size(request.limit)
    before_seq = decode_cursor(request.cursor)
    check_time_range(request.filter.since_us, request.filter.until_us)
    rows = await uncancelled(_newest_page(deps, request, before_seq=before_seq, limit=limit + 1))
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].seq) if len(rows) > limit else ""
    return audit_pb2.QueryEventsResponse(
        events=[repository.security_event_of(row) for row in page], next_cursor=next_cursor
    )


async def _rows_after(deps: Dependencies, request: audit_pb2.TailEventsRequest, after_seq: int) -> list:
    # A fresh short transaction per poll: SQLite writers must never wait on an idle tail.
    async with deps.engine.connect() as connection:
        query = await resolve_query(connection, request.caller, request.filter, after_seq=after_seq, limit=TAIL_BATCH)
        if query is None:
            return []
        return await repository.events_after(connection, query)


async def _last_seq(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return await repository.last_seq(connection)


async def tail_events(
    deps: Dependencies, request: audit_pb2.TailEventsRequest
) -> AsyncIterator[audit_pb2.SecurityEvent]:
    """Yields, oldest first, the matching events projected after the call started, until the
    caller stops iterating. Raises NotAllowedToReadLog, AccessCheckUnavailable or InvalidFilter
    before the first event."""
    await authorize(deps, request.caller, request.filter)
    check_time_range(request.filter.since_us, request.filter.until_us)
    after_seq = await uncancelled(_last_seq(deps.engine))
    while True:
        rows = await uncancelled(_rows_after(deps, request, after_seq))
        for row in rows:
            yield repository.security_event_of(row)
        if rows:
            after_seq = rows[-1].seq
        else:
            await asyncio.sleep(deps.poll_interval)


async def walk_chains(engine: AsyncEngine) -> tuple[ChainBreak | None, int]:
    """Recomputes every stored event's hash and link, stream by stream (a trimmed stream from
    its retention mark), then checks that each stream still ends at the head the projector
    recorded (so deleting a stream's newest events, or a whole stream, is found); returns the
    first break (or None) and how many events were checked. Raises only database errors."""
    async with engine.connect() as connection:
        # Heads first: a row is committed with its head, so rows read later are never behind.
        projected = await repository.chain_heads_by_stream(connection)
        walker = ChainWalker(await maintenance.retention_starts(connection))
        async for row in repository.rows_in_stream_order(connection):
            found = walker.check(repository.envelope_of(row))
            if found is not None:
                return found, walker.checked
    return walker.missing_tail(projected), walker.checked


async def verify(engine: AsyncEngine) -> ChainBreak | None:
    """The first broken link of any stored chain, or None (see walk_chains)."""
    found, _ = await walk_chains(engine)
    return found
