"""GET /api/v1/openapi.json: the JSON API described as OpenAPI 3."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

routes = web.RouteTableDef()
_DOCUMENT = json.loads((Path(__file__).parent.parent / "openapi.json").read_text())


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(_DOCUMENT)
