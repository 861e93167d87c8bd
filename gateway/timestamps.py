"""RFC 3339 in JSON, microseconds since the epoch on the wire."""

from __future__ import annotations

from datetime import datetime, timezone

from gateway.errors import BadRequest


def parse_rfc3339(value: object, field: str) -> int:
    """Microseconds since the epoch. Raises BadRequest unless `value` is RFC 3339 with a zone."""
    if not isinstance(value, str):
        raise BadRequest(f"The field '{field}' must be an RFC 3339 time string.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadRequest(f"The field '{field}' is not an RFC 3339 time: {value!r}.") from error
    if moment.tzinfo is None:
        raise BadRequest(f"The field '{field}' needs a time zone, e.g. {value}Z.")
    return int(moment.timestamp() * 1_000_000)


def format_rfc3339(microseconds: int) -> str | None:
    """The RFC 3339 UTC form of a time in microseconds, None for 0 (never)."""
    if not microseconds:
        return None
    moment = datetime.fromtimestamp(microseconds / 1_000_000, tz=timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
