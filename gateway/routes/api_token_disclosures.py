"""POST /api/v1/tokens/disclosures: leak reports from secret-scanning partners (GitHub's format).

The gateway passes the raw body and the signature headers through; the tokens service checks
the signature and revokes what is real. Needs no session: the signature is the authentication.
"""

from __future__ import annotations

from aiohttp import web

from gatehouse.tokens.v1 import tokens_pb2
from gateway.auth import request_context
from gateway.errors import BadRequest
from gateway.keys import CLIENTS

routes = web.RouteTableDef()

MAX_REPORT_BYTES = 1024 * 1024
KEY_ID_HEADER = "Github-Public-Key-Identifier"
SIGNATURE_HEADER = "Github-Public-Key-Signature"


@routes.post("/api/v1/tokens/disclosures")
async def disclose(request: web.Request) -> web.Response:
    """Revokes every genuine token in a signed report; 403 for a bad signature, 400 for a
    malformed report. The answer is the same whether the report held real tokens or not."""
    if request.content_length is not None and request.content_length > MAX_REPORT_BYTES:
        raise BadRequest("The report is too large.")
    body = await request.read()
    if len(body) > MAX_REPORT_BYTES:
        raise BadRequest("The report is too large.")
    answer = await request.app[CLIENTS].tokens.ReportLeak(
        tokens_pb2.ReportLeakRequest(
            body=body,
            key_id=request.headers.get(KEY_ID_HEADER, "")[:200],
            signature=request.headers.get(SIGNATURE_HEADER, "")[:512],
            context=request_context(request),
        ),
        timeout=30,
    )
    return web.json_response({"received": answer.received})
