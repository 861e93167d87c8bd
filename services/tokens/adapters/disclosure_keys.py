"""Public keys of secret-scanning partners (e.g. GitHub) and the check of their signatures.

The keys live in a JSON file `{key_id: PEM public key}` named by GATEHOUSE_DISCLOSURE_KEYS;
it is read at each report, so an operator can add or retire a key without a restart.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MAX_SIGNATURE_CHARS = 512  # a DER P-256 signature is at most 72 bytes (96 base64 characters)


class DisclosureKeys:
    """Checks ECDSA P-256 / SHA-256 signatures of leak reports against the configured keys."""

    def __init__(self, keys_file: str):
        self._keys_file = keys_file

    def _public_key(self, key_id: str) -> ec.EllipticCurvePublicKey | None:
        if not self._keys_file or not key_id:
            return None
        try:
            pem = json.loads(Path(self._keys_file).read_text()).get(key_id)
            key = load_pem_public_key(pem.encode()) if isinstance(pem, str) else None
        except (OSError, ValueError, AttributeError, UnsupportedAlgorithm):
            return None
        return key if isinstance(key, ec.EllipticCurvePublicKey) else None

    def signed(self, body: bytes, key_id: str, signature_b64: str) -> bool:
        """Whether `signature_b64` (base64 DER) signs `body` under the key named `key_id`.
        False for an unknown key, an unreadable key file or a malformed signature; never raises."""
        key = self._public_key(key_id)
        if key is None or not signature_b64 or len(signature_b64) > MAX_SIGNATURE_CHARS:
            return False
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
        except (binascii.Error, ValueError, InvalidSignature):
            return False
        return True
