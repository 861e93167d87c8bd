"""Per-token root keys, sealed at rest with AES-256-GCM under the service key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT_KEY_BYTES = 32
NONCE_BYTES = 12


class RootKeyUnreadable(Exception):
    """A sealed root key does not open: tampered with, moved to another token, or the service
    key changed."""


@dataclass(frozen=True)
class SealedKey:
    """A root key as stored: a random nonce and the AES-GCM ciphertext (with its tag)."""

    nonce: bytes
    ciphertext: bytes


def new_root_key() -> bytes:
    """A fresh random root key for one token."""
    return secrets.token_bytes(ROOT_KEY_BYTES)


class RootKeyCipher:
    """Seals and opens root keys. The token id is the associated data, so a sealed key copied
    onto another token's row does not open there."""

    def __init__(self, service_key: bytes):
        if len(service_key) != 32:
            raise ValueError("The tokens service key must be 32 bytes.")
        self._aead = AESGCM(service_key)

    def seal(self, token_id: str, root_key: bytes) -> SealedKey:
        """Encrypts `root_key` for `token_id` under a new random nonce."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return SealedKey(nonce, self._aead.encrypt(nonce, root_key, token_id.encode()))

    def open(self, token_id: str, sealed: SealedKey) -> bytes:
        """The root key. Raises RootKeyUnreadable when the ciphertext, nonce or token id do not match."""
        try:
            return self._aead.decrypt(sealed.nonce, sealed.ciphertext, token_id.encode())
        except (InvalidTag, ValueError) as error:
            raise RootKeyUnreadable(f"The root key of token {token_id} does not open.") from error
