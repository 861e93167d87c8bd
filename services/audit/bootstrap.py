"""The audit service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

import os
from pathlib import Path

from gatehouse.audit.v1 import audit_pb2_grpc
from gatehouse.eventstore.database import reader
from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import Settings
from services.audit.adapters.tables import metadata, store
from services.audit.adapters.uploads_client import GrpcProjectAccess
from services.audit.application.handlers import Dependencies
from services.audit.entrypoints.event_consumer import Projector
from services.audit.entrypoints.retention_job import INTERVAL_ENV, RetentionJob, retention_policy
from services.audit.entrypoints.grpc_server import STATUS_OF_ERROR, AuditServicer

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the audit process from settings. The outbox relay is not run: the audit
    service records no events of its own."""
    runtime = build_runtime(settings, "audit", metadata, store, MIGRATIONS)
    uploads_channel = open_channel(settings, "uploads")
    # Queries, tails, exports and verify only read: on SQLite they must not queue behind (or
    # hold back) the projector's write transactions.
    deps = Dependencies(engine=reader(runtime.engine), access=GrpcProjectAccess(uploads_channel))
    projector = Projector(runtime)
    retention = RetentionJob(
        runtime.engine, retention_policy(), float(os.environ.get(INTERVAL_ENV, "") or 3600)
    )

    def register(server):
        audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(deps, projector), server)

    async def close_channel():
        await uploads_channel.close()

    return ServiceProcess(
        name="gatehouse.audit.v1.AuditService",
        address=settings.address_of("audit"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[projector.run, retention.run],
        on_stop=[projector.stop, runtime.close, close_channel],
    )
