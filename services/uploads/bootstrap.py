"""The uploads service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

import os
from pathlib import Path

from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.observability.metrics import UPLOAD_REFUSALS
from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import Settings
from gatehouse.uploads.v1 import uploads_pb2_grpc
from services.uploads.adapters.second_factors import GrpcSecondFactors
from services.uploads.adapters.storage import LocalFileStore
from services.uploads.adapters.tables import metadata, store
from services.uploads.adapters.tokens_client import GrpcTokenVerifier
from services.uploads.application.handlers import Dependencies
from services.uploads.domain.content import DEFAULT_MAX_FILE_SIZE
from services.uploads.entrypoints.grpc_server import STATUS_OF_ERROR, UploadsServicer

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def max_file_size(environ: dict[str, str] | None = None) -> int:
    """GATEHOUSE_MAX_FILE_SIZE in bytes (default 100 MiB). Raises ValueError when not a number."""
    value = (os.environ if environ is None else environ).get("GATEHOUSE_MAX_FILE_SIZE", "")
    return int(value) if value.strip() else DEFAULT_MAX_FILE_SIZE


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the uploads process from settings."""
    runtime = build_runtime(settings, "uploads", metadata, store, MIGRATIONS)
    tokens_channel = open_channel(settings, "tokens")
    mfa_channel = open_channel(settings, "mfa")
    deps = Dependencies(
        units=runtime.units,
        tokens=GrpcTokenVerifier(tokens_channel),
        files=LocalFileStore(settings.data_dir / "files"),
        origin=settings.origin,
        max_file_size=max_file_size(),
        second_factors=GrpcSecondFactors(mfa_channel),
        require_2fa=settings.require_2fa,
        reauth_minutes=settings.reauth_minutes,
    )

    def register(server):
        """Adds the uploads servicer to the gRPC server."""
        uploads_pb2_grpc.add_UploadsServiceServicer_to_server(UploadsServicer(deps), server)

    async def close_channel():
        """Closes the channels to the tokens and mfa services."""
        await tokens_channel.close()
        await mfa_channel.close()

    return ServiceProcess(
        name="gatehouse.uploads.v1.UploadsService",
        address=settings.address_of("uploads"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[runtime.relay.run],
        on_stop=[runtime.close, close_channel],
        refusals={"Upload": UPLOAD_REFUSALS},
    )
