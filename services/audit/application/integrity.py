"""Operator use cases: export a log, verify every chain, rebuild the projection, retention."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.audit.v1 import audit_pb2
from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.store import now_us
from services.audit.adapters import maintenance, repository
from services.audit.application import handlers
from services.audit.domain.access import NOT_ALLOWED
from services.audit.domain.errors import NotAllowedToReadLog, ReplayTimedOut
from services.audit.domain.retention import RetentionPolicy

EXPORT_BATCH = 500
DEFAULT_REBUILD_TIMEOUT = 300

class Rebuilder(Protocol):
    async def rebuild(self, timeout: float) -> None:
        """Replays the whole stream into an emptied projection and returns once caught up.
        Raises TimeoutError when the replay takes longer than `timeout` seconds."""


def require_operator(caller: common_pb2.Principal) -> None:
    """Raises NotAllowedToReadLog unless the caller is an operator."""
    if not caller.operator:
        raise NotAllowedToReadLog(NOT_ALLOWED)


async def _rows_after(deps: handlers.Dependencies, request, after_seq: int) -> list:
    async with deps.engine.connect() as connection:
        keys = await handlers.log_keys_for(connection, request.caller, request.filter)
        if keys is None:
            return []
        query = handlers.log_query(keys, request.filter, after_seq=after_seq, limit=EXPORT_BATCH)
        return await repository.events_after(connection, query)


async def export_events(
    deps: handlers.Dependencies, request: audit_pb2.ExportEventsRequest
) -> AsyncIterator[audit_pb2.SecurityEvent]:
    """Yields every matching event, oldest first, with payloads and hashes. Raises
    NotAllowedToReadLog, AccessCheckUnavailable or InvalidFilter before the first event."""
    await handlers.authorize(deps, request.caller, request.filter)
    after_seq = 0
    while True:
        rows = await handlers.uncancelled(_rows_after(deps, request, after_seq))
        for row in rows:
            yield repository.security_event_of(row)
        if len(rows) < EXPORT_BATCH:
            return
        after_seq = rows[-1].seq


async def verify_chains(
    deps: handlers.Dependencies, request: audit_pb2.VerifyChainsRequest
) -> audit_pb2.VerifyChainsResponse:
    """Whether every stored chain holds, naming the first broken event when one does not.
    Raises NotAllowedToReadLog for a non-operator."""
    require_operator(request.caller)
    found, checked = await handlers.uncancelled(handlers.walk_chains(deps.engine))
    response = audit_pb2.VerifyChainsResponse(intact=found is None, events_checked=checked)
    if found is not None:
        response.first_break.CopyFrom(
            audit_pb2.ChainBreak(
                event_id=found.event_id, service=found.service, stream=found.stream,
                version=found.version, problem=found.problem,
            )
        )
    return response


async def rebuild_projection(
    deps: handlers.Dependencies, rebuilder: Rebuilder, request: audit_pb2.RebuildProjectionRequest
) -> audit_pb2.RebuildProjectionResponse:
    """Replays the stream into a fresh projection; answers once it caught up. Raises
    NotAllowedToReadLog for a non-operator, ReplayTimedOut when the replay is too slow."""
    require_operator(request.caller)
    try:
        await rebuilder.rebuild(request.timeout_seconds or DEFAULT_REBUILD_TIMEOUT)
    except TimeoutError as error:
        raise ReplayTimedOut("The replay has not caught up with the stream yet; it goes on.") from error
    async with deps.engine.connect() as connection:
        count = await maintenance.count_events(connection)
    return audit_pb2.RebuildProjectionResponse(events_projected=count)


async def apply_retention(engine: AsyncEngine, policy: RetentionPolicy, now: int | None = None) -> int:
    """Removes projected rows older than their log kind's retention (nothing for a kind kept
    whole); returns how many. Raises only database errors."""
    removed = 0
    for kind, cutoff in policy.cutoffs(now if now is not None else now_us()).items():
        async with engine.begin() as connection:
            removed += await maintenance.apply_retention(connection, cutoff, kind)
    return removed
