"""The AuditService gRPC API; each method delegates to one handler."""

from __future__ import annotations

import grpc

from gatehouse.audit.v1 import audit_pb2, audit_pb2_grpc
from services.audit.application import handlers, integrity
from services.audit.domain import errors

# The one place audit errors become gRPC statuses.
STATUS_OF_ERROR = {
    errors.AuditError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotAllowedToReadLog: grpc.StatusCode.PERMISSION_DENIED,
    errors.InvalidCursor: grpc.StatusCode.INVALID_ARGUMENT,
    errors.InvalidFilter: grpc.StatusCode.INVALID_ARGUMENT,
    errors.AccessCheckUnavailable: grpc.StatusCode.UNAVAILABLE,
    errors.ReplayTimedOut: grpc.StatusCode.DEADLINE_EXCEEDED,
}


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    """Serves the security logs the projector keeps."""

    def __init__(self, deps: handlers.Dependencies, rebuilder: integrity.Rebuilder | None = None):
        self._deps = deps
        self._rebuilder = rebuilder

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

    async def ExportEvents(self, request, context):
        """Streams every matching event, oldest first, with payload and hashes. Fails like
        QueryEvents before the first event."""
        async for event in integrity.export_events(self._deps, request):
            yield audit_pb2.ExportEventsResponse(event=event)

    async def VerifyChains(self, request, context):
        """Recomputes every chain; names the first broken event. PERMISSION_DENIED for a
        non-operator."""
        return await integrity.verify_chains(self._deps, request)

    async def RebuildProjection(self, request, context):
        """Replays the stream into a fresh projection. PERMISSION_DENIED for a non-operator;
        DEADLINE_EXCEEDED when the replay has not caught up in time; UNIMPLEMENTED when this
        process has no projector."""
        if self._rebuilder is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "This audit process does not project.")
        return await integrity.rebuild_projection(self._deps, self._rebuilder, request)

    async def ListParkedEvents(self, request, context):
        """The messages the projector parked, newest first. PERMISSION_DENIED for a non-operator."""
        return await integrity.list_parked_events(self._deps, request)
