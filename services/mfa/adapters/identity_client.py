"""The mfa service's view of the identity service: whether a user's e-mail is verified."""

from __future__ import annotations

from typing import Protocol

from gatehouse.identity.v1 import identity_pb2, identity_pb2_grpc


class Accounts(Protocol):
    async def email_verified(self, user_id: str) -> bool: ...


class GrpcAccounts:
    def __init__(self, channel):
        self._stub = identity_pb2_grpc.IdentityServiceStub(channel)

    async def email_verified(self, user_id: str) -> bool:
        """Asks identity; raises grpc.aio.AioRpcError when it cannot answer."""
        answer = await self._stub.GetUser(identity_pb2.GetUserRequest(user_id=user_id), timeout=5)
        return answer.user.email_verified
