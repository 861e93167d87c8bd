"""The AuditService gRPC API; each method delegates to one handler."""

from __future__ import annotations

import grpc

from gatehouse.audit.v1 import audit_pb2, audit_pb2_grpc
from services.audit.application import handlers
from services.audit.domain import errors

# The one place audit errors become gRPC statuses.
STATUS_OF_ERROR = {
    errors.AuditError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotAllowedToReadLog: grpc.StatusCode.PERMISSION_DENIED,
    errors.InvalidCursor: grpc.StatusCode.INVALID_ARGUMENT,
    errors.InvalidFilter: grpc.StatusCode.INVALID_ARGUMENT,
    errors.AccessCheckUnavailable: grpc.StatusCode.UNAVAILABLE,
}


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    """Serves the security logs the projector keeps."""

    def __init__(self, deps: handlers.Dependencies):
        self._deps = deps

    async def QueryEvents(self, request, context):
        """A page of a security log, newest first. PERMISSION_DENIED when the caller may not
        read it; INVALID_ARGUMENT for a bad cursor or filter; UNAVAILABLE when project
        permissions cannot be checked."""
        return await handlers.query_events(self._deps, request)

    async def TailEvents(self, request, context):
        """Streams matching events as they are projected, until the client cancels.
        Fails like QueryEvents before the first event."""
        async for event in handlers.tail_events(self._deps, request):
            yield audit_pb2.TailEventsResponse(event=event)
