"""The mfa service's composition root: the only place concrete adapters are chosen."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.grpc_runtime.server import ServiceProcess
from gatehouse.mfa.v1 import mfa_pb2_grpc
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import Settings
from services.mfa.adapters.identity_client import GrpcAccounts
from services.mfa.adapters.sealing import SecretSealer
from services.mfa.adapters.tables import metadata, store
from services.mfa.adapters.webauthn_ceremonies import RelyingParty
from services.mfa.application.handlers import Dependencies
from services.mfa.domain import rate_limits
from services.mfa.entrypoints.grpc_server import STATUS_OF_ERROR, MfaServicer

MIGRATIONS = Path(__file__).parent / "adapters" / "migrations"


def bootstrap(settings: Settings) -> ServiceProcess:
    """Builds the mfa process from settings (its database migrated to head). Reads
    GATEHOUSE_MFA_RATE_LIMITS ("user:5/300,ip:10/300,..."); raises ValueError when malformed."""
    runtime = build_runtime(settings, "mfa", metadata, store, MIGRATIONS)
    identity_channel = open_channel(settings, "identity")
    deps = Dependencies(
        units=runtime.units,
        accounts=GrpcAccounts(identity_channel),
        sealer=SecretSealer(settings.secret("mfa")),
        proof_key=settings.secret("second_factor_proof"),
        address_key=settings.secret("mfa_address"),
        limits=rate_limits.parse(os.environ.get("GATEHOUSE_MFA_RATE_LIMITS", "")),
        second_factor_required=settings.require_2fa,
        relying_party=RelyingParty(urlsplit(settings.origin).hostname or "localhost", settings.origin),
    )

    def register(server):
        mfa_pb2_grpc.add_MfaServiceServicer_to_server(MfaServicer(deps), server)

    async def close_identity_channel():
        await identity_channel.close()

    return ServiceProcess(
        name="gatehouse.mfa.v1.MfaService",
        address=settings.address_of("mfa"),
        register=register,
        errors=STATUS_OF_ERROR,
        background=[runtime.relay.run],
        on_stop=[close_identity_channel, runtime.close],
    )
