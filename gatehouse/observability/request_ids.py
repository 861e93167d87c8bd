"""The request id: made (or accepted) by the gateway, sent to services as gRPC metadata
`x-request-id`, bound to every log line and recorded in the envelope of the events it causes."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

METADATA_KEY = "x-request-id"
HTTP_HEADER = "X-Request-ID"

# Short and of a safe charset: it reaches log lines, headers and stored events verbatim.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str] = ContextVar("gatehouse_request_id", default="")


def acceptable(value: str | None) -> str:
    """`value` when it is a usable request id (1-64 characters of A-Z a-z 0-9 . _ : -), else ''."""
    if value and _ACCEPTABLE.fullmatch(value):
        return value
    return ""


def new() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def accept_or_new(value: str | None) -> str:
    """An acceptable incoming id, or a fresh one (an unusable one is replaced, not echoed)."""
    return acceptable(value) or new()


def bind(value: str) -> None:
    """Makes `value` the current task's request id (asyncio tasks each have their own)."""
    _current.set(value)


def current() -> str:
    """The current task's request id, or ''."""
    return _current.get()
