"""The hash chain over each stream's events.

    hash = SHA-256( bytes.fromhex(prev_hash) || canonical_bytes(event) )

canonical_bytes is UTF-8 JSON with sorted keys and no spaces, of:
    {"actor": {"ip_address", "token_id", "user_agent", "user_id", "username"},
     "id", "payload" (base64 of the protobuf bytes), "service", "stream",
     "subjects": {"project", "project_id", "user_id", "username"},
     "time_us", "type", "version"}
The first event of a stream has prev_hash = 64 zeros. Anyone holding an export can recompute it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from gatehouse.events.v1 import envelope_pb2

GENESIS_HASH = "0" * 64


def canonical_bytes(envelope: envelope_pb2.EventEnvelope) -> bytes:
    """The bytes the chain hashes for one event (everything but position and the hashes)."""
    document = {
        "actor": {
            "ip_address": envelope.actor.ip_address,
            "token_id": envelope.actor.token_id,
            "user_agent": envelope.actor.user_agent,
            "user_id": envelope.actor.user_id,
            "username": envelope.actor.username,
        },
        "id": envelope.event_id,
        "payload": base64.b64encode(envelope.payload).decode("ascii"),
        "service": envelope.service,
        "stream": envelope.stream,
        "subjects": {
            "project": envelope.subjects.project,
            "project_id": envelope.subjects.project_id,
            "user_id": envelope.subjects.user_id,
            "username": envelope.subjects.username,
        },
        "time_us": envelope.occurred_at_us,
        "type": envelope.type,
        "version": envelope.version,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, envelope: envelope_pb2.EventEnvelope) -> str:
    """The hash of `envelope` linked to its stream's previous hash."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_bytes(envelope)).hexdigest()


def verify_link(prev_hash: str, envelope: envelope_pb2.EventEnvelope) -> bool:
    """Whether `envelope` carries `prev_hash` and a hash that matches its content."""
    expected = chain_hash(prev_hash, envelope)
    return hmac.compare_digest(envelope.prev_hash, prev_hash) and hmac.compare_digest(
        envelope.hash, expected
    )
