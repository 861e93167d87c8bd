"""`python -m services.<name>`: run one service process."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from gatehouse import logging as gatehouse_logging
from gatehouse.grpc_runtime.server import ServiceProcess, serve
from gatehouse.settings import Settings, load


def run_service(name: str, bootstrap: Callable[[Settings], ServiceProcess]) -> None:
    """Configures logging, builds the service with `bootstrap` inside the loop, serves."""
    settings = load()
    log = gatehouse_logging.configure(name, log_format=settings.log_format)

    async def main() -> None:
        settings = load()
        process = bootstrap(settings)
        if settings.listen_address:
            process = dataclasses.replace(process, address=settings.listen_address)
        await serve(process, log, settings, service=name)

    asyncio.run(main())
