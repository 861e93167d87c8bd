"""The web UI: home, log in/out, account with API tokens, security history."""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.audit.v1 import audit_pb2
from gatehouse.identity.v1 import identity_pb2
from gatehouse.tokens.v1 import tokens_pb2
from gateway.auth import (
    check_login_origin,
    clear_session_cookie,
    request_context,
    session_caller,
    set_session_cookie,
)
from gateway.errors import NotLoggedIn
from gateway.keys import CLIENTS
from gateway.pages import render
from gateway.routes.api_events import event_json
from gateway.routes.api_tokens import token_json

routes = web.RouteTableDef()


async def _optional_caller(request: web.Request):
    try:
        return await session_caller(request)
    except (NotLoggedIn, grpc.aio.AioRpcError):
        return None


async def _form_caller(request: web.Request):
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    return await session_caller(request), form


def _frame(caller) -> dict:
    return {"user": caller.principal.username, "csrf_token": caller.session.csrf_token} if caller else {}


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return render(request, "index.html", **_frame(await _optional_caller(request)))


@routes.get("/account/login")
async def login_form(request: web.Request) -> web.Response:
    return render(request, "login.html", username="")


@routes.post("/account/login")
async def login(request: web.Request) -> web.Response:
    """Password login from the form; on failure the form again with the reason."""
    check_login_origin(request)
    form = await request.post()
    username = str(form.get("username", ""))[:100]
    try:
        answer = await request.app[CLIENTS].identity.Login(
            identity_pb2.LoginRequest(
                username=username, password=str(form.get("password", ""))[:4096], context=request_context(request)
            ),
            timeout=15,
        )
    except grpc.aio.AioRpcError as error:
        if error.code() not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            raise
        return render(request, "login.html", status=401, username=username, error=error.details())
    response = web.HTTPSeeOther("/account/")
    set_session_cookie(response, request, answer.session_token)
    raise response


@routes.post("/account/logout")
async def logout(request: web.Request) -> web.Response:
    caller, _ = await _form_caller(request)
    await request.app[CLIENTS].identity.Logout(
        identity_pb2.LogoutRequest(session_token=caller.session_token, context=request_context(request)), timeout=10
    )
    response = web.HTTPSeeOther("/")
    clear_session_cookie(response)
    raise response


async def _account_page(request: web.Request, caller, new_token=None) -> web.Response:
    answer = await request.app[CLIENTS].tokens.ListTokens(tokens_pb2.ListTokensRequest(owner=caller.principal), timeout=10)
    tokens = []
    for info in answer.tokens:
        shown = token_json(info)
        shown["scope"] = ", ".join(info.caveats.projects) or info.caveats.project_pattern or "all your projects"
        shown["last_used"] = (shown["last_used"] or {}).get("time")
        tokens.append(shown)
    return render(request, "account.html", tokens=tokens, new_token=new_token, **_frame(caller))


@routes.get("/account/")
async def account(request: web.Request) -> web.Response:
    caller = await _optional_caller(request)
    if caller is None:
        raise web.HTTPSeeOther("/account/login")
    return await _account_page(request, caller)


@routes.post("/account/tokens")
async def create_token(request: web.Request) -> web.Response:
    """Creates a token from the form and shows its secret once."""
    caller, form = await _form_caller(request)
    projects = [name.strip() for name in str(form.get("projects", "")).split(",") if name.strip()]
    answer = await request.app[CLIENTS].tokens.IssueToken(
        tokens_pb2.IssueTokenRequest(
            owner=caller.principal,
            name=str(form.get("name", ""))[:100],
            caveats=tokens_pb2.Caveats(projects=projects),
            context=request_context(request),
        ),
        timeout=10,
    )
    return await _account_page(request, caller, {"name": answer.token.name, "secret": answer.secret})


@routes.post("/account/tokens/{token_id}/revoke")
async def revoke_token(request: web.Request) -> web.Response:
    caller, _ = await _form_caller(request)
    await request.app[CLIENTS].tokens.RevokeToken(
        tokens_pb2.RevokeTokenRequest(
            owner=caller.principal, token_id=request.match_info["token_id"], context=request_context(request)
        ),
        timeout=10,
    )
    raise web.HTTPSeeOther("/account/")


@routes.get("/account/security-history")
async def history(request: web.Request) -> web.Response:
    """The logged-in user's security log as a table."""
    caller = await _optional_caller(request)
    if caller is None:
        raise web.HTTPSeeOther("/account/login")
    answer = await request.app[CLIENTS].audit.QueryEvents(
        audit_pb2.QueryEventsRequest(
            caller=caller.principal,
            filter=audit_pb2.EventFilter(user=caller.principal.username),
            cursor=request.query.get("cursor", ""),
            limit=50,
        ),
        timeout=10,
    )
    events = [event_json(event) for event in answer.events]
    return render(request, "history.html", events=events, next=answer.next_cursor, **_frame(caller))
