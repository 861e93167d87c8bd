"""The gateway application: `init_app(settings)` is shared by `main` and the tests."""

from __future__ import annotations

import asyncio

from aiohttp import web

from gatehouse.service_runtime import NatsLink
from gatehouse.settings import Settings
from gateway.clients import open_clients
from gateway.errors import error_middleware
from gateway.keys import CLIENTS, NATS, SETTINGS
from gateway import observability
from gateway.observability import metrics_middleware, request_id_middleware
from gateway.routes import api_events, api_session, api_tokens, health, legacy, openapi, pages, simple
from gateway.routes import api_token_disclosures
from gateway.routes import api_security_keys, api_two_factor, pages_two_factor
from gateway.routes import api_project_policies, api_project_roles, pages_collaborators, pages_projects
from gateway.routes import api_account, api_emails, pages_account
from gateway.routes import pages_new_device, pages_reauthenticate, recovery
from gateway.routes import api_project_releases, pages_project_releases

MAX_BODY = 110 * 1024 * 1024  # the uploads service enforces the per-file limit while streaming


async def _services(app: web.Application):
    settings = app[SETTINGS]
    app[CLIENTS] = open_clients(settings)
    link = NatsLink(settings, "gatehouse-gateway")
    app[NATS] = link
    connecting = asyncio.create_task(link.client())  # /healthz says "down" until it connects
    yield
    connecting.cancel()
    await link.drain()
    await app[CLIENTS].close()


def init_app(settings: Settings) -> web.Application:
    """Builds the aiohttp application for `settings`."""
    middlewares = [request_id_middleware, metrics_middleware, error_middleware]
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    for module in (health, legacy, api_session, api_tokens, api_events, openapi, simple, pages,
                   api_token_disclosures, api_two_factor, pages_two_factor,
                   api_security_keys, api_project_policies, api_project_roles, pages_projects, pages_collaborators,
                   api_account, api_emails, pages_account, pages_reauthenticate, pages_new_device,
                   recovery, api_project_releases, pages_project_releases, observability):
        app.add_routes(module.routes)
    return app
