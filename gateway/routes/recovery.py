"""Account recovery in the web UI and the JSON API: the mailed identity and cancel links, and
cancelling from the account page (the procedure itself is identity's, see its README)."""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gateway.auth import Caller, request_context, session_caller
from gateway.keys import CLIENTS
from gateway.pages import render
from gateway.timestamps import format_rfc3339

routes = web.RouteTableDef()
API = "/api/v1/account/recovery"
CONFIRM_PAGE = "/account/recovery/confirm"
CANCEL_PAGE = "/account/recovery/cancel"
LINK_REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.FAILED_PRECONDITION: 400}


def recovery_json(recovery: identity_pb2.Recovery) -> dict | None:
    """A recovery in progress as JSON (None when there is none)."""
    if not recovery.state:
        return None
    return {"id": recovery.recovery_id, "state": recovery.state, "started_at": format_rfc3339(recovery.started_at_us),
            "due_at": format_rfc3339(recovery.due_at_us)}


async def _recovery_of(request: web.Request, caller: Caller) -> identity_pb2.Recovery:
    answer = await request.app[CLIENTS].identity.GetRecovery(
        identity_pb2.GetRecoveryRequest(session_token=caller.session_token), timeout=10
    )
    return answer.recovery


async def recovery_shown(request: web.Request, caller: Caller) -> dict | None:
    """What the account page shows of the caller's recovery in progress (None when none)."""
    shown = recovery_json(await _recovery_of(request, caller))
    if shown:
        shown["due"] = shown["due_at"][:19].replace("T", " ") + " UTC" if shown["due_at"] else ""
    return shown


async def _link_page(request: web.Request, call, done: str) -> web.Response:
    """Runs a link's call and renders its outcome; a bad link is a 400 with the service's sentence."""
    try:
        answer = await call(request.query.get("token", "")[:200])
    except grpc.aio.AioRpcError as error:
        if error.code() not in LINK_REFUSALS:
            raise
        return render(request, "recovery.html", status=LINK_REFUSALS[error.code()], error=error.details())
    return render(request, "recovery.html", done=done, recovery=recovery_json(answer.recovery))


@routes.get(CONFIRM_PAGE)
async def confirm(request: web.Request) -> web.Response:
    """The identity link: starts the waiting period."""
    identity = request.app[CLIENTS].identity
    call = lambda token: identity.ConfirmRecovery(  # noqa: E731
        identity_pb2.ConfirmRecoveryRequest(token=token, context=request_context(request)), timeout=10)
    return await _link_page(request, call, "confirmed")


@routes.get(CANCEL_PAGE)
async def cancel_by_link(request: web.Request) -> web.Response:
    """A mailed cancel link: cancels the recovery (cancelling is the safe direction, so the link
    acts at once, like the e-mail verification link)."""
    identity = request.app[CLIENTS].identity
    call = lambda token: identity.CancelRecovery(  # noqa: E731
        identity_pb2.CancelRecoveryRequest(token=token, context=request_context(request)), timeout=10)
    return await _link_page(request, call, "cancelled")


async def _cancel_for(request: web.Request, caller: Caller) -> identity_pb2.Recovery:
    answer = await request.app[CLIENTS].identity.CancelRecovery(
        identity_pb2.CancelRecoveryRequest(session_token=caller.session_token, context=request_context(request)),
        timeout=10,
    )
    return answer.recovery


@routes.post(CANCEL_PAGE)
async def cancel_from_account(request: web.Request) -> web.Response:
    """The account page's button: cancels the logged-in user's recovery."""
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    await _cancel_for(request, await session_caller(request))
    raise web.HTTPSeeOther("/account/")


@routes.get(API)
async def get_recovery(request: web.Request) -> web.Response:
    """The caller's account recovery in progress: `{"recovery": {...} or null}`."""
    caller = await session_caller(request)
    return web.json_response({"recovery": recovery_json(await _recovery_of(request, caller))})


@routes.delete(API)
async def cancel_recovery(request: web.Request) -> web.Response:
    """Cancels the caller's account recovery in progress (400 `no_recovery_in_progress` when none)."""
    caller = await session_caller(request)
    recovery = await _cancel_for(request, caller)
    return web.json_response({"cancelled": True, "recovery": {"id": recovery.recovery_id, "state": recovery.state}})
