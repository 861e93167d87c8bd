"""argon2 hashes of recovery codes, computed off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Recovery codes carry 80 random bits, so argon2's cost protects nothing a guess could find;
# light parameters keep checking a set of eight quick.
_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


async def hash_code(code: str) -> str:
    """The argon2 hash of a normalized recovery code."""
    return await asyncio.to_thread(_HASHER.hash, code)


def _matches(code_hash: str, code: str) -> bool:
    try:
        return _HASHER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False


async def matches(code_hash: str, code: str) -> bool:
    """Whether `code` is the one `code_hash` was made from."""
    return await asyncio.to_thread(_matches, code_hash, code)
