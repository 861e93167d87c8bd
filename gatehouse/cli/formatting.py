"""Turning security events into table lines or JSON lines, and operator input into values."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import datetime, timezone

from gatehouse.audit.v1 import audit_pb2

COLUMNS = ("TIME", "TAG", "ACTOR", "IP", "SUBJECT", "SUMMARY")
# Widths for a live tail, where the rows to come are not known yet.
TAIL_WIDTHS = (20, 26, 16, 15, 16)


def parse_time(text: str) -> int:
    """Microseconds since the epoch for an ISO-8601 date or time (UTC unless it says otherwise).
    Raises argparse.ArgumentTypeError."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO-8601 date or time") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1_000_000)


def positive_int(text: str) -> int:
    """argparse type for a count of at least 1. Raises argparse.ArgumentTypeError."""
    try:
        value = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from error
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def iso_time(time_us: int, precise: bool = False) -> str:
    """UTC ISO-8601 with a Z, to the second (or microsecond when `precise`)."""
    moment = datetime.fromtimestamp(time_us / 1_000_000, tz=timezone.utc)
    text = moment.isoformat(timespec="microseconds" if precise else "seconds")
    return text.replace("+00:00", "Z")


def actor_text(event: audit_pb2.SecurityEvent) -> str:
    who = event.actor.user or event.actor.user_id or "-"
    return f"{who} [token {event.actor.token_id}]" if event.actor.token_id else who


def subject_text(event: audit_pb2.SecurityEvent) -> str:
    return " / ".join(part for part in (event.subject_user, event.subject_project) if part) or "-"


def summary_text(event: audit_pb2.SecurityEvent) -> str:
    summary = event.summary or event.tag
    return summary if event.chain_ok else f"{summary} [HASH CHAIN BROKEN]"


def cells(event: audit_pb2.SecurityEvent) -> tuple[str, ...]:
    """The table cells of one event, in COLUMNS order."""
    return (
        iso_time(event.time_us),
        event.tag,
        actor_text(event),
        event.ip_address or "-",
        subject_text(event),
        summary_text(event),
    )


def table_line(row: Sequence[str], widths: Sequence[int]) -> str:
    """One line: every column but the last padded to its width, two spaces apart."""
    padded = [cell.ljust(width) for cell, width in zip(row, widths)]
    return "  ".join([*padded, row[-1]]).rstrip()


def table(events: Sequence[audit_pb2.SecurityEvent]) -> list[str]:
    """A header and one line per event, columns as wide as their widest cell."""
    rows = [COLUMNS, *(cells(event) for event in events)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return [table_line(row, widths) for row in rows]


def event_document(event: audit_pb2.SecurityEvent) -> dict:
    """Every field of an event, hashes included, as a JSON-ready dict."""
    return {
        "id": event.id,
        "time": iso_time(event.time_us, precise=True),
        "time_us": event.time_us,
        "tag": event.tag,
        "event_type": event.event_type,
        "service": event.service,
        "stream": event.stream,
        "version": event.version,
        "actor": {"user": event.actor.user, "user_id": event.actor.user_id, "token_id": event.actor.token_id},
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "subject_user": event.subject_user,
        "subject_project": event.subject_project,
        "summary": event.summary,
        "additional": json.loads(event.additional_json or "{}"),
        "hash": event.hash,
        "prev_hash": event.prev_hash,
        "chain_ok": event.chain_ok,
    }


def json_line(event: audit_pb2.SecurityEvent) -> str:
    """One event as one line of JSON."""
    return json.dumps(event_document(event), sort_keys=True, ensure_ascii=False)
