"""The gateway's own refusals and the one middleware that turns every refusal into HTTP.

Service refusals arrive as gRPC statuses (with the service's sentence as details and a
machine code in the `gatehouse-error-code` trailer); they are mapped here and nowhere else.
"""

from __future__ import annotations

import grpc
import structlog
from aiohttp import web

from gatehouse.errors import GatehouseError
from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY

log = structlog.get_logger(__name__)
RETRY_AFTER_KEY = "retry-after"


class GatewayError(GatehouseError):
    """A refusal decided by the gateway itself (malformed request, not logged in)."""

    status = 400


class BadRequest(GatewayError):
    code = "bad_request"


class NotLoggedIn(GatewayError):
    code = "not_logged_in"
    status = 401


class Forbidden(GatewayError):
    code = "forbidden"
    status = 403


class NotFound(GatewayError):
    code = "not_found"
    status = 404


class ServiceUnavailable(GatewayError):
    code = "service_unavailable"
    status = 503


HTTP_STATUS_OF_GRPC = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}


def _from_grpc(error: grpc.aio.AioRpcError) -> tuple[int, str, str]:
    status = HTTP_STATUS_OF_GRPC.get(error.code(), 500)
    metadata = dict(error.trailing_metadata() or ())
    code = metadata.get(ERROR_CODE_KEY, error.code().name.lower())
    if status >= 500:
        log.error("gateway.service_failed", grpc_status=error.code().name, details=error.details())
        return status, "service_unavailable", "A Gatehouse service is unavailable; try again shortly."
    return status, code, error.details() or "The request was refused."


def _reason_phrase(message: str) -> str:
    # Reason phrases are one line of Latin-1; twine shows them verbatim.
    line = " ".join(message.split())
    return line.encode("latin-1", "replace").decode("latin-1")


def _render(request: web.Request, status: int, code: str, message: str) -> web.Response:
    if request.path.startswith("/api/"):
        response = web.json_response({"error": {"code": code, "message": message}}, status=status)
        if status < 500:
            response.set_status(status, _reason_phrase(message))
        if status == 429:
            response.headers["Retry-After"] = str(request.get(RETRY_AFTER_KEY, "60"))
        return response
    if request.path.startswith("/legacy"):
        response = web.Response(status=status, reason=_reason_phrase(message), text=message + "\n")
        if status == 429:  # too many new projects: twine shows the reason, scripts read this
            response.headers["Retry-After"] = str(request.get(RETRY_AFTER_KEY, "60"))
        return response
    from gateway.pages import render_error  # HTML pages share the site frame

    page = render_error(request, status, message)
    if status == 429:
        page.headers["Retry-After"] = str(request.get(RETRY_AFTER_KEY, "60"))
    return page


@web.middleware
async def error_middleware(request: web.Request, handler):
    """Maps GatewayError and gRPC refusals to the response format of the request's area."""
    try:
        return await handler(request)
    except GatewayError as error:
        return _render(request, error.status, error.code, error.message)
    except grpc.aio.AioRpcError as error:
        # A rate-limiting service says how long to wait in the `retry-after` trailer.
        retry_after = dict(error.trailing_metadata() or ()).get(RETRY_AFTER_KEY, "")
        if retry_after.isdigit():
            request[RETRY_AFTER_KEY] = retry_after
        return _render(request, *_from_grpc(error))
