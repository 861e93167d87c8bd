"""Where a session may go before its second factor: the gateway's enforcement point.

The rules are the services' answers applied to the path: identity says whether the session has
passed its second step, mfa says which factors the user has, and configuration says whether 2FA
is required (GATEHOUSE_REQUIRE_2FA). Until the second step, only the login/logout and second-step
endpoints answer; a user with no second factor (while 2FA is required) reaches only their account
page and the 2FA set-up, so they cannot create tokens or read anything else.
"""

from __future__ import annotations

import time

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gatehouse.mfa.v1 import mfa_pb2
from gateway.errors import GatewayError
from gateway.keys import CLIENTS, SETTINGS
from gateway.reauthentication import REAUTH_API, REAUTH_PAGE, authenticated_at_us, page_url

STRONG_METHODS = frozenset({"totp", "webauthn"})
# Reachable with a password-only session whose second step is still due.
SECOND_STEP_PREFIXES = ("/api/v1/session", "/account/login", "/account/logout", "/account/two-factor/verify")
# Reachable by a user who has no second factor yet while 2FA is required.
# (Sensitive set-up steps need a fresh password, so the re-authentication page is among them.)
SET_UP_PREFIXES = SECOND_STEP_PREFIXES + ("/api/v1/account/", "/account/two-factor", REAUTH_PAGE)
SET_UP_PAGES = frozenset({"/account/"})
SET_UP_PAGE = "/account/two-factor"


class SecondFactorPending(GatewayError):
    code = "second_factor_required"
    status = 401


class NewDeviceConfirmationPending(SecondFactorPending):
    code = "new_device_confirmation_required"


class TwoFactorRequired(GatewayError):
    code = "two_factor_not_enabled"
    status = 403


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)


async def has_strong_factor(request: web.Request, user_id: str) -> bool:
    """Whether the user has a TOTP app or a security key (recovery codes alone do not count)."""
    answer = await request.app[CLIENTS].mfa.ListMethods(mfa_pb2.ListMethodsRequest(user_id=user_id), timeout=10)
    return bool(STRONG_METHODS & set(answer.methods))


def missing_factor_message(settings_origin: str) -> str:
    """The sentence telling a user without 2FA what to do."""
    return (
        "Two-factor authentication is required on this index: add recovery codes and an authenticator "
        f"app at {settings_origin}{SET_UP_PAGE} first."
    )


async def enforce(request: web.Request, session: identity_pb2.Session) -> None:
    """Raises SecondFactorPending (second login step not done), ReauthenticationRequired (a
    sensitive change from an old login) or TwoFactorRequired (no second factor while 2FA is
    required) unless the request's path is allowed in that state."""
    path = request.path
    if not session.second_factor_verified:
        if not _under(path, SECOND_STEP_PREFIXES) and session.new_device_confirmation_pending:
            raise NewDeviceConfirmationPending(
                "Check your e-mail: open the link we mailed you on this device to confirm this login from a new device."
            )
        if not _under(path, SECOND_STEP_PREFIXES):
            raise SecondFactorPending(
                f"Complete the second login step first (a code from your authenticator app) at {SET_UP_PAGE}/verify."
            )
        return
    check_fresh_login(request, session, time.time_ns() // 1000)
    settings = request.app[SETTINGS]
    if not settings.require_2fa or path in SET_UP_PAGES or _under(path, SET_UP_PREFIXES):
        return
    if not await has_strong_factor(request, session.user.user_id):
        raise TwoFactorRequired(missing_factor_message(settings.origin))


class ReauthenticationRequired(GatewayError):
    code = "reauthentication_required"
    status = 403


REMOVAL_MINUTES = 5
# Cookie-bound changes that need a recent login: 2FA changes, recovery codes and API tokens.
SENSITIVE_PREFIXES = ("/api/v1/account/", "/account/two-factor", "/api/v1/tokens", "/account/tokens")
# Cancelling an account recovery, like revoking a token, must never be made harder.
NOT_SENSITIVE = ("/account/two-factor/verify", "/api/v1/tokens/introspect", "/api/v1/account/recovery")


def _is_removal(request: web.Request) -> bool:
    path = request.path
    return (request.method == "DELETE" and path.startswith("/api/v1/account/")) or path.endswith("/remove")


def _fresh_login_minutes(request: web.Request) -> int | None:
    path = request.path
    if request.method in ("GET", "HEAD", "OPTIONS") or not _under(path, SENSITIVE_PREFIXES):
        return None
    revoking = (request.method == "DELETE" and path.startswith("/api/v1/tokens/")) or path.endswith("/revoke")
    if _under(path, NOT_SENSITIVE) or revoking:  # revoking a token must never be made harder
        return None
    return REMOVAL_MINUTES if _is_removal(request) else request.app[SETTINGS].reauth_minutes


def check_fresh_login(request: web.Request, session: identity_pb2.Session, now_us: int) -> None:
    """Raises ReauthenticationRequired (JSON API; pages: a redirect to the re-authentication
    page, which comes back here) when a sensitive change comes from a session whose login or
    last re-authentication is older than GATEHOUSE_REAUTH_MINUTES (5 minutes for removing a
    second factor)."""
    minutes = _fresh_login_minutes(request)
    if minutes is None or now_us - authenticated_at_us(session) <= minutes * 60 * 1_000_000:
        return
    if not request.path.startswith("/api/"):
        raise web.HTTPSeeOther(page_url(request))
    raise ReauthenticationRequired(
        f"For your security, confirm your password first: this change needs a login or re-authentication "
        f"within the last {minutes} minutes (POST {REAUTH_API} with your password, or {REAUTH_API}/webauthn with "
        f"a security key, or use {REAUTH_PAGE})."
    )
