"""The gateway's request id and metrics middlewares and its `GET /metrics`."""

from __future__ import annotations

import time

import structlog
from aiohttp import web

from gatehouse.observability import request_ids
from gatehouse.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS, exposition

routes = web.RouteTableDef()


@web.middleware
async def request_id_middleware(request: web.Request, handler):
    """Takes an acceptable incoming X-Request-ID or makes one, binds it to the logs and to the
    gRPC calls this request makes (as `x-request-id` metadata), and answers it in the header."""
    request_id = request_ids.accept_or_new(request.headers.get(request_ids.HTTP_HEADER))
    request["request_id"] = request_id
    request_ids.bind(request_id)
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await handler(request)
    except web.HTTPException as answer:  # raised answers (redirects) carry it too
        answer.headers[request_ids.HTTP_HEADER] = request_id
        raise
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
    response.headers[request_ids.HTTP_HEADER] = request_id
    return response


def route_label(request: web.Request) -> str:
    """The matched route's template (`/simple/{project}/`), never the raw path, so label values
    stay few; 'unmatched' for requests no route took."""
    info = request.match_info
    if getattr(info, "http_exception", None) is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical


@web.middleware
async def metrics_middleware(request: web.Request, handler):
    """Counts and times every request by method, route and answered status."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as answer:
        status = answer.status
        raise
    finally:
        labels = (request.method, route_label(request), str(status))
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_LATENCY.labels(*labels).observe(time.perf_counter() - started)


@routes.get("/metrics")
async def metrics(_request: web.Request) -> web.Response:
    """The gateway's Prometheus metrics (text exposition format)."""
    body, content_type = exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})
