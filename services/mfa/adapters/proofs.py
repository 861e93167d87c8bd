"""Proofs of a verified second factor, checked by the identity service before it marks a session.

Both services read the same configured key (`second_factor_proof`); the gateway, which carries
the proof, cannot forge one.
"""

from __future__ import annotations

import hashlib
import hmac


def _message(user_id: str, session_id: str, method: str, label: str, issued_at_us: int) -> bytes:
    return "\n".join((user_id, session_id, method, label, str(issued_at_us))).encode()


def sign(key: bytes, user_id: str, session_id: str, method: str, label: str, issued_at_us: int) -> str:
    """An HMAC-SHA256 (hex) over the session, user and method."""
    return hmac.new(key, _message(user_id, session_id, method, label, issued_at_us), hashlib.sha256).hexdigest()
