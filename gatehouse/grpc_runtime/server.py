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

from gatehouse.grpc_runtime.channels import server_credentials
from gatehouse.grpc_runtime.errors import ErrorInterceptor, StatusMap
from gatehouse.grpc_runtime.observing import ObservingInterceptor, RefusalCounters
from gatehouse.observability.metrics_server import MetricsServer
from gatehouse.settings import Settings

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
    # Methods whose refusals are counted by reason code (see ObservingInterceptor).
    refusals: RefusalCounters = field(default_factory=dict)


def _prepare_address(address: str) -> None:
    if address.startswith("unix:"):
        path = Path(address.removeprefix("unix:").removeprefix("//"))
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()  # a stale socket left by a killed process


# Clients are asked to reconnect every few minutes, so that they resolve the service's name again
# and spread their calls over replicas started since (a connection otherwise lasts for ever); calls
# in flight, an upload's stream included, may finish within the grace period.
SERVER_OPTIONS = (
    ("grpc.max_connection_age_ms", 5 * 60 * 1000),
    ("grpc.max_connection_age_grace_ms", 60 * 60 * 1000),
)


def build_server(process: ServiceProcess, service: str) -> grpc.aio.Server:
    """A gRPC server with the error-mapping and observing interceptors and the servicers."""
    observing = ObservingInterceptor(service, process.errors, process.refusals)
    server = grpc.aio.server(interceptors=[ErrorInterceptor(process.errors), observing], options=SERVER_OPTIONS)
    process.register(server)
    return server


def _listen(server: grpc.aio.Server, address: str, settings: Settings | None) -> None:
    _prepare_address(address)
    credentials = server_credentials(settings) if settings is not None else None
    if credentials is None:
        server.add_insecure_port(address)
    else:
        server.add_secure_port(address, credentials)


def _metrics_server(settings: Settings | None, service: str) -> MetricsServer | None:
    if settings is None:
        return None
    port_file = settings.data_dir / "run" / f"{service}.metrics-port"
    return MetricsServer(settings.metrics_host, settings.metrics_port_of(service), port_file)


async def serve(process: ServiceProcess, log, settings: Settings | None = None, service: str = "") -> None:
    """Serves until SIGTERM/SIGINT, then drains: health NOT_SERVING, stop background work,
    stop the server with a grace period, run the on_stop hooks (e.g. drain NATS).
    With `settings`: mTLS when configured, and /metrics beside the gRPC server.
    Raises OSError when the metrics port is taken or a certificate file is unreadable."""
    service = service or process.name
    server = build_server(process, service)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    _listen(server, process.address, settings)
    metrics = _metrics_server(settings, service)
    if metrics is not None:
        await metrics.start()
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    await health.set(process.name, health_pb2.HealthCheckResponse.SERVING)
    tasks = [asyncio.create_task(job()) for job in process.background]
    log.info("service.started", address=process.address, pid=os.getpid(), metrics_port=metrics and metrics.port)
    await _wait_for_signal()
    log.info("service.stopping")
    await health.enter_graceful_shutdown()
    await server.stop(process.grace_seconds)
    for hook in process.on_stop:
        await hook()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if metrics is not None:
        await metrics.stop()
    log.info("service.stopped")


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await stop.wait()
