"""The audit service's view of the uploads service: may this user read this project's log?"""

from __future__ import annotations

from typing import Protocol

import grpc

from gatehouse.common.v1 import common_pb2
from gatehouse.uploads.v1 import uploads_pb2, uploads_pb2_grpc
from services.audit.domain.errors import AccessCheckUnavailable


class ProjectAccess(Protocol):
    async def allows(self, principal: common_pb2.Principal, project: str, permission: str) -> bool:
        """Whether `principal` holds `permission` on `project`.
        Raises AccessCheckUnavailable when that cannot be found out."""


class GrpcProjectAccess:
    """ProjectAccess over the uploads service's CheckProjectAccess."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0):
        self._stub = uploads_pb2_grpc.UploadsServiceStub(channel)
        self._timeout = timeout

    async def allows(self, principal: common_pb2.Principal, project: str, permission: str) -> bool:
        """See ProjectAccess.allows; an unknown project is simply not allowed (its existence
        is not revealed). Raises AccessCheckUnavailable when the uploads service fails."""
        request = uploads_pb2.CheckProjectAccessRequest(
            principal=principal, project=project, permission=permission
        )
        try:
            response = await self._stub.CheckProjectAccess(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return False
            raise AccessCheckUnavailable(
                "Project permissions cannot be checked right now; try again shortly."
            ) from error
        return response.allowed
