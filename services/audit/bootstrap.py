"""The audit service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

from pathlib import Path

from gatehouse.audit.v1 import audit_pb2_grpc
from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.messaging.consumer import DurableConsumer
from gatehouse.messaging.jetstream import SUBJECT_ROOT
from gatehouse.service_runtime import EventSourcedRuntime, build_runtime
from gatehouse.settings import Settings
from services.audit.adapters.tables import metadata, store
from services.audit.adapters.uploads_client import GrpcProjectAccess
from services.audit.application.handlers import Dependencies
from services.audit.application.projector import project_envelope
from services.audit.entrypoints.grpc_server import STATUS_OF_ERROR, AuditServicer

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"
CONSUMER_NAME = "audit-projector"


class Projector:
    """The background job feeding every domain event to the projection, once NATS is up."""

    def __init__(self, runtime: EventSourcedRuntime):
        self._runtime = runtime
        self._consumer: DurableConsumer | None = None

    async def run(self) -> None:
        """Waits for NATS, then consumes until stopped (see DurableConsumer.run)."""
        client = await self._runtime.nats.client()
        settings = self._runtime.settings
        self._consumer = DurableConsumer(
            client,
            self._runtime.engine,
            self._runtime.store,
            CONSUMER_NAME,
            project_envelope,
            settings.stream_name,
            filter_subject=f"{SUBJECT_ROOT}.>",
            replicas=settings.stream_replicas,
        )
        await self._consumer.run()

    async def stop(self) -> None:
        """Asks the consumer to finish its current batch and stop."""
        if self._consumer is not None:
            await self._consumer.stop()


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the audit process from settings."""
    runtime = build_runtime(settings, "audit", metadata, store, MIGRATIONS)
    uploads_channel = open_channel(settings, "uploads")
    deps = Dependencies(engine=runtime.engine, access=GrpcProjectAccess(uploads_channel))
    projector = Projector(runtime)

    def register(server):
        audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(deps), server)

    async def close_channel():
        await uploads_channel.close()

    return ServiceProcess(
        name="gatehouse.audit.v1.AuditService",
        address=settings.address_of("audit"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[projector.run],
        on_stop=[projector.stop, runtime.close, close_channel],
    )
