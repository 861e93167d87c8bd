"""/api/v1/tokens: create, list, revoke and introspect API tokens."""

from __future__ import annotations

import time

from aiohttp import web

from gatehouse.tokens.v1 import tokens_pb2
from gateway.auth import UNREADABLE_TOKEN, is_readable_token, request_context, session_caller
from gateway.errors import BadRequest
from gateway.json_body import optional_strings, read_json, require_string
from gateway.keys import CLIENTS
from gateway.timestamps import format_rfc3339, parse_rfc3339

routes = web.RouteTableDef()

# The web form's expiry choices, in days ("0": never; the operator may set a maximum lifetime).
EXPIRY_PRESET_DAYS = ("30", "90", "365", "0")
DEFAULT_EXPIRY_DAYS = "365"


def expiry_preset_us(days: object) -> int:
    """The expiry (µs since the epoch) for a web-form preset; 0 for "never". Raises BadRequest
    for a value that is not one of the presets."""
    chosen = str(days) if days not in (None, "") else DEFAULT_EXPIRY_DAYS
    if chosen not in EXPIRY_PRESET_DAYS:
        raise BadRequest("Choose one of the offered expiry times.")
    return (int(time.time()) + int(chosen) * 86_400) * 1_000_000 if chosen != "0" else 0


def _flag(body: dict, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise BadRequest(f"The field '{name}' must be true or false.")
    return value


def caveats_from(body: dict) -> tokens_pb2.Caveats:
    """The proto caveats of a token request body (shape only; the tokens service validates)."""
    caveats = tokens_pb2.Caveats(
        projects=optional_strings(body, "projects"),
        actions=optional_strings(body, "actions"),
        allowed_cidrs=optional_strings(body, "allowed_cidrs"),
        newer_only=_flag(body, "newer_only"),
        single_use=_flag(body, "single_use"),
        staging_only=_flag(body, "staging_only"),
    )
    for name in ("project_pattern", "version"):
        if body.get(name) is not None:
            setattr(caveats, name, require_string(body, name, 200))
    if body.get("expires_at") is not None:
        caveats.expires_at_us = parse_rfc3339(body["expires_at"], "expires_at")
    if body.get("not_before") is not None:
        caveats.not_before_us = parse_rfc3339(body["not_before"], "not_before")
    return caveats


def caveats_json(caveats: tokens_pb2.Caveats) -> dict:
    """The caveats as the JSON API shows them (only those set)."""
    shown = {
        "projects": list(caveats.projects),
        "project_pattern": caveats.project_pattern,
        "actions": list(caveats.actions),
        "expires_at": format_rfc3339(caveats.expires_at_us),
        "not_before": format_rfc3339(caveats.not_before_us),
        "allowed_cidrs": list(caveats.allowed_cidrs),
        "version": caveats.version,
        "newer_only": caveats.newer_only,
        "single_use": caveats.single_use,
        "staging_only": caveats.staging_only,
    }
    return {key: value for key, value in shown.items() if value}


def token_json(info: tokens_pb2.TokenInfo) -> dict:
    """A token's public description (never its secret)."""
    return {
        "id": info.token_id,
        "name": info.name,
        "user": info.username,
        "caveats": caveats_json(info.caveats),
        "created": format_rfc3339(info.created_at_us),
        "expires_at": format_rfc3339(info.expires_at_us),
        "last_used": {"time": format_rfc3339(info.last_used_at_us), "ip_address": info.last_used_ip}
        if info.last_used_at_us
        else None,
        "revoked": info.revoked,
    }


@routes.post("/api/v1/tokens")
async def create(request: web.Request) -> web.Response:
    """Issues a token for the logged-in user; the secret is in this answer only. A login older
    than the fresh-login window is refused first (second_factor.check_fresh_login)."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].tokens.IssueToken(
        tokens_pb2.IssueTokenRequest(
            owner=caller.principal,
            name=require_string(body, "name", 100),
            caveats=caveats_from(body),
            context=request_context(request),
        ),
        timeout=10,
    )
    return web.json_response({**token_json(answer.token), "token": answer.secret}, status=201)


@routes.get("/api/v1/tokens")
async def list_tokens(request: web.Request) -> web.Response:
    """The caller's tokens."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].tokens.ListTokens(
        tokens_pb2.ListTokensRequest(owner=caller.principal), timeout=10
    )
    return web.json_response({"tokens": [token_json(info) for info in answer.tokens]})


@routes.delete("/api/v1/tokens/{token_id}")
async def revoke(request: web.Request) -> web.Response:
    """Revokes one of the caller's tokens."""
    caller = await session_caller(request)
    await request.app[CLIENTS].tokens.RevokeToken(
        tokens_pb2.RevokeTokenRequest(
            owner=caller.principal, token_id=request.match_info["token_id"], context=request_context(request)
        ),
        timeout=10,
    )
    return web.json_response({"revoked": True})


@routes.post("/api/v1/tokens/{token_id}/rotate")
async def rotate(request: web.Request) -> web.Response:
    """Replaces one of the caller's tokens by a new secret with the same caveats (shown once);
    the old token is revoked. Needs a fresh login, as `create` does."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].tokens.RotateToken(
        tokens_pb2.RotateTokenRequest(
            owner=caller.principal, token_id=request.match_info["token_id"], context=request_context(request)
        ),
        timeout=10,
    )
    body = {**token_json(answer.token), "token": answer.secret, "replaces": answer.replaced_token_id}
    return web.json_response(body, status=201)


# What introspection tells about a token besides validity (null when withheld).
INTROSPECTED = ("id", "user", "caveats", "expires_at", "last_used")


@routes.post("/api/v1/tokens/introspect")
async def introspect(request: web.Request) -> web.Response:
    """Whether a presented token is valid, and what it may do; needs no session."""
    body = await read_json(request)
    token = require_string(body, "token", 16384)
    if not is_readable_token(token):  # e.g. a lone surrogate: no token, and no protobuf string either
        return web.json_response({"valid": False, "reason": UNREADABLE_TOKEN, **dict.fromkeys(INTROSPECTED)})
    answer = await request.app[CLIENTS].tokens.VerifyToken(
        tokens_pb2.VerifyTokenRequest(
            token=token,
            context=request_context(request),
            # Looking at a token must not consume a single-use one or update its last use.
            inspect_only=True,
        ),
        timeout=10,
    )
    # A refused token's details come only when the tokens service proved its signature genuine.
    info = token_json(answer.token) if answer.token.token_id else {}
    return web.json_response(
        {"valid": answer.valid, "reason": answer.reason or None, **{key: info.get(key) for key in INTROSPECTED}}
    )
