"""Maps event type names to their protobuf message classes, for every service's events."""

from __future__ import annotations

from google.protobuf.message import Message

from gatehouse.events.v1 import identity_pb2, mfa_pb2, tokens_pb2, uploads_pb2

_MODULES = (identity_pb2, tokens_pb2, uploads_pb2, mfa_pb2)


def _collect() -> dict[str, type[Message]]:
    types: dict[str, type[Message]] = {}
    for module in _MODULES:
        for name in module.DESCRIPTOR.message_types_by_name:
            types[name] = getattr(module, name)
    return types


EVENT_TYPES: dict[str, type[Message]] = _collect()


class UnknownEventType(LookupError):
    """An envelope names a type this build does not know (a newer producer)."""


def decode(type_name: str, payload: bytes) -> Message:
    """Parses an event payload. Raises UnknownEventType for an unknown type name."""
    try:
        message_class = EVENT_TYPES[type_name]
    except KeyError as error:
        raise UnknownEventType(type_name) from error
    return message_class.FromString(payload)
