"""Checking each stream's hash chain, event by event. Pure.

While projecting, the audit service keeps per (service, stream) the last version and hash it
saw and checks each new event against that head; `first_break` runs the same check over a
whole stored log, in stream order, for `verify`.

Events can reach the projector out of stream order (JetStream redelivers a lost or refused
message after later ones, e.g. after a stream-leader fail-over), so `place` orders a batch
and holds back an event whose predecessor has not been projected yet: judging it against the
head would report a break that is only a late delivery.
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

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


StreamKey = tuple[str, str]


@dataclass
class Placement:
    """A batch sorted for projection: `ready` in the order to project (each stream's events
    by version), `waiting` those whose predecessor is neither projected nor in the batch."""

    ready: list[envelope_pb2.EventEnvelope] = field(default_factory=list)
    waiting: list[envelope_pb2.EventEnvelope] = field(default_factory=list)


def place(
    envelopes: Iterable[envelope_pb2.EventEnvelope],
    heads: dict[StreamKey, ChainHead],
    overdue: Collection[str] = (),
) -> Placement:
    """Sorts `envelopes` (distinct events) against their streams' projected `heads`.

    An event is ready when its version is at most one past its stream's head (counting the
    ready events before it); one further on waits for its predecessor, unless its id is in
    `overdue` (it has waited long enough: it is placed and its link check reports the gap).
    Only versions are compared here: a wrong prev_hash or hash on a ready event is still
    a break, reported by `check_link` as soon as it is projected.
    """
    placement = Placement()
    reached = {key: head.version for key, head in heads.items()}
    held: dict[StreamKey, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for envelope in envelopes:
        key = (envelope.service, envelope.stream)
        if envelope.version > reached.get(key, 0) + 1 and envelope.event_id not in overdue:
            held[key][envelope.version].append(envelope)
            continue
        _take(placement, reached, key, envelope)
        while held[key].get(reached[key] + 1):  # a successor that arrived first can go now
            for successor in held[key].pop(reached[key] + 1):
                _take(placement, reached, key, successor)
    placement.waiting = [e for versions in held.values() for events in versions.values() for e in events]
    return placement


def _take(placement: Placement, reached: dict[StreamKey, int], key: StreamKey, envelope) -> None:
    placement.ready.append(envelope)
    reached[key] = max(reached.get(key, 0), envelope.version)


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
