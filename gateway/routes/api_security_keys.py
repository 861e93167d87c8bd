"""/api/v1/account/webauthn (security keys) and /api/v1/session/webauthn (second step with a key).

Options and credentials travel in the W3C JSON forms: the browser parses the options with
PublicKeyCredential.parse{Creation,Request}OptionsFromJSON and sends credential.toJSON()."""

from __future__ import annotations

import json

import grpc
from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gatehouse.mfa.v1 import mfa_pb2
from gateway.auth import SESSION_COOKIE, check_login_origin, request_context, session_caller, set_session_cookie
from gateway.errors import BadRequest, NotLoggedIn
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS
from gateway.routes.api_two_factor import complete_second_step
from gateway.timestamps import format_rfc3339

routes = web.RouteTableDef()


def _credential_of(body: dict) -> str:
    credential = body.get("credential")
    if not isinstance(credential, dict):
        raise BadRequest("The field 'credential' is required: send what credential.toJSON() gives.")
    return json.dumps(credential)


def key_json(key: mfa_pb2.SecurityKey) -> dict:
    """A security key as JSON."""
    return {"id": key.key_id, "label": key.label, "passkey": key.passkey, "created": format_rfc3339(key.created_at_us)}


@routes.post("/api/v1/account/webauthn/options")
async def registration_options(request: web.Request) -> web.Response:
    """Creation options for a new security key named by `label`."""
    caller = await session_caller(request)
    label = require_string(await read_json(request), "label", 64)
    answer = await request.app[CLIENTS].mfa.BeginSecurityKeyRegistration(
        mfa_pb2.BeginSecurityKeyRegistrationRequest(user=caller.principal, label=label,
                                                    context=request_context(request)),
        timeout=10,
    )
    return web.json_response(json.loads(answer.options_json), headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/account/webauthn")
async def add_key(request: web.Request) -> web.Response:
    """Adds the key the browser just created."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].mfa.CompleteSecurityKeyRegistration(
        mfa_pb2.CompleteSecurityKeyRegistrationRequest(
            user=caller.principal, label=require_string(body, "label", 64), credential_json=_credential_of(body),
            context=request_context(request),
        ),
        timeout=10,
    )
    return web.json_response(key_json(answer.key), status=201)


@routes.get("/api/v1/account/webauthn")
async def list_keys(request: web.Request) -> web.Response:
    """The caller's security keys."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].mfa.ListSecurityKeys(
        mfa_pb2.ListSecurityKeysRequest(user=caller.principal), timeout=10
    )
    return web.json_response({"keys": [key_json(key) for key in answer.keys]})


@routes.delete("/api/v1/account/webauthn/{key_id}")
async def remove_key(request: web.Request) -> web.Response:
    """Removes one of the caller's keys."""
    caller = await session_caller(request)
    await request.app[CLIENTS].mfa.RemoveSecurityKey(
        mfa_pb2.RemoveSecurityKeyRequest(user=caller.principal, key_id=request.match_info["key_id"],
                                         context=request_context(request)),
        timeout=10,
    )
    return web.json_response({"removed": True})


async def _session_or_none(request: web.Request):
    """The session caller, or None when there is no live session (a passkey sign-in)."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return await session_caller(request)
    except NotLoggedIn:
        return None
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.UNAUTHENTICATED:
            raise
        return None


@routes.post("/api/v1/account/webauthn/{key_id}/passkey")
async def set_passkey(request: web.Request) -> web.Response:
    """Turns passkey sign-in on or off for one key: `{"enabled": bool}`."""
    caller = await session_caller(request)
    enabled = (await read_json(request)).get("enabled")
    if not isinstance(enabled, bool):
        raise BadRequest("The field 'enabled' is required and must be true or false.")
    answer = await request.app[CLIENTS].mfa.SetPasskeySignIn(
        mfa_pb2.SetPasskeySignInRequest(user=caller.principal, key_id=request.match_info["key_id"],
                                        enabled=enabled, context=request_context(request)),
        timeout=10,
    )
    return web.json_response(key_json(answer.key))


@routes.post("/api/v1/session/webauthn/options")
async def authentication_options(request: web.Request) -> web.Response:
    """Request options: for the second login step with one of the user's keys, or, without a
    session, for a passkey sign-in."""
    caller = await _session_or_none(request)
    clients = request.app[CLIENTS]
    if caller is None:
        check_login_origin(request)
        answer = await clients.mfa.BeginPasskeySignIn(
            mfa_pb2.BeginPasskeySignInRequest(context=request_context(request)), timeout=10)
    else:
        answer = await clients.mfa.BeginSecurityKeyAuthentication(
            mfa_pb2.BeginSecurityKeyAuthenticationRequest(user=caller.principal, context=request_context(request)),
            timeout=10,
        )
    return web.json_response(json.loads(answer.options_json), headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/session/webauthn")
async def session_webauthn(request: web.Request) -> web.Response:
    """Second login step with a security key, or, without a session, a passkey sign-in."""
    caller = await _session_or_none(request)
    credential = _credential_of(await read_json(request))
    if caller is not None:
        return web.json_response(await complete_second_step(request, caller, "webauthn", credential))
    check_login_origin(request)
    return await _passkey_sign_in(request, credential)


async def _passkey_sign_in(request: web.Request, credential: str) -> web.Response:
    clients = request.app[CLIENTS]
    verified = await clients.mfa.VerifyPasskeySignIn(
        mfa_pb2.VerifyPasskeySignInRequest(credential_json=credential, context=request_context(request)), timeout=10)
    answer = await clients.identity.LoginWithPasskey(
        identity_pb2.LoginWithPasskeyRequest(
            user_id=verified.user_id, label=verified.label, proof=verified.proof, issued_at_us=verified.issued_at_us,
            context=request_context(request),
        ),
        timeout=10,
    )
    response = web.json_response({
        "user": answer.session.user.username, "mfa_required": False, "method": "passkey",
        "csrf_token": answer.session.csrf_token,
    })
    set_session_cookie(response, request, answer.session_token)
    return response
