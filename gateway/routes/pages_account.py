"""Pages for registration, e-mail verification, addresses, password change and reset; they only translate forms
into identity calls and identity's refusals into errors next to the field they concern."""

from __future__ import annotations

import grpc
from aiohttp import web

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gatehouse.identity.v1 import identity_pb2
from gateway.auth import check_login_origin, clear_session_cookie, request_context, session_caller
from gateway.email_verification import VERIFY_PAGE
from gateway.errors import RETRY_AFTER_KEY, GatewayError
from gateway.keys import CLIENTS
from gateway.pages import render
from gateway.routes.api_account import RESET_ANSWER, register_user, request_reset
from gateway.routes.pages import account_page

routes = web.RouteTableDef()

# (name, label, type, autocomplete, maxlength, hint) of the registration form's fields.
REGISTER_FIELDS = (
    ("username", "Username", "text", "username", 50,
     "Letters, numbers, '.', '_' or '-'; starts and ends with a letter or number; at most 50."),
    ("email", "E-mail address", "email", "email", 254, "We mail a link to confirm it."),
    ("password", "Password", "password", "new-password", 4096,
     "At least 8 characters and hard to guess (not your username, not a common password)."),
)
# Which form field an identity refusal concerns (its `gatehouse-error-code`).
FIELD_OF_ERROR = {
    "invalid_username": "username", "username_prohibited": "username", "username_taken": "username",
    "invalid_email": "email", "email_taken": "email",
    "unacceptable_password": "password", "wrong_password": "current_password",
    "too_many_emails": "email",
}
REFUSALS = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.RESOURCE_EXHAUSTED)


def _refusal(error: grpc.aio.AioRpcError) -> tuple[str, str]:
    """(field, sentence) of a service refusal; re-raises anything else for the error middleware."""
    if error.code() not in REFUSALS:
        raise error
    code = dict(error.trailing_metadata() or ()).get(ERROR_CODE_KEY, "")
    return FIELD_OF_ERROR.get(code, "form"), error.details()


def _register_page(request: web.Request, status: int = 200, values=None, errors=None) -> web.Response:
    return render(request, "register.html", status=status, fields=REGISTER_FIELDS,
                  values=values or {}, errors=errors or {})


@routes.get("/register")
async def register_form(request: web.Request) -> web.Response:
    return _register_page(request)


@routes.post("/register")
async def register(request: web.Request) -> web.Response:
    """Opens an account from the form; on a refusal, the form again with the reason by its field."""
    check_login_origin(request)
    form = await request.post()
    values = {name: str(form.get(name, ""))[:maxlength] for name, _, _, _, maxlength, _ in REGISTER_FIELDS}
    if form.get("homepage"):  # the hidden trap field: only a bot fills it in
        return _register_page(request, 400, {}, {"form": "The form could not be accepted; try again."})
    try:
        user = await register_user(request, values["username"], values["email"], values["password"])
    except grpc.aio.AioRpcError as error:
        field, sentence = _refusal(error)
        values.pop("password")
        return _register_page(request, 400, values, {field: sentence})
    return render(request, "verify_email.html", status=201, email=user.email, registered=True)


async def _verification_caller(request: web.Request):
    """The logged-in caller, or None: a link works from any browser, whatever its session's state."""
    try:
        return await session_caller(request)
    except (GatewayError, grpc.aio.AioRpcError):
        return None


@routes.get(VERIFY_PAGE)
async def verify_email(request: web.Request) -> web.Response:
    """With `?token=`: confirms the address of a mailed link. Without: the page asking for it."""
    caller = await _verification_caller(request)
    frame = {"user": caller.principal.username, "csrf_token": caller.session.csrf_token} if caller else {}
    token = request.query.get("token", "")
    if token:
        try:
            answer = await request.app[CLIENTS].identity.VerifyEmail(
                identity_pb2.VerifyEmailRequest(token=token[:200], context=request_context(request)), timeout=10
            )
        except grpc.aio.AioRpcError as error:
            return render(request, "verify_email.html", status=400, error=_refusal(error)[1], **frame)
        return render(request, "verify_email.html", verified=True, email=answer.email or answer.user.email, **frame)
    if caller is None:
        raise web.HTTPSeeOther("/account/login")
    if caller.session.user.email_verified:
        raise web.HTTPSeeOther("/account/")
    return render(request, "verify_email.html", email=caller.session.user.email, **frame)


@routes.post(VERIFY_PAGE + "/resend")
async def resend_verification(request: web.Request) -> web.Response:
    """Mails a new link; refused (429 with Retry-After) after 3 within an hour."""
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    caller = await session_caller(request)
    frame = {"user": caller.principal.username, "csrf_token": caller.session.csrf_token,
             "email": caller.session.user.email}
    try:
        answer = await request.app[CLIENTS].identity.ResendEmailVerification(
            identity_pb2.ResendEmailVerificationRequest(session_token=caller.session_token,
                                                        context=request_context(request)),
            timeout=15,
        )
    except grpc.aio.AioRpcError as error:
        response = render(request, "verify_email.html", status=_status_of(error), error=_refusal(error)[1], **frame)
        retry_after = dict(error.trailing_metadata() or ()).get(RETRY_AFTER_KEY)
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response
    return render(request, "verify_email.html", sent_to=answer.email, **frame)


def _status_of(error: grpc.aio.AioRpcError) -> int:
    return 429 if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else 400


@routes.post("/account/password")
async def change_password(request: web.Request) -> web.Response:
    """Changes the password from the account page's form; refusals appear by their field."""
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    caller = await session_caller(request)
    try:
        answer = await request.app[CLIENTS].identity.ChangePassword(
            identity_pb2.ChangePasswordRequest(
                session_token=caller.session_token,
                current_password=str(form.get("current_password", ""))[:4096],
                new_password=str(form.get("new_password", ""))[:4096],
                context=request_context(request),
            ),
            timeout=15,
        )
    except grpc.aio.AioRpcError as error:
        field, sentence = _refusal(error)
        field = "new_password" if field in ("password", "form") else field
        return await account_page(request, caller, status=400, password_errors={field: sentence})
    return await account_page(request, caller, password_changed=True, sessions_ended=answer.sessions_ended)


@routes.get("/account/forgot-password")
async def forgot_password_form(request: web.Request) -> web.Response:
    return render(request, "forgot_password.html", account="")


@routes.post("/account/forgot-password")
async def forgot_password(request: web.Request) -> web.Response:
    """Mails a reset link; the answer is the same whether or not the account exists."""
    check_login_origin(request)
    form = await request.post()
    account = str(form.get("account", "")).strip()[:254]
    if not account:
        return render(request, "forgot_password.html", status=400, account="",
                      error="Give your username or e-mail address.")
    username, email = ("", account) if "@" in account else (account, "")
    try:
        await request_reset(request, username, email)
    except grpc.aio.AioRpcError as error:
        response = render(request, "forgot_password.html", status=_status_of(error), account=account,
                          error=_refusal(error)[1])
        retry_after = dict(error.trailing_metadata() or ()).get(RETRY_AFTER_KEY)
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response
    return render(request, "forgot_password.html", status=202, account="", sent=RESET_ANSWER)


@routes.get("/account/reset-password")
async def reset_password_form(request: web.Request) -> web.Response:
    token = request.query.get("token", "")[:200]
    errors = {} if token else {"form": "This page needs the link mailed to you."}
    return render(request, "reset_password.html", status=200 if token else 400, token=token, errors=errors)


@routes.post("/account/reset-password")
async def reset_password(request: web.Request) -> web.Response:
    """Sets the new password with the mailed link's token; refusals appear by their field."""
    check_login_origin(request)
    form = await request.post()
    token = str(form.get("token", ""))[:200]
    try:
        await request.app[CLIENTS].identity.ResetPassword(
            identity_pb2.ResetPasswordRequest(token=token, new_password=str(form.get("new_password", ""))[:4096],
                                              context=request_context(request)),
            timeout=15,
        )
    except grpc.aio.AioRpcError as error:
        field, sentence = _refusal(error)
        field = "new_password" if field == "password" else "form"
        return render(request, "reset_password.html", status=400, errors={field: sentence},
                      token=token if field == "new_password" else "")
    response = render(request, "reset_password.html", done=True)
    clear_session_cookie(response)  # whatever session this browser had has ended
    return response


async def _email_change(request: web.Request, call, notice) -> web.Response:
    """Runs one address change from an account page form: `call(identity, caller, email)`; the
    account page again with `notice(email)` or the refusal."""
    form = await request.post()
    request["form_csrf"] = str(form.get("csrf_token", ""))
    caller = await session_caller(request)
    email = str(form.get("email", "")).strip()[:254]
    try:
        await call(request.app[CLIENTS].identity, caller, email)
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return await account_page(request, caller, status=404, email_errors={"form": error.details()})
        field, sentence = _refusal(error)
        return await account_page(request, caller, status=_status_of(error),
                                  email_errors={"email" if field == "email" else "form": sentence})
    return await account_page(request, caller, email_notice=notice(email))


@routes.post("/account/emails")
async def add_email(request: web.Request) -> web.Response:
    async def call(identity, caller, email):
        await identity.AddEmail(identity_pb2.AddEmailRequest(
            session_token=caller.session_token, email=email, context=request_context(request)), timeout=15)

    return await _email_change(request, call, lambda email: f"A link to confirm {email} was mailed to it.")


@routes.post("/account/emails/remove")
async def remove_email(request: web.Request) -> web.Response:
    async def call(identity, caller, email):
        await identity.RemoveEmail(identity_pb2.RemoveEmailRequest(
            session_token=caller.session_token, email=email, context=request_context(request)), timeout=10)

    return await _email_change(request, call, lambda email: f"{email} was removed from your account.")


@routes.post("/account/emails/primary")
async def set_primary_email(request: web.Request) -> web.Response:
    async def call(identity, caller, email):
        await identity.SetPrimaryEmail(identity_pb2.SetPrimaryEmailRequest(
            session_token=caller.session_token, email=email, context=request_context(request)), timeout=10)

    return await _email_change(
        request, call, lambda email: f"{email} is now your primary address; your previous one was told by mail.")
