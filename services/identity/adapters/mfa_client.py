"""The identity service's view of the mfa service: which second factors a user has, checking a
security key's answer for a re-authentication, and removing every factor at the end of an
account recovery."""

from __future__ import annotations

from typing import Protocol

import grpc

from gatehouse.common.v1 import common_pb2
from gatehouse.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from services.identity.domain.errors import RateLimited, SecurityKeyRejected

REAUTHENTICATE = "reauthenticate"
RETRY_AFTER_KEY = "retry-after"


class SecondFactors(Protocol):
    async def methods_of(self, user_id: str) -> list[str]: ...

    async def reset(self, user_id: str, context) -> int:
        """Removes every second factor of the user (account recovery); answers how many."""

    async def verify_security_key(self, user: common_pb2.Principal, session_id: str, credential_json: str,
                                  context) -> mfa_pb2.VerifySecondFactorResponse:
        """mfa's proof that the user's own key answered a fresh re-authentication challenge.
        Raises SecurityKeyRejected or RateLimited."""


class GrpcSecondFactors:
    def __init__(self, channel):
        self._stub = mfa_pb2_grpc.MfaServiceStub(channel)

    async def methods_of(self, user_id: str) -> list[str]:
        response = await self._stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id=user_id), timeout=5)
        return list(response.methods)

    async def reset(self, user_id: str, context) -> int:
        request = mfa_pb2.ResetSecondFactorsRequest(user_id=user_id, context=context, reason="account_recovery")
        return (await self._stub.ResetSecondFactors(request, timeout=30)).methods_removed

    async def verify_security_key(self, user, session_id: str, credential_json: str, context):
        """See SecondFactors.verify_security_key; other mfa failures propagate as gRPC errors."""
        request = mfa_pb2.VerifySecondFactorRequest(user=user, method="webauthn", code=credential_json,
                                                    session_id=session_id, context=context, purpose=REAUTHENTICATE)
        try:
            return await self._stub.VerifySecondFactor(request, timeout=15)
        except grpc.aio.AioRpcError as error:
            raise _identity_error(error) from error


def _identity_error(error: grpc.aio.AioRpcError) -> Exception:
    """mfa's refusal as identity's error (so identity's one map gives the status); others as they are."""
    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
        retry_after = dict(error.trailing_metadata() or ()).get(RETRY_AFTER_KEY, "60")
        return RateLimited(error.details() or "Too many failed attempts.", int(retry_after))
    if error.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.INVALID_ARGUMENT):
        return SecurityKeyRejected(error.details() or "The security key's answer was refused.")
    return error
