"""The MfaService gRPC API; each method delegates to one handler."""

from __future__ import annotations

import grpc
import structlog

from gatehouse.mfa.v1 import mfa_pb2_grpc
from services.mfa.application import handlers
from services.mfa.domain import errors

# The one place mfa errors become gRPC statuses.
STATUS_OF_ERROR = {
    errors.MfaError: grpc.StatusCode.INVALID_ARGUMENT,
}


class MfaServicer(mfa_pb2_grpc.MfaServiceServicer):
    """gatehouse.mfa.v1.MfaService over the handlers."""

    def __init__(self, deps: handlers.Dependencies):
        self._deps = deps

    async def ListMethods(self, request, context):
        """The user's enrolled methods; INVALID_ARGUMENT when no user is named."""
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(rpc="ListMethods", user_id=request.user_id)
        return await handlers.list_methods(self._deps, request)
