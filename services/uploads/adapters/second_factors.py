"""The uploads service's view of the mfa service: which second factors has a user set up?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import grpc

from gatehouse.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from services.uploads.domain.errors import TokensUnavailable

# Recovery codes alone are a fallback, not a second factor (as on PyPI).
SECOND_FACTORS = frozenset({"totp", "webauthn"})
# A yes is remembered this long (as the tokens service remembers a lock state): every upload
# would otherwise ask mfa. A no is never remembered, so a factor added after a refusal counts at once.
HAS_FACTOR_CACHE_SECONDS = 2.0


class SecondFactors(Protocol):
    async def has_second_factor(self, user_id: str) -> bool:
        """Whether the user has TOTP or a security key. Raises TokensUnavailable when unknown."""

    async def methods_of(self, user_id: str) -> frozenset[str]:
        """The user's methods ("totp", "webauthn", "recovery_code"). Raises TokensUnavailable."""


class GrpcSecondFactors:
    """SecondFactors over the MfaService gRPC API."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0,
                 ttl_seconds: float = HAS_FACTOR_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self._stub = mfa_pb2_grpc.MfaServiceStub(channel)
        self._timeout, self._ttl, self._clock = timeout, ttl_seconds, clock
        self._has_factor_until: dict[str, float] = {}

    async def methods_of(self, user_id: str) -> frozenset[str]:
        try:
            answer = await self._stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id=user_id), timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise TokensUnavailable("Two-factor status cannot be checked right now; try again shortly.") from error
        return frozenset(answer.methods)

    async def has_second_factor(self, user_id: str) -> bool:
        if self._has_factor_until.get(user_id, 0.0) > self._clock():
            return True
        has_factor = bool(SECOND_FACTORS & await self.methods_of(user_id))
        if has_factor:
            if len(self._has_factor_until) > 10_000:
                self._has_factor_until.clear()
            self._has_factor_until[user_id] = self._clock() + self._ttl
        return has_factor
