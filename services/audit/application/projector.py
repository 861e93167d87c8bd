"""Projecting the event stream into the security logs: the DurableConsumer's handler."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import envelope_pb2
from services.audit.adapters import repository
from services.audit.domain import chain, projection

log = structlog.get_logger(__name__)


async def project_envelope(connection: AsyncConnection, envelope: envelope_pb2.EventEnvelope) -> bool:
    """Projects one event in the caller's transaction, checking its hash-chain link on the way.

    Returns False (and changes nothing) for an event already projected. A broken link is
    stored as chain_ok=False and logged as an error, never refused: the log must show it.
    Raises only database errors.
    """
    if await repository.has_event(connection, envelope.event_id):
        return False
    stored_head = await repository.chain_head(connection, envelope.service, envelope.stream)
    head = stored_head or chain.ChainHead()
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
