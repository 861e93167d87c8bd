"""What keeps token verification fast: recently verified tokens in memory, last uses batched.

A verification costs three reads (row, events, sealed key), an AES-GCM decryption, the HMAC
chain and JSON caveats, and used to cost a write transaction (the last use). Here:

- `VerifiedTokens` remembers, for a short time (seconds), a token that just verified (its row
  and folded state) and, by a hash of the exact secret presented, the caveats that secret
  carries: presenting it again only re-runs the caveat checks (no I/O, no HMAC, no JSON).
  No root key is kept. Revocation, rotation and leak reports in this process
  forget the entry at once; another replica of the service would see them within the time to
  live. Single-use tokens are never remembered (each use must go to the database).
- `UseRecorder` collects last uses in memory and writes them in one transaction about once a
  second (and at shutdown); the last use shown lags by that much.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from services.tokens.adapters.tables import tokens

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class VerifiedToken:
    """A token that verified recently: its read-model row and state."""

    row: Any
    state: Any
    until: float


@dataclass(frozen=True)
class KnownPresentation:
    """A presented secret whose signature chain already verified under its token's root key:
    the caveats it carries, read, in order (checking them again needs no HMAC and no JSON)."""

    token_id: str
    caveats: tuple
    predicates: tuple[str, ...]
    summary: Any


def _digest(secret: str) -> bytes:
    # Keyed by a hash, so the map holds no secret (the same secret always hashes alike).
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


class VerifiedTokens:
    """Short-lived in-memory maps: token id -> VerifiedToken, secret hash -> KnownPresentation.
    A presentation is only used while its token's entry lives."""

    def __init__(self, ttl_seconds: float = 2.0, capacity: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._clock = clock
        self._entries: dict[str, VerifiedToken] = {}
        self._presentations: dict[bytes, KnownPresentation] = {}
        # Bumped by every forget: a verification that read the database before a revocation
        # committed must not remember the token after the revocation forgot it.
        self._epoch = 0

    @property
    def epoch(self) -> int:
        """Take before reading the database; pass to `remember`."""
        return self._epoch

    def get(self, token_id: str) -> VerifiedToken | None:
        """The remembered token, or None when unknown or older than the time to live."""
        entry = self._entries.get(token_id)
        if entry is None or entry.until <= self._clock():
            self._entries.pop(token_id, None)
            return None
        return entry

    def remember(self, row, state, known: KnownPresentation, secret: str, epoch: int) -> None:
        """Remembers a token that just verified and the secret presented (never a single-use or
        revoked one, nor anything when a token was forgotten since `epoch`)."""
        if state.single_use or state.revoked or self._ttl <= 0 or epoch != self._epoch:
            return
        if len(self._entries) >= self._capacity:
            self._entries.clear()  # rare; a full map under attack must not grow without bound
        self._entries[row.token_id] = VerifiedToken(row, state, self._clock() + self._ttl)
        if len(self._presentations) >= self._capacity:
            self._presentations.clear()
        self._presentations[_digest(secret)] = known

    def presentation(self, secret: str) -> tuple[KnownPresentation, VerifiedToken] | None:
        """The known presentation of `secret` and its token's live entry, or None."""
        known = self._presentations.get(_digest(secret))
        if known is None:
            return None
        entry = self.get(known.token_id)
        return (known, entry) if entry is not None else None

    def forget(self, token_id: str) -> None:
        """Drops a token whose state changed (revoked, rotated, leaked)."""
        self._epoch += 1
        self._entries.pop(token_id, None)


class UseRecorder:
    """Last uses of tokens, written in batches."""

    def __init__(self, engine: AsyncEngine, interval_seconds: float = 1.0):
        self._engine = engine
        self._interval = interval_seconds
        self._pending: dict[str, tuple[int, str]] = {}

    def record(self, token_id: str, now_us: int, ip_address: str) -> None:
        """Notes a use; the newest per token wins."""
        self._pending[token_id] = (now_us, ip_address[:64])

    async def flush(self) -> None:
        """Writes every pending last use in one transaction. Raises SQLAlchemy errors (the
        uses are put back, so a later flush retries them)."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            async with self._engine.begin() as connection:
                for token_id, (now_us, ip_address) in pending.items():
                    await connection.execute(
                        sa.update(tokens)
                        .where(tokens.c.token_id == token_id, tokens.c.last_used_at_us < now_us)
                        .values(last_used_at_us=now_us, last_used_ip=ip_address)
                    )
        except Exception:
            for token_id, use in pending.items():
                self._pending.setdefault(token_id, use)
            raise

    async def run(self) -> None:
        """Flushes about once per interval until cancelled (then once more)."""
        try:
            while True:
                await asyncio.sleep(self._interval)
                try:
                    await self.flush()
                except Exception:  # noqa: BLE001 - a database hiccup must not stop recording uses
                    log.exception("token.last_use_flush_failed")
        finally:
            await asyncio.shield(self.flush())
