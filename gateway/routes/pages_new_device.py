"""The new-device check in the web UI: the mailed confirmation link and asking for it again.
(The "check your e-mail" page itself is the second-step page of a held session.)"""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gateway.auth import request_context, session_caller
from gateway.keys import CLIENTS
from gateway.pages import render
from gateway.routes.pages_two_factor import _refusal

routes = web.RouteTableDef()
CONFIRM_PAGE = "/account/confirm-login"
RESEND_PAGE = "/account/two-factor/verify/resend"
REFUSED_HERE = {grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.INVALID_ARGUMENT: 400}


@routes.get(CONFIRM_PAGE)
async def confirm_login(request: web.Request) -> web.Response:
    """Opens a mailed confirmation link: releases the held login when opened from its IP;
    403 from any other IP, 400 for a bad, used or expired link."""
    token = request.query.get("token", "")[:200]
    try:
        answer = await request.app[CLIENTS].identity.ConfirmNewDeviceLogin(
            identity_pb2.ConfirmNewDeviceLoginRequest(token=token, context=request_context(request)), timeout=10
        )
    except grpc.aio.AioRpcError as error:
        if error.code() not in REFUSED_HERE:
            raise
        status = REFUSED_HERE[error.code()]
        return render(request, "new_device_confirmed.html", status=status, error=error.details())
    return render(request, "new_device_confirmed.html", confirmed=True, username=answer.session.user.username)


@routes.post(RESEND_PAGE)
async def resend(request: web.Request) -> web.Response:
    """Mails the held login's link again; 429 (with Retry-After) when asked too soon or too often."""
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    caller = await session_caller(request)
    frame = {"user": caller.principal.username, "csrf_token": caller.session.csrf_token}
    try:
        answer = await request.app[CLIENTS].identity.ResendNewDeviceLogin(
            identity_pb2.ResendNewDeviceLoginRequest(session_token=caller.session_token, context=request_context(request)),
            timeout=10,
        )
    except grpc.aio.AioRpcError as error:
        status, message = _refusal(error)
        response = render(request, "new_device_held.html", status=status, error=message, **frame)
        retry_after = dict(error.trailing_metadata() or ()).get("retry-after")
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response
    return render(request, "new_device_held.html", sent_to=answer.email, **frame)
