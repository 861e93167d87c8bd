"""How one published event becomes a security-log record. Pure: envelope in, record out.

An event belongs to the user log of its subject user and of its actor user (what an account
did and what was done to it) and to the project log of its subject project.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore import registry
from services.audit.domain.errors import UndecodablePayload
from services.audit.domain.query import project_log_key, user_log_key
from services.audit.domain.tags import tag_of

# Events never carry secrets; this is a second line of defence should one ever slip in.
_SECRET_WORDS = ("password", "secret", "private_key")
_SECRET_NAMES = frozenset({"token", "session_token", "code", "totp_code", "recovery_code"})


@dataclass(frozen=True)
class ProjectedEvent:
    """A `security_events` row (without its local seq) and the logs it belongs to."""

    row: dict[str, Any]
    log_keys: tuple[str, ...]
    # (user_id, username) pairs the event reveals, for answering queries by username.
    users: tuple[tuple[str, str], ...]


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """Whether a payload field name looks like it could hold a secret."""
    # Cached: the same few field names come with every event, and this runs for each key.
    lowered = key.lower()
    return lowered in _SECRET_NAMES or any(word in lowered for word in _SECRET_WORDS)


def without_secrets(value: Any) -> Any:
    """`value` with every secret-looking key removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if not is_secret_key(k)}
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    return value


def additional_of(envelope: envelope_pb2.EventEnvelope) -> dict[str, Any]:
    """The payload as a JSON-ready dict ({} for a type this build does not know yet).
    Raises UndecodablePayload when a known type's payload does not parse."""
    try:
        message = registry.decode(envelope.type, envelope.payload)
    except registry.UnknownEventType:
        return {}
    except DecodeError as error:
        raise UndecodablePayload(
            f"The payload of event {envelope.event_id} ({envelope.type}) cannot be decoded."
        ) from error
    return without_secrets(json_format.MessageToDict(message, preserving_proto_field_name=True))


def _subject_user_id(envelope, additional) -> str:
    # A producer that forgot the subjects still names the user in the payload.
    return envelope.subjects.user_id or str(additional.get("user_id", ""))


def _subject_project(envelope, additional) -> str:
    return (
        envelope.subjects.project
        or str(additional.get("normalized_name", ""))
        or str(additional.get("project_name", ""))
    )


def log_keys_of(envelope: envelope_pb2.EventEnvelope, additional: dict[str, Any]) -> tuple[str, ...]:
    """The user and project logs the event belongs to, without duplicates."""
    keys: list[str] = []
    for user_id in (_subject_user_id(envelope, additional), envelope.actor.user_id):
        if user_id and user_log_key(user_id) not in keys:
            keys.append(user_log_key(user_id))
    project = _subject_project(envelope, additional)
    if project:
        keys.append(project_log_key(project))
    return tuple(keys)


def users_of(envelope: envelope_pb2.EventEnvelope, additional: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (user_id, username) pairs an event reveals; UserCreated's comes first."""
    pairs = []
    if envelope.type == "UserCreated":
        pairs.append((str(additional.get("user_id", "")), str(additional.get("username", ""))))
    pairs.append((envelope.subjects.user_id, envelope.subjects.username))
    pairs.append((envelope.actor.user_id, envelope.actor.username))
    return tuple(dict.fromkeys((i, n) for i, n in pairs if i and n))


def row_of(
    envelope: envelope_pb2.EventEnvelope, additional: dict[str, Any], chain_ok: bool
) -> dict[str, Any]:
    """The `security_events` columns; the raw fields are kept so the hash can be recomputed."""
    return {
        "event_id": envelope.event_id,
        "tag": tag_of(envelope.type),
        "service": envelope.service,
        "event_type": envelope.type,
        "stream": envelope.stream,
        "version": envelope.version,
        "occurred_at_us": envelope.occurred_at_us,
        "actor_user_id": envelope.actor.user_id,
        "actor_username": envelope.actor.username,
        "actor_token_id": envelope.actor.token_id,
        "actor_ip": envelope.actor.ip_address,
        "actor_user_agent": envelope.actor.user_agent,
        "subject_user_id": envelope.subjects.user_id,
        "subject_username": envelope.subjects.username,
        "subject_project": envelope.subjects.project,
        "subject_project_id": envelope.subjects.project_id,
        "payload": envelope.payload,
        "additional": json.dumps(additional, sort_keys=True, separators=(",", ":")),
        "hash": envelope.hash,
        "prev_hash": envelope.prev_hash,
        "chain_ok": chain_ok,
    }


def project(envelope: envelope_pb2.EventEnvelope, chain_ok: bool) -> ProjectedEvent:
    """The record, log memberships and user names one envelope yields. Never raises for an
    unknown event type: it is tagged `unknown:<Type>` with no additional data. Raises
    UndecodablePayload for a known type whose payload does not parse."""
    additional = additional_of(envelope)
    return ProjectedEvent(
        row=row_of(envelope, additional, chain_ok),
        log_keys=log_keys_of(envelope, additional),
        users=users_of(envelope, additional),
    )
