"""The tokens service's view of the identity service: whether a token's owner is locked.

Identity owns account state; the tokens service asks it (GetUser) when verifying a token rather
than keeping a copy, so a lock takes effect within LOCK_CACHE_SECONDS without a consumer, a table
or a migration here. Answers are cached per user for that long to keep the hot path cheap."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import grpc

from gatehouse.identity.v1 import identity_pb2, identity_pb2_grpc
from services.tokens.domain.errors import AccountsUnavailable

LOCK_CACHE_SECONDS = 2.0


class AccountDirectory(Protocol):
    """The port to the identity service (a fake in unit tests)."""

    async def is_locked(self, user_id: str) -> bool:
        """Whether the account is locked by an operator. Raises AccountsUnavailable."""


class GrpcAccountDirectory:
    """AccountDirectory over IdentityService.GetUser, with a short per-user cache."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0,
                 ttl_seconds: float = LOCK_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._stub = identity_pb2_grpc.IdentityServiceStub(channel)
        self._timeout, self._ttl, self._clock = timeout, ttl_seconds, clock
        self._known: dict[str, tuple[bool, float]] = {}

    async def is_locked(self, user_id: str) -> bool:
        """Asks identity (or remembers its answer for a moment). An unknown user is not locked
        (no account is ever deleted). Raises AccountsUnavailable when identity cannot answer."""
        now = self._clock()
        known = self._known.get(user_id)
        if known is not None and known[1] > now:
            return known[0]
        locked = await self._ask(user_id)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[user_id] = (locked, now + self._ttl)
        return locked

    async def _ask(self, user_id: str) -> bool:
        try:
            answer = await self._stub.GetUser(identity_pb2.GetUserRequest(user_id=user_id), timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return False
            raise AccountsUnavailable(
                "The identity service is unavailable, so the token's account cannot be checked; try again."
            ) from error
        return answer.user.state == "locked"
