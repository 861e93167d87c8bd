"""Projecting the event stream into the security logs: the DurableConsumer's handler."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import envelope_pb2
from services.audit.adapters import batch_repository, repository
from services.audit.domain import chain, projection
from services.audit.domain.errors import PredecessorNotProjected

log = structlog.get_logger(__name__)


async def project_envelope(
    connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope, wait_for_predecessor: bool = False
) -> bool:
    """Projects one event in the caller's transaction, checking its hash-chain link on the way.

    Returns False (and changes nothing) for an event already projected. A broken link is
    stored as chain_ok=False and logged as an error, never refused: the log must show it.
    With `wait_for_predecessor`, an event more than one version past its stream's head is
    not judged yet: it raises PredecessorNotProjected (and changes nothing), so the caller
    can retry it once the events before it are in. Otherwise raises only database errors.
    """
    if await repository.has_event(connection, envelope.event_id):
        return False
    stored_head = await repository.chain_head(connection, envelope.service, envelope.stream)
    head = stored_head or chain.ChainHead()
    if wait_for_predecessor and envelope.version > head.version + 1:
        raise PredecessorNotProjected(
            f"event {envelope.event_id} is version {envelope.version} of {envelope.service}/{envelope.stream}, "
            f"whose projection has reached version {head.version}"
        )
    verdict = chain.check_link(head, envelope)
    if not verdict.ok:
        log.error(
            "audit.chain_broken",
            event_id=envelope.event_id,
            service=envelope.service,
            stream=envelope.stream,
            version=envelope.version,
            problem=verdict.problem,
        )
    record = projection.project(envelope, chain_ok=verdict.ok)
    await repository.insert_event(connection, record.row, record.log_keys)
    await repository.remember_users(connection, record.users)
    new_head = chain.advance(head, envelope)
    await repository.save_chain_head(
        connection, envelope.service, envelope.stream, new_head, existed=stored_head is not None
    )
    return True


def _link_and_project(envelopes, heads: dict) -> list[projection.ProjectedEvent]:
    """Checks each envelope against its stream's head (advancing `heads`) and projects it."""
    records = []
    for envelope in envelopes:
        key = (envelope.service, envelope.stream)
        head = heads.get(key, chain.ChainHead())
        verdict = chain.check_link(head, envelope)
        if not verdict.ok:
            log.error(
                "audit.chain_broken", event_id=envelope.event_id, service=envelope.service,
                stream=envelope.stream, version=envelope.version, problem=verdict.problem,
            )
        records.append(projection.project(envelope, chain_ok=verdict.ok))
        heads[key] = chain.advance(head, envelope)
    return records


async def place_batch(
    connection: AsyncConnection, envelopes: list[envelope_pb2.EventEnvelope], overdue: set[str]
) -> chain.Placement:
    """Sorts distinct events against their streams' stored heads (see chain.place): which to
    project now, in what order, and which wait for a predecessor. Raises database errors."""
    heads = await batch_repository.heads_of(connection, {(e.service, e.stream) for e in envelopes})
    return chain.place(envelopes, heads, overdue)


async def project_batch(
    connection: AsyncConnection, envelopes: list[envelope_pb2.EventEnvelope], check_known: bool = True
) -> int:
    """Projects many events, in order, in the caller's transaction, with a few multi-row
    statements; the same result as project_envelope on each. Returns how many were new.

    `check_known=False` skips looking for already projected ids (the consumer has filtered
    its handled ids; a stray duplicate then fails the unique event_id and the consumer falls
    back to project_envelope, which skips it). Raises database errors, IntegrityError included.
    """
    unique = list({envelope.event_id: envelope for envelope in envelopes}.values())
    ids = [e.event_id for e in unique]
    known = await batch_repository.known_event_ids(connection, ids) if check_known else set()
    fresh = [envelope for envelope in unique if envelope.event_id not in known]
    if not fresh:
        return 0
    heads = await batch_repository.heads_of(connection, {(e.service, e.stream) for e in fresh})
    stored = set(heads)
    records = _link_and_project(fresh, heads)
    seqs = await batch_repository.insert_events(connection, [record.row for record in records])
    entries = [(key, seq) for record, seq in zip(records, seqs) for key in record.log_keys]
    await batch_repository.insert_log_entries(connection, entries)
    await batch_repository.remember_users(connection, (pair for record in records for pair in record.users))
    await batch_repository.save_heads(connection, heads, stored)
    return len(fresh)
