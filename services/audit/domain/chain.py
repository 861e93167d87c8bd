"""Checking each stream's hash chain, event by event. Pure.

While projecting, the audit service keeps per (service, stream) the last version and hash it
saw and checks each new event against that head; `first_break` runs the same check over a
whole stored log, in stream order, for `verify`.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.hashing import GENESIS_HASH, chain_hash


@dataclass(frozen=True)
class ChainHead:
    """The last event projected from one stream."""

    version: int = 0
    hash: str = GENESIS_HASH


@dataclass(frozen=True)
class LinkVerdict:
    """Whether an event links to its head, and if not, why."""

    ok: bool
    problem: str = ""


@dataclass(frozen=True)
class ChainBreak:
    """The first event whose link is broken."""

    event_id: str
    service: str
    stream: str
    version: int
    problem: str


def _content_matches(envelope: envelope_pb2.EventEnvelope) -> bool:
    try:
        expected = chain_hash(envelope.prev_hash, envelope)
    except ValueError:  # a prev_hash that is not even hex
        return False
    return hmac.compare_digest(envelope.hash, expected)


def check_link(head: ChainHead, envelope: envelope_pb2.EventEnvelope) -> LinkVerdict:
    """Whether `envelope` is the next event after `head` and its hash matches its content."""
    if envelope.version != head.version + 1:
        return LinkVerdict(False, f"version {envelope.version} follows version {head.version}")
    if not hmac.compare_digest(envelope.prev_hash, head.hash):
        return LinkVerdict(False, "prev_hash is not the previous event's hash")
    if not _content_matches(envelope):
        return LinkVerdict(False, "hash does not match the event's content")
    return LinkVerdict(True)


def advance(head: ChainHead, envelope: envelope_pb2.EventEnvelope) -> ChainHead:
    """The head after projecting `envelope`; a late (older) event never moves it back."""
    if envelope.version > head.version:
        return ChainHead(envelope.version, envelope.hash)
    return head


class ChainWalker:
    """Checks events fed in stream-then-version order, remembering each stream's head.

    `starts` holds, for streams whose oldest rows retention removed, the (version, hash) the
    kept part continues from; every other stream starts at the genesis hash.
    """

    def __init__(self, starts: dict[tuple[str, str], ChainHead] | None = None) -> None:
        self._heads: dict[tuple[str, str], ChainHead] = dict(starts or {})
        self.checked = 0

    def check(self, envelope: envelope_pb2.EventEnvelope) -> ChainBreak | None:
        """The break `envelope` makes, or None when it links to its stream's previous event."""
        key = (envelope.service, envelope.stream)
        head = self._heads.get(key, ChainHead())
        verdict = check_link(head, envelope)
        self._heads[key] = advance(head, envelope)
        self.checked += 1
        if verdict.ok:
            return None
        return ChainBreak(
            envelope.event_id, envelope.service, envelope.stream, envelope.version, verdict.problem
        )

    def missing_tail(self, projected: dict[tuple[str, str], ChainHead]) -> ChainBreak | None:
        """The first stream whose stored events end before the head the projector recorded
        (`projected`, per (service, stream)): its newest events, or all of them, were deleted.
        Call it after every event was checked."""
        for (service, stream), expected in sorted(projected.items()):
            walked = self._heads.get((service, stream), ChainHead())
            if walked.version < expected.version:
                problem = (
                    f"events after version {walked.version} are missing "
                    f"(the projection saw up to version {expected.version})"
                )
                return ChainBreak("", service, stream, walked.version + 1, problem)
            if walked.version == expected.version and not hmac.compare_digest(walked.hash, expected.hash):
                return ChainBreak("", service, stream, walked.version, "the newest event is not the one projected")
        return None


def first_break(envelopes: Iterable[envelope_pb2.EventEnvelope]) -> ChainBreak | None:
    """The first broken link in `envelopes`, which must come ordered by stream then version;
    None when every chain holds."""
    walker = ChainWalker()
    for envelope in envelopes:
        found = walker.check(envelope)
        if found is not None:
            return found
    return None
