"""The mfa service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

from pathlib import Path

from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.mfa.v1 import mfa_pb2_grpc
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import Settings
from services.mfa.adapters.tables import metadata, store
from services.mfa.application.handlers import Dependencies
from services.mfa.entrypoints.grpc_server import STATUS_OF_ERROR, MfaServicer

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the mfa process from settings (its database migrated to head)."""
    runtime = build_runtime(settings, "mfa", metadata, store, MIGRATIONS)
    deps = Dependencies(units=runtime.units)

    def register(server):
        mfa_pb2_grpc.add_MfaServiceServicer_to_server(MfaServicer(deps), server)

    # The relay runs although nothing is emitted yet, so MFA events need no wiring change.
    return ServiceProcess(
        name="gatehouse.mfa.v1.MfaService",
        address=settings.address_of("mfa"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[runtime.relay.run],
        on_stop=[runtime.close],
    )
