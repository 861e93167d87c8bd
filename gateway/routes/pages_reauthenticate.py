"""The re-authentication ("sudo mode") page: a password form (and, for a user with a security
key, a button that re-authenticates with the key through the JSON API, in static/webauthn.js)
that sends the browser back to the page that asked for it (only to a path on this site)."""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gatehouse.mfa.v1 import mfa_pb2
from gateway.auth import request_context, session_caller
from gateway.errors import RETRY_AFTER_KEY
from gateway.keys import CLIENTS, SETTINGS
from gateway.pages import render
from gateway.reauthentication import REAUTH_PAGE, same_site_path

routes = web.RouteTableDef()
# Identity's refusals the form shows next to the password field; others go to the error page.
STATUS_OF_REFUSAL = {grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.RESOURCE_EXHAUSTED: 429}


async def _form(request: web.Request, caller, next_path: str, status: int = 200, error: str = "") -> web.Response:
    methods = await request.app[CLIENTS].mfa.ListMethods(
        mfa_pb2.ListMethodsRequest(user_id=caller.principal.user_id), timeout=10)
    return render(request, "reauthenticate.html", status=status, user=caller.principal.username,
                  csrf_token=caller.session.csrf_token, next=next_path, error=error,
                  minutes=request.app[SETTINGS].reauth_minutes, has_security_key="webauthn" in methods.methods)


@routes.get(REAUTH_PAGE)
async def reauthenticate_form(request: web.Request) -> web.Response:
    """The password form (and the security key button when the user has a key); `next` is where
    to go afterwards (a path on this site)."""
    caller = await session_caller(request)
    return await _form(request, caller, same_site_path(request.query.get("next", "")))


@routes.post(REAUTH_PAGE)
async def reauthenticate(request: web.Request) -> web.Response:
    """Checks the password with identity, then redirects to `next`; a wrong password (a failed
    login, rate limited as logins are) shows the form again with the reason."""
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    caller = await session_caller(request)
    next_path = same_site_path(str(form.get("next", "")))
    try:
        await request.app[CLIENTS].identity.Reauthenticate(
            identity_pb2.ReauthenticateRequest(session_token=caller.session_token,
                                               password=str(form.get("password", ""))[:4096],
                                               context=request_context(request)),
            timeout=15,
        )
    except grpc.aio.AioRpcError as error:
        if error.code() not in STATUS_OF_REFUSAL:
            raise
        response = await _form(request, caller, next_path, STATUS_OF_REFUSAL[error.code()], error.details())
        retry_after = dict(error.trailing_metadata() or ()).get(RETRY_AFTER_KEY)
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response
    raise web.HTTPSeeOther(next_path)
