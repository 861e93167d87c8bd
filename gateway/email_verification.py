"""Until the primary e-mail address is verified, a session reaches only the verification page,
its resend endpoint and log-out: the JSON API answers 403, pages redirect to that page.

The rule is identity's answer (`Session.user.email_verified`) applied to the path, as
gateway/second_factor.py does for the second login step.
"""

from __future__ import annotations

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gateway.errors import GatewayError

VERIFY_PAGE = "/account/verify-email"
RESEND_API = "/api/v1/account/email/verification"
# Reachable by a logged-in user whose address is not verified yet.
UNVERIFIED_PREFIXES = ("/api/v1/session", "/account/logout", VERIFY_PAGE, RESEND_API)


class EmailNotVerified(GatewayError):
    code = "email_not_verified"
    status = 403


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def enforce(request: web.Request, session: identity_pb2.Session) -> bool:
    """For an unverified user: True on a path they may reach (no other rule applies there: they
    cannot have set up anything yet); otherwise raises EmailNotVerified (JSON API) or redirects to
    the verification page. False for a verified user, whose other rules still apply."""
    if session.user.email_verified:
        return False
    if _under(request.path, UNVERIFIED_PREFIXES):
        return True
    if request.path.startswith("/api/"):
        raise EmailNotVerified(
            f"Verify your e-mail address first: open the link mailed to {session.user.email}, "
            f"or ask for a new one with POST {RESEND_API}."
        )
    raise web.HTTPSeeOther(VERIFY_PAGE)
