"""Rendering the site's HTML pages (Jinja2, autoescaped)."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from gateway.keys import SETTINGS

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)


def render(request: web.Request, template: str, status: int = 200, **values) -> web.Response:
    """A page from `template` with the site frame's values filled in."""
    values.setdefault("user", None)
    values.setdefault("csrf_token", "")
    values.setdefault("origin", request.app[SETTINGS].origin)
    body = _ENVIRONMENT.get_template(template).render(**values)
    response = web.Response(text=body, content_type="text/html", status=status)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'"
    return response


def render_error(request: web.Request, status: int, message: str) -> web.Response:
    """The error page."""
    return render(request, "error.html", status=status, message=message)
