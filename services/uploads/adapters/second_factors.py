"""The uploads service's view of the mfa service: which second factors has a user set up?"""

from __future__ import annotations

from typing import Protocol

import grpc

from gatehouse.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from services.uploads.domain.errors import TokensUnavailable

# Recovery codes alone are a fallback, not a second factor (as on PyPI).
SECOND_FACTORS = frozenset({"totp", "webauthn"})


class SecondFactors(Protocol):
    async def has_second_factor(self, user_id: str) -> bool:
        """Whether the user has TOTP or a security key. Raises TokensUnavailable when unknown."""

    async def methods_of(self, user_id: str) -> frozenset[str]:
        """The user's methods ("totp", "webauthn", "recovery_code"). Raises TokensUnavailable."""


class GrpcSecondFactors:
    """SecondFactors over the MfaService gRPC API."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0):
        self._stub = mfa_pb2_grpc.MfaServiceStub(channel)
        self._timeout = timeout

    async def methods_of(self, user_id: str) -> frozenset[str]:
        try:
            answer = await self._stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id=user_id), timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise TokensUnavailable("Two-factor status cannot be checked right now; try again shortly.") from error
        return frozenset(answer.methods)

    async def has_second_factor(self, user_id: str) -> bool:
        return bool(SECOND_FACTORS & await self.methods_of(user_id))
