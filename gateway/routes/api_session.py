"""/api/v1/session: log in, see the session, log out."""

from __future__ import annotations

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gateway.auth import (
    check_login_origin,
    clear_session_cookie,
    request_context,
    session_caller,
    set_session_cookie,
)
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS
from gateway.reauthentication import REAUTH_API
from gateway.timestamps import format_rfc3339

routes = web.RouteTableDef()


def _session_json(session: identity_pb2.Session) -> dict:
    return {
        "user": session.user.username,
        "mfa_required": not session.second_factor_verified,
        "methods": list(session.second_factor_methods),
        "new_device_confirmation_required": session.new_device_confirmation_pending,
        "csrf_token": session.csrf_token,
    }


@routes.post("/api/v1/session")
async def login(request: web.Request) -> web.Response:
    """First login step: password. Sets the session cookie."""
    check_login_origin(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].identity.Login(
        identity_pb2.LoginRequest(
            username=require_string(body, "username", 100),
            password=require_string(body, "password", 4096),
            context=request_context(request),
        ),
        timeout=15,
    )
    response = web.json_response(_session_json(answer.session))
    set_session_cookie(response, request, answer.session_token)
    return response


@routes.get("/api/v1/session")
async def current(request: web.Request) -> web.Response:
    """The current session, with its CSRF token."""
    caller = await session_caller(request)
    return web.json_response(_session_json(caller.session))


@routes.delete("/api/v1/session")
async def logout(request: web.Request) -> web.Response:
    """Ends the session server-side and clears the cookie."""
    caller = await session_caller(request)
    await request.app[CLIENTS].identity.Logout(
        identity_pb2.LogoutRequest(session_token=caller.session_token, context=request_context(request)),
        timeout=10,
    )
    response = web.json_response({"logged_out": True})
    clear_session_cookie(response)
    return response


@routes.post(REAUTH_API)
async def reauthenticate(request: web.Request) -> web.Response:
    """Re-authentication ("sudo mode"): the password again, for sensitive changes. 403 for a
    wrong password (a failed login, rate limited as logins are: 429 with Retry-After)."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].identity.Reauthenticate(
        identity_pb2.ReauthenticateRequest(
            session_token=caller.session_token,
            password=require_string(body, "password", 4096),
            context=request_context(request),
        ),
        timeout=15,
    )
    return web.json_response({"reauthenticated": format_rfc3339(answer.session.reauthenticated_at_us)})
