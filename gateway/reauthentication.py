"""Re-authentication ("sudo mode") as the gateway sees it: when a session last proved its
password (identity answers both times), where to send a page that needs a fresh proof, and
which `next` addresses the re-authentication page may send the browser back to."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from aiohttp import web

from gatehouse.identity.v1 import identity_pb2

REAUTH_PAGE = "/account/reauthenticate"
REAUTH_API = "/api/v1/session/reauthenticate"
# With a security key instead of the password: options, then the key's answer.
REAUTH_KEY_OPTIONS_API = REAUTH_API + "/webauthn/options"
REAUTH_KEY_API = REAUTH_API + "/webauthn"
DEFAULT_NEXT = "/account/"


def authenticated_at_us(session: identity_pb2.Session) -> int:
    """When the session's user last gave their password: the login or a later re-authentication."""
    return max(session.created_at_us, session.reauthenticated_at_us)


def same_site_path(value: str, default: str = DEFAULT_NEXT) -> str:
    """`value` when it is a path on this site (not `//host`, no scheme, no backslash or control
    character a browser might read as another host); otherwise `default`."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in value):
        return default
    parts = urlsplit(value)
    return default if parts.scheme or parts.netloc else value


def _return_path(request: web.Request) -> str:
    """The page to come back to: the one asked for, or for a form post the page it was sent from."""
    if request.method in ("GET", "HEAD"):
        return request.path_qs
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc in ("", request.host) and referer.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return DEFAULT_NEXT


def page_url(request: web.Request, back: str = "") -> str:
    """The re-authentication page, sending the browser back to `back` (by default where it was)
    once done."""
    return f"{REAUTH_PAGE}?next={quote(same_site_path(back or _return_path(request)), safe='/')}"
