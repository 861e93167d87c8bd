"""gRPC stubs for every service, opened once per gateway process."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gatehouse.audit.v1 import audit_pb2_grpc
from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.identity.v1 import identity_pb2_grpc
from gatehouse.mfa.v1 import mfa_pb2_grpc
from gatehouse.settings import SERVICES, Settings
from gatehouse.tokens.v1 import tokens_pb2_grpc
from gatehouse.uploads.v1 import uploads_pb2_grpc


@dataclass
class ServiceClients:
    identity: identity_pb2_grpc.IdentityServiceStub
    mfa: mfa_pb2_grpc.MfaServiceStub
    tokens: tokens_pb2_grpc.TokensServiceStub
    uploads: uploads_pb2_grpc.UploadsServiceStub
    audit: audit_pb2_grpc.AuditServiceStub
    channels: dict[str, grpc.aio.Channel]

    async def healthy(self, service: str) -> bool:
        """Whether `service` answers its gRPC health check as SERVING within a second."""
        stub = health_pb2_grpc.HealthStub(self.channels[service])
        try:
            answer = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
        except grpc.aio.AioRpcError:
            return False
        return answer.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


def open_clients(settings: Settings) -> ServiceClients:
    """Channels to all five services (they connect lazily)."""
    channels = {name: open_channel(settings, name) for name in SERVICES}
    return ServiceClients(
        identity=identity_pb2_grpc.IdentityServiceStub(channels["identity"]),
        mfa=mfa_pb2_grpc.MfaServiceStub(channels["mfa"]),
        tokens=tokens_pb2_grpc.TokensServiceStub(channels["tokens"]),
        uploads=uploads_pb2_grpc.UploadsServiceStub(channels["uploads"]),
        audit=audit_pb2_grpc.AuditServiceStub(channels["audit"]),
        channels=channels,
    )
