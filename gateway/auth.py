"""Who is calling: a session cookie (resolved by identity) or an API token (verified by tokens).

The gateway decides nothing here: it passes what was presented to the owning service and
keeps the answer. It does enforce the transport rule of CSRF for cookie-bound requests.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from gatehouse.common.v1 import common_pb2
from gatehouse.observability import request_ids
from gatehouse.identity.v1 import identity_pb2
from gatehouse.tokens.v1 import tokens_pb2
from gateway import email_verification, second_factor
from gateway.errors import Forbidden, NotLoggedIn
from gateway.keys import CLIENTS, SETTINGS

SESSION_COOKIE = "gatehouse_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    """An authenticated caller and how they proved it."""

    principal: common_pb2.Principal
    session: identity_pb2.Session | None = None
    session_token: str = ""


def request_context(request: web.Request) -> common_pb2.RequestContext:
    """The client's address and agent, forwarded with every service call."""
    if "request_id" not in request:
        request["request_id"] = request_ids.accept_or_new(request.headers.get(request_ids.HTTP_HEADER))
    return common_pb2.RequestContext(
        ip_address=request.remote or "",
        user_agent=request.headers.get("User-Agent", "")[:512],
        request_id=request["request_id"],
    )


# What the tokens service answers for a token that is not one; the gateway says it itself for a
# token that cannot even be sent to the service (not valid UTF-8).
UNREADABLE_TOKEN = "Invalid API Token: the token is not a Gatehouse API token."


def is_readable_token(token: str) -> bool:
    """Whether `token` is valid UTF-8 text (a header decoded with surrogateescape, or JSON with a
    lone surrogate, is not: it cannot go into a protobuf string, and is no token anyway)."""
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def readable_token(token: str) -> str:
    """`token` when it is valid UTF-8. Raises Forbidden ("Invalid API Token: ...") otherwise."""
    if not is_readable_token(token):
        raise Forbidden(UNREADABLE_TOKEN)
    return token


def bearer_token(request: web.Request) -> str:
    """The API token of an `Authorization: Bearer` header, or ''."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def basic_credentials(request: web.Request) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic` header, or None. Bytes that are not
    UTF-8 come back as lone surrogates (surrogateescape): check before passing them on."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8", "surrogateescape")
    except binascii.Error:
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


async def session_caller(request: web.Request) -> Caller:
    """The caller behind the session cookie. Raises NotLoggedIn; for unsafe methods also
    Forbidden when the request fails the CSRF rule; EmailNotVerified (or a redirect to the
    verification page) before the e-mail address is verified; SecondFactorPending or
    TwoFactorRequired where the session may not go yet (see gateway/second_factor.py)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise NotLoggedIn("You are not logged in.")
    answer = await request.app[CLIENTS].identity.GetSession(
        identity_pb2.GetSessionRequest(session_token=token, context=request_context(request)), timeout=10
    )
    session = answer.session
    if request.method not in SAFE_METHODS:
        check_csrf(request, session.csrf_token)
    if not email_verification.enforce(request, session):
        await second_factor.enforce(request, session)
    principal = common_pb2.Principal(user_id=session.user.user_id, username=session.user.username)
    return Caller(principal=principal, session=session, session_token=token)


async def token_caller(request: web.Request, operation: tokens_pb2.Operation) -> Caller:
    """The caller behind an `Authorization: Bearer` API token, verified for `operation`.
    Raises Forbidden with the tokens service's reason (or the gateway's, for a token that is
    not even UTF-8)."""
    answer = await request.app[CLIENTS].tokens.VerifyToken(
        tokens_pb2.VerifyTokenRequest(
            token=readable_token(bearer_token(request)), operation=operation, context=request_context(request)
        ),
        timeout=10,
    )
    if not answer.valid:
        raise Forbidden(answer.reason)
    info = answer.token
    return Caller(common_pb2.Principal(user_id=info.user_id, username=info.username, token_id=info.token_id))


async def caller_for(request: web.Request, operation: tokens_pb2.Operation | None = None) -> Caller:
    """A token caller when a Bearer token is presented (and tokens are allowed), else the session."""
    if operation is not None and bearer_token(request):
        return await token_caller(request, operation)
    return await session_caller(request)


def _same_origin(value: str, allowed: set[str]) -> bool:
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}" in allowed


def allowed_origins(request: web.Request) -> set[str]:
    """The origin the request was addressed to, and the configured public origin."""
    return {f"{request.scheme}://{request.host}", request.app[SETTINGS].origin}


def check_csrf(request: web.Request, csrf_token: str) -> None:
    """Refuses a cookie-bound state change from another site (Origin/Referer or token)."""
    presented = request.headers.get(CSRF_HEADER, "") or request.get("form_csrf", "")
    if presented and hmac.compare_digest(presented, csrf_token):
        return
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source and _same_origin(source, allowed_origins(request)):
        return
    raise Forbidden("Cross-site request refused: send the X-CSRF-Token header or submit from this site.")


def check_login_origin(request: web.Request) -> None:
    """Login forms have no session yet; refuse only a request that says it came from elsewhere."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source and source != "null" and not _same_origin(source, allowed_origins(request)):
        raise Forbidden("Cross-site login refused.")


def set_session_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """HttpOnly, SameSite=Lax; Secure unless the site is plain http (loopback development)."""
    secure = request.app[SETTINGS].origin.startswith("https://")
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Lax", secure=secure, path="/", max_age=12 * 3600
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
