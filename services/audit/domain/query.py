"""What a security-log query asks for, page sizes and opaque cursors. No I/O."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from services.audit.domain.errors import InvalidCursor, InvalidFilter

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_CURSOR_PREFIX = "seq:"


@dataclass(frozen=True)
class LogQuery:
    """A filter over projected events. `log_keys` are ANDed: an event must be in every log."""

    log_keys: tuple[str, ...] = ()
    type: str = ""
    since_us: int = 0
    until_us: int = 0
    ip_address: str = ""
    # The user who acted (not the one acted upon) and the API token they used.
    actor_user_id: str = ""
    token_id: str = ""
    before_seq: int = 0
    after_seq: int = 0
    limit: int = DEFAULT_LIMIT


def user_log_key(user_id: str) -> str:
    """The log of everything a user did and everything done to their account."""
    return f"user:{user_id}"


def project_log_key(name: str) -> str:
    """The log of a project, by its PEP 503 normalized name."""
    return f"project:{canonicalize_name(name)}"


def page_size(requested: int) -> int:
    """The number of events a page holds: 50 when unset, at most 500.
    Raises InvalidFilter for a negative limit."""
    if requested < 0:
        raise InvalidFilter("The limit must not be negative.")
    return min(requested or DEFAULT_LIMIT, MAX_LIMIT)


def check_time_range(since_us: int, until_us: int) -> None:
    """Raises InvalidFilter when the range is empty by construction."""
    if since_us and until_us and until_us <= since_us:
        raise InvalidFilter("The end of the time range must come after its start.")


def encode_cursor(seq: int) -> str:
    """An opaque cursor meaning "events older than `seq`"."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The position a cursor stands for; 0 for no cursor. Raises InvalidCursor."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        seq = int(text.removeprefix(_CURSOR_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursor("The cursor is invalid; start again without one.") from error
    if seq <= 0:
        raise InvalidCursor("The cursor is invalid; start again without one.")
    return seq
