"""Operator use cases: export a log, verify every chain, rebuild the projection, retention,
list parked messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from google.protobuf.message import DecodeError
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.audit.v1 import audit_pb2
from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import now_us
from services.audit.adapters import maintenance, repository
from services.audit.application import handlers
from services.audit.domain.access import NOT_ALLOWED
from services.audit.domain.errors import NotAllowedToReadLog, ReplayTimedOut
from services.audit.domain.query import page_size
from services.audit.domain.retention import RetentionPolicy

EXPORT_BATCH = 500
PARKED_PAGE = 100
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
        query = await handlers.resolve_query(
            connection, request.caller, request.filter, after_seq=after_seq, limit=EXPORT_BATCH
        )
        if query is None:
            return []
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


def parked_event_of(row) -> audit_pb2.ParkedEvent:
    """The API form of a parked message, with the envelope's identity when it parses."""
    parked = audit_pb2.ParkedEvent(
        id=row.id, subject=row.subject, stream_sequence=row.stream_sequence, error=row.error,
        parked_at_us=row.parked_at_us,
    )
    try:
        envelope = envelope_pb2.EventEnvelope.FromString(row.data)
    except DecodeError:
        return parked
    parked.event_id, parked.event_type = envelope.event_id, envelope.type
    parked.service, parked.stream, parked.version = envelope.service, envelope.stream, envelope.version
    return parked


async def list_parked_events(
    deps: handlers.Dependencies, request: audit_pb2.ListParkedEventsRequest
) -> audit_pb2.ListParkedEventsResponse:
    """The parked messages, newest first. Raises NotAllowedToReadLog for a non-operator,
    InvalidFilter for a negative limit."""
    require_operator(request.caller)
    limit = page_size(request.limit or PARKED_PAGE)
    async with deps.engine.connect() as connection:
        rows = await maintenance.parked(connection, limit)
    return audit_pb2.ListParkedEventsResponse(events=[parked_event_of(row) for row in rows])


async def apply_retention(engine: AsyncEngine, policy: RetentionPolicy, now: int | None = None) -> int:
    """Removes projected rows older than their log kind's retention (nothing for a kind kept
    whole); returns how many. Raises only database errors."""
    removed = 0
    for kind, cutoff in policy.cutoffs(now if now is not None else now_us()).items():
        async with engine.begin() as connection:
            removed += await maintenance.apply_retention(connection, cutoff, kind)
    return removed
