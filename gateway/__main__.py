"""`python -m gateway`: serve the web UI and APIs on GATEHOUSE_PORT (GATEHOUSE_HOST, default loopback)."""

import os

from aiohttp import web

from gatehouse import logging as gatehouse_logging
from gatehouse.settings import load
from gateway.app import init_app

settings = load()
log = gatehouse_logging.configure("gateway", log_format=settings.log_format)
log.info("gateway.starting", url=f"http://127.0.0.1:{settings.port}/")
web.run_app(
    init_app(settings),
    host=os.environ.get("GATEHOUSE_HOST", "127.0.0.1"),
    port=settings.port,
    print=None,
    access_log=None,
    shutdown_timeout=10,
)
