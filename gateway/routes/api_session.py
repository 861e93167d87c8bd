"""/api/v1/session: log in, see the session, log out, re-authenticate (password or security key)."""

from __future__ import annotations

import json

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gatehouse.mfa.v1 import mfa_pb2
from gateway.auth import (
    check_login_origin,
    clear_session_cookie,
    request_context,
    session_caller,
    set_session_cookie,
)
from gateway.errors import BadRequest
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS
from gateway.reauthentication import REAUTH_API, REAUTH_KEY_API, REAUTH_KEY_OPTIONS_API
from gateway.timestamps import format_rfc3339

routes = web.RouteTableDef()
REAUTHENTICATE = "reauthenticate"


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


@routes.post(REAUTH_KEY_OPTIONS_API)
async def reauthentication_key_options(request: web.Request) -> web.Response:
    """WebAuthn request options (W3C JSON) for re-authenticating with one of the user's security
    keys; mfa issues a challenge that answers only a re-authentication. 401 method_not_enrolled
    when the user has no key."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].mfa.BeginSecurityKeyAuthentication(
        mfa_pb2.BeginSecurityKeyAuthenticationRequest(user=caller.principal, context=request_context(request),
                                                      purpose=REAUTHENTICATE),
        timeout=10,
    )
    return web.json_response(json.loads(answer.options_json), headers={"Cache-Control": "no-store"})


@routes.post(REAUTH_KEY_API)
async def reauthenticate_with_key(request: web.Request) -> web.Response:
    """Re-authentication with a security key: `{"credential": credential.toJSON()}`. Identity has
    mfa check it (403 security_key_rejected when refused; 429 with Retry-After when limited)."""
    caller = await session_caller(request)
    credential = (await read_json(request)).get("credential")
    if not isinstance(credential, dict):
        raise BadRequest("The field 'credential' is required: send what credential.toJSON() gives.")
    answer = await request.app[CLIENTS].identity.Reauthenticate(
        identity_pb2.ReauthenticateRequest(session_token=caller.session_token, context=request_context(request),
                                           webauthn_credential_json=json.dumps(credential)),
        timeout=20,
    )
    return web.json_response({"reauthenticated": format_rfc3339(answer.session.reauthenticated_at_us)})
