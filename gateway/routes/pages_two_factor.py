"""The web UI for two-factor authentication: the account's 2FA page and the second login step."""

from __future__ import annotations

from pathlib import Path

import grpc
from aiohttp import web

from gatehouse.mfa.v1 import mfa_pb2
from gateway.auth import request_context, session_caller
from gateway.errors import NotLoggedIn
from gateway.keys import CLIENTS
from gateway.second_factor import SecondFactorPending
from gateway.pages import render
from gateway.routes.api_security_keys import key_json
from gateway.routes.api_two_factor import complete_second_step

routes = web.RouteTableDef()
routes.static("/static", Path(__file__).parent.parent / "static")
# Refusals the pages show next to the form instead of on an error page.
SHOWN_ON_FORM = {
    grpc.StatusCode.UNAUTHENTICATED: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.NOT_FOUND: 404,
}
METHOD_NAMES = {"totp": "Authenticator app (TOTP)", "webauthn": "Security key", "recovery_code": "Recovery codes"}


async def _caller_or_login(request: web.Request):
    try:
        return await session_caller(request)
    except SecondFactorPending as error:
        raise web.HTTPSeeOther("/account/two-factor/verify") from error
    except NotLoggedIn as error:
        raise web.HTTPSeeOther("/account/login") from error


async def _form(request: web.Request):
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    return await session_caller(request), form


def _frame(caller) -> dict:
    return {"user": caller.principal.username, "csrf_token": caller.session.csrf_token}


async def _two_factor_page(request: web.Request, caller, status: int = 200, **shown) -> web.Response:
    answer = await request.app[CLIENTS].mfa.ListMethods(
        mfa_pb2.ListMethodsRequest(user_id=caller.principal.user_id), timeout=10
    )
    methods = list(answer.methods)
    keys = await request.app[CLIENTS].mfa.ListSecurityKeys(
        mfa_pb2.ListSecurityKeysRequest(user=caller.principal), timeout=10
    )
    return render(
        request, "two_factor.html", status=status, methods=[METHOD_NAMES.get(m, m) for m in methods],
        has_totp="totp" in methods, keys=[key_json(key) for key in keys.keys], **shown, **_frame(caller),
    )


def _refusal(error: grpc.aio.AioRpcError) -> tuple[int, str]:
    if error.code() not in SHOWN_ON_FORM:
        raise error
    return SHOWN_ON_FORM[error.code()], error.details() or "The request was refused."


# Confirmations for `?done=` after the page's script (not a form) made a change: the page is
# loaded afresh with GET so that reloading it does not re-send the previous form.
DONE_MESSAGES = {"security-key": "Security key added. You can use it at your next login."}


@routes.get("/account/two-factor")
async def two_factor(request: web.Request) -> web.Response:
    """The account's 2FA page: recovery codes, authenticator app, security keys."""
    message = DONE_MESSAGES.get(request.query.get("done", ""))
    shown = {"message": message} if message else {}
    return await _two_factor_page(request, await _caller_or_login(request), **shown)


async def _mfa_action(request: web.Request, call, on_refusal: dict | None = None) -> web.Response:
    """Runs `call(caller, form)` (returning values to show) and renders the page with them, or
    with the refusal (and `on_refusal`, such as the form to try again) next to the form."""
    caller, form = await _form(request)
    try:
        shown = await call(caller, form)
    except grpc.aio.AioRpcError as error:
        status, message = _refusal(error)
        return await _two_factor_page(request, caller, status=status, error=message, **(on_refusal or {}))
    return await _two_factor_page(request, caller, **shown)


@routes.post("/account/two-factor/recovery-codes")
async def generate_recovery_codes(request: web.Request) -> web.Response:
    """Generates codes and shows them once."""
    async def call(caller, form):
        answer = await request.app[CLIENTS].mfa.GenerateRecoveryCodes(
            mfa_pb2.GenerateRecoveryCodesRequest(user=caller.principal, context=request_context(request)), timeout=30
        )
        return {"codes": list(answer.codes)}

    return await _mfa_action(request, call)


@routes.post("/account/two-factor/recovery-codes/confirm")
async def confirm_recovery_codes(request: web.Request) -> web.Response:
    """Burns one code to confirm the set was saved."""
    async def call(caller, form):
        await request.app[CLIENTS].mfa.ConfirmRecoveryCodes(
            mfa_pb2.ConfirmRecoveryCodesRequest(
                user=caller.principal, code=str(form.get("code", ""))[:64], context=request_context(request)
            ),
            timeout=30,
        )
        return {"message": "Recovery codes confirmed. You can now add an authenticator app or a security key."}

    # A mistyped code keeps the confirmation form: the codes themselves are never shown again.
    return await _mfa_action(request, call, on_refusal={"confirming": True})


@routes.post("/account/two-factor/totp")
async def begin_totp(request: web.Request) -> web.Response:
    """Shows a new secret with its QR code."""
    async def call(caller, form):
        answer = await request.app[CLIENTS].mfa.BeginTotpEnrolment(
            mfa_pb2.BeginTotpEnrolmentRequest(user=caller.principal, context=request_context(request)), timeout=10
        )
        svg = answer.qr_svg[answer.qr_svg.find("<svg"):]  # inline markup, without the XML declaration
        return {"totp": {"secret": answer.secret, "uri": answer.provisioning_uri, "qr_svg": svg}}

    return await _mfa_action(request, call)


@routes.post("/account/two-factor/totp/confirm")
async def confirm_totp(request: web.Request) -> web.Response:
    """Adds the authenticator app once its code checks out."""
    async def call(caller, form):
        await request.app[CLIENTS].mfa.ConfirmTotpEnrolment(
            mfa_pb2.ConfirmTotpEnrolmentRequest(
                user=caller.principal, code=str(form.get("code", ""))[:64], context=request_context(request)
            ),
            timeout=10,
        )
        return {"message": "Authenticator app added. You will be asked for a code when you log in."}

    # A wrong code keeps the code form: the app already holds the pending secret (not shown again).
    return await _mfa_action(request, call, on_refusal={"totp_retry": True})


@routes.post("/account/two-factor/totp/remove")
async def remove_totp(request: web.Request) -> web.Response:
    """Removes the authenticator app."""
    async def call(caller, form):
        await request.app[CLIENTS].mfa.RemoveTotp(
            mfa_pb2.RemoveTotpRequest(user=caller.principal, context=request_context(request)), timeout=10
        )
        return {"message": "Authenticator app removed."}

    return await _mfa_action(request, call)


@routes.post("/account/two-factor/keys/{key_id}/remove")
async def remove_key(request: web.Request) -> web.Response:
    """Removes a security key."""
    async def call(caller, form):
        await request.app[CLIENTS].mfa.RemoveSecurityKey(
            mfa_pb2.RemoveSecurityKeyRequest(user=caller.principal, key_id=request.match_info["key_id"],
                                             context=request_context(request)),
            timeout=10,
        )
        return {"message": "Security key removed."}

    return await _mfa_action(request, call)


@routes.post("/account/two-factor/keys/{key_id}/passkey")
async def set_passkey(request: web.Request) -> web.Response:
    """Turns passkey sign-in on or off for a key."""
    async def call(caller, form):
        enabled = form.get("enabled") == "1"
        await request.app[CLIENTS].mfa.SetPasskeySignIn(
            mfa_pb2.SetPasskeySignInRequest(user=caller.principal, key_id=request.match_info["key_id"],
                                            enabled=enabled, context=request_context(request)),
            timeout=10,
        )
        return {"message": f"Passkey sign-in turned {'on' if enabled else 'off'}."}

    return await _mfa_action(request, call)


async def _verify_page(request: web.Request, caller, status: int = 200, **shown) -> web.Response:
    """The second-step form offering only the methods the user has; for a login the new-device
    check holds, the page saying to open the mailed link."""
    if caller.session.new_device_confirmation_pending:
        return render(request, "new_device_held.html", status=status, **shown, **_frame(caller))
    answer = await request.app[CLIENTS].mfa.ListMethods(
        mfa_pb2.ListMethodsRequest(user_id=caller.principal.user_id), timeout=10
    )
    methods = list(answer.methods)
    return render(request, "two_factor_verify.html", status=status, methods=methods, **shown, **_frame(caller))


@routes.get("/account/two-factor/verify")
async def verify_form(request: web.Request) -> web.Response:
    """The second login step's form."""
    return await _verify_page(request, await _caller_or_login(request))


@routes.post("/account/two-factor/verify")
async def verify(request: web.Request) -> web.Response:
    """Checks the code from the form; on success on to the account page."""
    caller, form = await _form(request)
    method = "recovery_code" if form.get("method") == "recovery_code" else "totp"
    try:
        answer = await complete_second_step(request, caller, method, str(form.get("code", ""))[:64])
    except grpc.aio.AioRpcError as error:
        status, message = _refusal(error)
        response = await _verify_page(request, caller, status=status, error=message, method=method)
        retry_after = dict(error.trailing_metadata() or ()).get("retry-after")
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response
    raise web.HTTPSeeOther("/account/two-factor/verify" if answer["new_device_confirmation_required"] else "/account/")
