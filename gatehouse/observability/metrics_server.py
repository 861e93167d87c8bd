"""A service's `/metrics` endpoint: a small aiohttp server beside its gRPC server."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from gatehouse.observability.metrics import exposition


async def metrics_view(_request: web.Request) -> web.Response:
    """GET /metrics: the Prometheus text exposition of this process."""
    body, content_type = exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


class MetricsServer:
    """Serves /metrics on (host, port); port 0 picks a free one, written to `port_file`."""

    def __init__(self, host: str, port: int, port_file: Path | None = None):
        self._host = host
        self._port = port
        self._port_file = port_file
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        """Binds and serves. Raises OSError when the port is taken."""
        app = web.Application()
        app.router.add_get("/metrics", metrics_view)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        if self._port_file is not None:
            self._port_file.parent.mkdir(parents=True, exist_ok=True)
            self._port_file.write_text(str(self.port))

    async def stop(self) -> None:
        """Stops serving and forgets the port file."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._port_file is not None:
            self._port_file.unlink(missing_ok=True)
