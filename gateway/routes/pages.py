"""The web UI: home, log in/out, account with API tokens, security history."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

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
from gateway.keys import CLIENTS, SETTINGS
from gateway.pages import render
from gateway.second_factor import SecondFactorPending, has_strong_factor
from gateway.timestamps import format_rfc3339
from gateway.routes.api_tokens import token_json
from gateway.routes.recovery import recovery_shown
from gateway.token_forms import ACTIONS, caveats_from_form

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
    # A user with a second factor goes on to the second login step.
    response = web.HTTPSeeOther("/account/" if answer.session.second_factor_verified else "/account/two-factor/verify")
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


async def account_page(request: web.Request, caller, new_token=None, status: int = 200, **extra) -> web.Response:
    """The account page (tokens, addresses, password form) for `caller`; `extra` fills the template."""
    answer = await request.app[CLIENTS].tokens.ListTokens(tokens_pb2.ListTokensRequest(owner=caller.principal), timeout=10)
    tokens = []
    for info in answer.tokens:
        shown = token_json(info)
        shown["scope"] = ", ".join(info.caveats.projects) or info.caveats.project_pattern or "all your projects"
        used = shown["last_used"]
        shown["last_used"] = f"{used['time']} from {used['ip_address'] or 'an unknown address'}" if used else ""
        shown["limits"] = _limits(shown["caveats"])
        tokens.append(shown)
    extra.setdefault("password_errors", {})
    extra.setdefault("email_errors", {})
    emails = await request.app[CLIENTS].identity.ListEmails(
        identity_pb2.ListEmailsRequest(session_token=caller.session_token, context=request_context(request)), timeout=10
    )
    # A new user's first stop: say that tokens (and uploads) wait for a second factor.
    needs_2fa = request.app[SETTINGS].require_2fa and not await has_strong_factor(request, caller.principal.user_id)
    return render(request, "account.html", status=status, tokens=tokens, new_token=new_token, actions=ACTIONS,
                  emails=emails.emails, needs_2fa=needs_2fa, recovery=await recovery_shown(request, caller),
                  **extra, **_frame(caller))


def _limits(caveats: dict) -> str:
    """A token's caveats beyond its project scope and expiry, in words."""
    words = []
    if caveats.get("actions"):
        words.append("may " + ", ".join(caveats["actions"]))
    if caveats.get("allowed_cidrs"):
        words.append("from " + ", ".join(caveats["allowed_cidrs"]))
    if caveats.get("version"):
        words.append(f"version {caveats['version']} only")
    if caveats.get("not_before"):
        words.append(f"not before {caveats['not_before']}")
    words += [label for flag, label in (("newer_only", "newer versions only"), ("single_use", "single use"),
                                        ("staging_only", "staging only")) if caveats.get(flag)]
    return "; ".join(words)


@routes.get("/account/")
async def account(request: web.Request) -> web.Response:
    try:
        caller = await _optional_caller(request)
    except SecondFactorPending as error:  # e.g. the header's link, before the second login step
        raise web.HTTPSeeOther("/account/two-factor/verify") from error
    if caller is None:
        raise web.HTTPSeeOther("/account/login")
    return await account_page(request, caller)


@routes.post("/account/tokens")
async def create_token(request: web.Request) -> web.Response:
    """Creates a token from the form and shows its secret once."""
    caller, form = await _form_caller(request)
    answer = await request.app[CLIENTS].tokens.IssueToken(
        tokens_pb2.IssueTokenRequest(
            owner=caller.principal,
            name=str(form.get("name", ""))[:100],
            caveats=caveats_from_form(form),
            context=request_context(request),
        ),
        timeout=10,
    )
    return await account_page(request, caller, {"name": answer.token.name, "secret": answer.secret})


@routes.post("/account/tokens/{token_id}/rotate")
async def rotate_token(request: web.Request) -> web.Response:
    """Replaces a token by a new secret with the same caveats and shows the secret once."""
    caller, _ = await _form_caller(request)
    answer = await request.app[CLIENTS].tokens.RotateToken(
        tokens_pb2.RotateTokenRequest(
            owner=caller.principal, token_id=request.match_info["token_id"], context=request_context(request)
        ),
        timeout=10,
    )
    return await account_page(request, caller, {"name": answer.token.name, "secret": answer.secret})


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


HISTORY_DAYS = 90
DAY_US = 86_400 * 1_000_000
# The audit service's offline checker of an exported log (standard library only), served as is.
VERIFY_SCRIPT = Path(__file__).resolve().parents[2] / "services" / "audit" / "verify_export.py"
VERIFY_SCRIPT_URL = "/security/verify_export.py"


def _history_window(request: web.Request) -> tuple[audit_pb2.EventFilter, bool]:
    """The last 90 days by default; `?older=1` shows what came before them."""
    older = request.query.get("older") == "1"
    boundary = int(time.time() * 1_000_000) - HISTORY_DAYS * DAY_US
    return (audit_pb2.EventFilter(until_us=boundary) if older else audit_pb2.EventFilter(since_us=boundary)), older


def _history_row(event: audit_pb2.SecurityEvent) -> dict:
    return {
        "summary": event.summary or event.tag,
        "tag": event.tag,
        "time": format_rfc3339(event.time_us),
        "ip_address": event.ip_address or "-",
        "device": event.device or event.user_agent or "-",
        "user_agent": event.user_agent,
        "who": event.actor.user or "-",
        "token_id": event.actor.token_id,
        "chain_ok": event.chain_ok,
    }


async def _history_page(request: web.Request, caller, title: str, export: str, **subject) -> web.Response:
    window, older = _history_window(request)
    window.MergeFrom(audit_pb2.EventFilter(**subject))
    answer = await request.app[CLIENTS].audit.QueryEvents(
        audit_pb2.QueryEventsRequest(
            caller=caller.principal, filter=window, cursor=request.query.get("cursor", ""), limit=50
        ),
        timeout=10,
    )
    return render(
        request, "history.html", title=title, events=[_history_row(e) for e in answer.events],
        next=answer.next_cursor, older=older, days=HISTORY_DAYS, export=export,
        verify_script=VERIFY_SCRIPT_URL, **_frame(caller),
    )


@routes.get(VERIFY_SCRIPT_URL)
async def verify_script(request: web.Request) -> web.FileResponse:
    """The script that checks a downloaded log's hashes offline; public, like its source."""
    return web.FileResponse(
        VERIFY_SCRIPT,
        headers={
            "Content-Type": "text/x-python; charset=utf-8",
            "Content-Disposition": 'attachment; filename="verify_export.py"',
        },
    )


@routes.get("/account/security-history")
async def history(request: web.Request) -> web.Response:
    """The logged-in user's security log: 90 days, newest first, older pages reachable."""
    caller = await _optional_caller(request)
    if caller is None:
        raise web.HTTPSeeOther("/account/login")
    username = caller.principal.username
    export = f"/api/v1/users/{quote(username)}/events/export"
    return await _history_page(request, caller, "Security history", export, user=username)


@routes.get("/projects/{name}/security-history")
async def project_history(request: web.Request) -> web.Response:
    """A project's security log, for those allowed to read it (the audit service decides)."""
    caller = await _optional_caller(request)
    if caller is None:
        raise web.HTTPSeeOther("/account/login")
    name = request.match_info["name"]
    export = f"/api/v1/projects/{quote(name)}/events/export"
    return await _history_page(request, caller, f"Security history of {name}", export, project=name)
