"""Running a service process: gRPC server, health, background tasks, graceful shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from gatehouse.grpc_runtime.errors import ErrorInterceptor, StatusMap

Registrar = Callable[[grpc.aio.Server], None]


@dataclass
class ServiceProcess:
    """What bootstrap hands to `serve`: how to register servicers and what runs beside them."""

    name: str
    address: str
    register: Registrar
    errors: StatusMap
    background: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    grace_seconds: float = 5.0


def _prepare_address(address: str) -> None:
    if address.startswith("unix:"):
        path = Path(address.removeprefix("unix:").removeprefix("//"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()  # a stale socket left by a killed process


async def serve(process: ServiceProcess, log) -> None:
    """Serves until SIGTERM/SIGINT, then drains: health NOT_SERVING, stop background work,
    stop the server with a grace period, run the on_stop hooks (e.g. drain NATS)."""
    server = grpc.aio.server(interceptors=[ErrorInterceptor(process.errors)])
    process.register(server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    _prepare_address(process.address)
    server.add_insecure_port(process.address)
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    await health.set(process.name, health_pb2.HealthCheckResponse.SERVING)
    tasks = [asyncio.create_task(job()) for job in process.background]
    log.info("service.started", address=process.address, pid=os.getpid())
    await _wait_for_signal()
    log.info("service.stopping")
    await health.enter_graceful_shutdown()
    await server.stop(process.grace_seconds)
    for hook in process.on_stop:
        await hook()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    log.info("service.stopped")


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await stop.wait()
