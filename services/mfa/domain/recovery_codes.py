"""Recovery codes: 8 codes of 80 random bits, shown once, single use. No I/O."""

from __future__ import annotations

import base64
import secrets

COUNT = 8
RANDOM_BYTES = 10  # 80 bits each; the issue asks for at least 64


def new_codes(count: int = COUNT) -> list[str]:
    """Fresh codes as users see them: 16 base32 characters in groups of four."""
    codes = []
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(RANDOM_BYTES)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
    return codes


def normalized(code: str) -> str:
    """A code as typed (any case, spaces or dashes) in the form its hash was made from."""
    return "".join(character for character in code.lower() if character.isalnum())
