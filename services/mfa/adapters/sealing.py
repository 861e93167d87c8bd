"""AES-GCM sealing of TOTP secrets with the configured `mfa` key."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.mfa.domain.errors import MfaError

NONCE_BYTES = 12


class SecretUnreadable(MfaError):
    code = "secret_unreadable"


class SecretSealer:
    """Seals secrets bound to their owner (the user id is the associated data, so a sealed
    secret copied to another user's row does not open)."""

    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, owner: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), owner.encode())

    def open(self, sealed: bytes, owner: str) -> str:
        """The plaintext. Raises SecretUnreadable for a wrong key, owner or tampered value."""
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], owner.encode()).decode()
        except InvalidTag as error:
            raise SecretUnreadable("A stored second-factor secret could not be decrypted.") from error
