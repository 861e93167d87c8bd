"""GET /healthz: each service and NATS, up or down."""

from __future__ import annotations

import asyncio

from aiohttp import web

from gatehouse.settings import SERVICES
from gateway.keys import CLIENTS, NATS

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """200 when every service and NATS is up, else 503; the body names each."""
    clients = request.app[CLIENTS]
    answers = await asyncio.gather(*(clients.healthy(name) for name in SERVICES))
    status = {name: ("up" if up else "down") for name, up in zip(SERVICES, answers)}
    status["nats"] = "up" if request.app[NATS].connected() else "down"
    healthy = all(value == "up" for value in status.values())
    return web.json_response(
        {"status": "ok" if healthy else "degraded", "components": status}, status=200 if healthy else 503
    )
