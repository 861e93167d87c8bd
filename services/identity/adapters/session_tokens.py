"""Session cookie values: a random id and an HMAC over it, checked in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


class SessionTokens:
    """Mints and reads `<random id>.<signature>` cookie values."""

    def __init__(self, key: bytes):
        self._key = key

    def mint(self) -> str:
        raw_id = secrets.token_urlsafe(32)
        return f"{raw_id}.{self._sign(raw_id)}"

    def id_hash(self, token: str) -> str | None:
        """The stored key of a well-signed token, or None for a forged or malformed one."""
        raw_id, dot, signature = token.partition(".")
        if not dot or not raw_id or not hmac.compare_digest(signature, self._sign(raw_id)):
            return None
        return hashlib.sha256(raw_id.encode()).hexdigest()

    def _sign(self, raw_id: str) -> str:
        digest = hmac.new(self._key, raw_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
