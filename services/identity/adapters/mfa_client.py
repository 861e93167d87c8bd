"""The identity service's view of the mfa service: which second factors a user has, and
removing them all at the end of an account recovery."""

from __future__ import annotations

from typing import Protocol

from gatehouse.mfa.v1 import mfa_pb2, mfa_pb2_grpc


class SecondFactors(Protocol):
    async def methods_of(self, user_id: str) -> list[str]: ...

    async def reset(self, user_id: str, context) -> int:
        """Removes every second factor of the user (account recovery); answers how many."""


class GrpcSecondFactors:
    def __init__(self, channel):
        self._stub = mfa_pb2_grpc.MfaServiceStub(channel)

    async def methods_of(self, user_id: str) -> list[str]:
        response = await self._stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id=user_id), timeout=5)
        return list(response.methods)

    async def reset(self, user_id: str, context) -> int:
        request = mfa_pb2.ResetSecondFactorsRequest(user_id=user_id, context=context, reason="account_recovery")
        return (await self._stub.ResetSecondFactors(request, timeout=30)).methods_removed
