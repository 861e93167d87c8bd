"""Per-call observability of every service: request id, log context, metrics.

It sits inside ErrorInterceptor, so it sees a handler's GatehouseError before that becomes a
status; it only records and re-raises.
"""

from __future__ import annotations

import asyncio
import time

import grpc
import structlog
from prometheus_client import Counter

from gatehouse.errors import GatehouseError
from gatehouse.grpc_runtime.errors import StatusMap, status_for
from gatehouse.grpc_runtime.handlers import rewrap
from gatehouse.observability import request_ids
from gatehouse.observability.metrics import GRPC_LATENCY, GRPC_REQUESTS

# Methods whose refusals a service counts by reason code, e.g. {"Upload": UPLOAD_REFUSALS}.
RefusalCounters = dict[str, Counter]


class ObservingInterceptor(grpc.aio.ServerInterceptor):
    """Binds the caller's `x-request-id` to the logs and counts and times every call by
    method and outcome (the status name the error interceptor will answer)."""

    def __init__(self, service: str, mapping: StatusMap, refusals: RefusalCounters | None = None):
        self._service = service
        self._mapping = mapping
        self._refusals = refusals or {}

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method.rpartition("/")[2] or handler_call_details.method
        request_id = _request_id(handler_call_details.invocation_metadata)
        call = _Call(self, method, request_id)
        return rewrap(await continuation(handler_call_details), call.wrap_unary, call.wrap_stream)

    def outcome_of(self, method: str, error: BaseException | None, context=None) -> str:
        """The status name a call ends with; counts a refusal when `method` counts them."""
        if error is None:
            return grpc.StatusCode.OK.name
        if isinstance(error, GatehouseError):
            if method in self._refusals:
                self._refusals[method].labels(reason=error.code).inc()
            return status_for(error, self._mapping).name
        if isinstance(error, asyncio.CancelledError):
            return grpc.StatusCode.CANCELLED.name
        code = _aborted_with(context)  # a servicer that called context.abort() itself
        return code.name if code is not None else grpc.StatusCode.UNKNOWN.name

    def record(self, method: str, outcome: str, seconds: float) -> None:
        """Counts and times one finished call."""
        GRPC_REQUESTS.labels(self._service, method, outcome).inc()
        GRPC_LATENCY.labels(self._service, method, outcome).observe(seconds)


def _aborted_with(context) -> grpc.StatusCode | None:
    try:
        return context.code() if context is not None else None
    except (AttributeError, NotImplementedError):
        return None


def _request_id(metadata) -> str:
    for key, value in metadata or ():
        if key == request_ids.METADATA_KEY:
            return request_ids.acceptable(value if isinstance(value, str) else "")
    return ""


class _Call:
    """One call's wrappers: bind the request id, time the behaviour, record its outcome."""

    def __init__(self, interceptor: ObservingInterceptor, method: str, request_id: str):
        self._interceptor = interceptor
        self._method = method
        self._request_id = request_id

    def _begin(self) -> float:
        # Each call runs in its own task, so what is bound here stays with this call.
        request_ids.bind(self._request_id)
        structlog.contextvars.bind_contextvars(request_id=self._request_id, rpc=self._method)
        return time.perf_counter()

    def _end(self, started: float, error: BaseException | None, context=None) -> None:
        outcome = self._interceptor.outcome_of(self._method, error, context)
        self._interceptor.record(self._method, outcome, time.perf_counter() - started)

    def wrap_unary(self, behaviour):
        async def wrapped(request, context):
            started = self._begin()
            try:
                response = await behaviour(request, context)
            except BaseException as error:
                self._end(started, error, context)
                raise
            self._end(started, None)
            return response

        return wrapped

    def wrap_stream(self, behaviour):
        async def wrapped(request, context):
            started = self._begin()
            try:
                async for response in behaviour(request, context):
                    yield response
            except BaseException as error:
                self._end(started, error, context)
                raise
            self._end(started, None)

        return wrapped
