import base64
import hashlib
import json

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.hashing import GENESIS_HASH, canonical_bytes, chain_hash, verify_link


def _envelope(version=1, payload=b"\x0a\x01x", prev=GENESIS_HASH):
    envelope = envelope_pb2.EventEnvelope(
        event_id=f"id-{version}", service="identity", stream="user-1", version=version, type="UserCreated",
        occurred_at_us=1_700_000_000_000_000 + version, payload=payload, prev_hash=prev,
        actor=envelope_pb2.Actor(user_id="u1", username="alice", ip_address="127.0.0.1", user_agent="curl/8"),
        subjects=envelope_pb2.Subjects(user_id="u1", username="alice"),
    )
    envelope.hash = chain_hash(prev, envelope)
    return envelope


def test_hash_matches_the_documented_recipe():
    envelope = _envelope()
    document = {
        "actor": {"ip_address": "127.0.0.1", "token_id": "", "user_agent": "curl/8", "user_id": "u1", "username": "alice"},
        "id": "id-1", "payload": base64.b64encode(b"\x0a\x01x").decode(), "service": "identity", "stream": "user-1",
        "subjects": {"project": "", "project_id": "", "user_id": "u1", "username": "alice"},
        "time_us": 1_700_000_000_000_001, "type": "UserCreated", "version": 1,
    }
    recipe = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert canonical_bytes(envelope) == recipe
    assert envelope.hash == hashlib.sha256(bytes(32) + recipe).hexdigest()


def test_links_verify_and_a_tampered_event_does_not():
    first = _envelope()
    second = _envelope(version=2, prev=first.hash)
    assert verify_link(GENESIS_HASH, first) and verify_link(first.hash, second)
    second.payload = b"\x0a\x01y"
    assert not verify_link(first.hash, second)


def test_an_event_linked_to_the_wrong_predecessor_does_not_verify():
    first = _envelope()
    second = _envelope(version=2, prev=first.hash)
    assert not verify_link(GENESIS_HASH, second)
