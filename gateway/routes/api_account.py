"""/api/v1/users (registration), e-mail verification resend, password change and reset."""

from __future__ import annotations

from aiohttp import web

from gatehouse.common.v1 import common_pb2
from gatehouse.identity.v1 import identity_pb2
from gateway.auth import check_login_origin, request_context, session_caller
from gateway.errors import BadRequest
from gateway.json_body import read_json, require_string
from gateway.keys import CLIENTS

routes = web.RouteTableDef()


def user_json(user: identity_pb2.User) -> dict:
    return {"username": user.username, "email": user.email, "email_verified": user.email_verified}


async def register_user(request: web.Request, username: str, email: str, password: str) -> identity_pb2.User:
    """Asks identity to open an account (it mails the verification link). Raises AioRpcError."""
    answer = await request.app[CLIENTS].identity.CreateUser(
        identity_pb2.CreateUserRequest(
            username=username, email=email, password=password, email_verified=False,
            context=request_context(request), actor=common_pb2.Principal(),
        ),
        timeout=15,
    )
    return answer.user


@routes.post("/api/v1/users")
async def register(request: web.Request) -> web.Response:
    """Registration: 201 with the new user; a verification link is mailed to the address."""
    check_login_origin(request)
    body = await read_json(request)
    user = await register_user(
        request, require_string(body, "username", 100), require_string(body, "email", 254),
        require_string(body, "password", 4096),
    )
    return web.json_response(user_json(user), status=201)


@routes.post("/api/v1/account/email/verification")
async def resend_verification(request: web.Request) -> web.Response:
    """Mails a new verification link (3 per hour; 429 with Retry-After beyond)."""
    caller = await session_caller(request)
    answer = await request.app[CLIENTS].identity.ResendEmailVerification(
        identity_pb2.ResendEmailVerificationRequest(
            session_token=caller.session_token, context=request_context(request)
        ),
        timeout=15,
    )
    return web.json_response({"sent_to": answer.email}, status=202)


@routes.post("/api/v1/account/password")
async def change_password(request: web.Request) -> web.Response:
    """Changes the password (current one required) and ends every other session."""
    caller = await session_caller(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].identity.ChangePassword(
        identity_pb2.ChangePasswordRequest(
            session_token=caller.session_token,
            current_password=require_string(body, "current_password", 4096),
            new_password=require_string(body, "new_password", 4096),
            context=request_context(request),
        ),
        timeout=15,
    )
    return web.json_response({"changed": True, "sessions_ended": answer.sessions_ended})


RESET_ANSWER = "If an account matches, a password reset link was mailed to its primary address."


async def request_reset(request: web.Request, username: str, email: str) -> None:
    """Asks identity to mail a reset link (it answers alike for unknown accounts). Raises AioRpcError."""
    await request.app[CLIENTS].identity.RequestPasswordReset(
        identity_pb2.RequestPasswordResetRequest(username=username, email=email, context=request_context(request)),
        timeout=15,
    )


@routes.post("/api/v1/account/password-reset")
async def password_reset(request: web.Request) -> web.Response:
    """Mails a reset link for {"username"} or {"email"}: always 202, whether or not the account
    exists (429 with Retry-After after 20 requests an hour from one address)."""
    check_login_origin(request)
    body = await read_json(request)
    if not isinstance(body.get("username"), str) and not isinstance(body.get("email"), str):
        raise BadRequest("Give the account's 'username' or 'email'.")
    username = require_string(body, "username", 100) if "username" in body else ""
    email = "" if username else require_string(body, "email", 254)
    await request_reset(request, username, email)
    return web.json_response({"detail": RESET_ANSWER}, status=202)


@routes.post("/api/v1/account/password-reset/confirm")
async def confirm_password_reset(request: web.Request) -> web.Response:
    """Sets a new password with the token of a mailed link; every session of the user ends."""
    check_login_origin(request)
    body = await read_json(request)
    answer = await request.app[CLIENTS].identity.ResetPassword(
        identity_pb2.ResetPasswordRequest(
            token=require_string(body, "token", 200), new_password=require_string(body, "new_password", 4096),
            context=request_context(request),
        ),
        timeout=15,
    )
    return web.json_response({"reset": True, "sessions_ended": answer.sessions_ended})
