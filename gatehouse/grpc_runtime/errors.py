"""The one place a service's errors become gRPC statuses.

The status details carry the error's sentence, and the trailing metadata key
`gatehouse-error-code` its machine-readable code, which the gateway maps to HTTP.
"""

from __future__ import annotations

import grpc
import structlog

from gatehouse.errors import GatehouseError
from gatehouse.grpc_runtime.handlers import rewrap

ERROR_CODE_KEY = "gatehouse-error-code"
log = structlog.get_logger(__name__)

StatusMap = dict[type[GatehouseError], grpc.StatusCode]


def status_for(error: GatehouseError, mapping: StatusMap) -> grpc.StatusCode:
    """The status of the nearest mapped class in the error's ancestry (default INVALID_ARGUMENT)."""
    for cls in type(error).__mro__:
        if cls in mapping:
            return mapping[cls]
    return grpc.StatusCode.INVALID_ARGUMENT


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Turns GatehouseError raised by any handler into a status with the error's sentence."""

    def __init__(self, mapping: StatusMap):
        self._mapping = mapping

    async def intercept_service(self, continuation, handler_call_details):
        return rewrap(await continuation(handler_call_details), self._wrap_unary, self._wrap_stream)

    def _wrap_unary(self, behaviour):
        async def wrapped(request, context):
            try:
                return await behaviour(request, context)
            except GatehouseError as error:
                await self._abort(context, error)

        return wrapped

    def _wrap_stream(self, behaviour):
        async def wrapped(request, context):
            try:
                async for response in behaviour(request, context):
                    yield response
            except GatehouseError as error:
                await self._abort(context, error)

        return wrapped

    async def _abort(self, context, error: GatehouseError):
        status = status_for(error, self._mapping)
        log.info("grpc.refused", error_code=error.code, status=status.name, reason=error.message)
        # An error may carry extra trailers (a rate limit's `retry-after`).
        extra = tuple(getattr(error, "trailers", ()))
        await context.abort(status, error.message, trailing_metadata=((ERROR_CODE_KEY, error.code), *extra))
