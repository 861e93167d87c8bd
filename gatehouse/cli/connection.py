"""How the command reaches the services: operator identity, request context, channels, refusals."""

from __future__ import annotations

from importlib import metadata

import grpc

from gatehouse.audit.v1 import audit_pb2_grpc
from gatehouse.common.v1 import common_pb2
from gatehouse.identity.v1 import identity_pb2_grpc
from gatehouse.grpc_runtime.channels import client_credentials, tls_options
from gatehouse.settings import Settings
from gatehouse.uploads.v1 import uploads_pb2_grpc

ERROR_CODE_KEY = "gatehouse-error-code"
CALL_TIMEOUT = 10.0


class Refusal(Exception):
    """A sentence to show on standard error before exiting with status 1."""


def cli_version() -> str:
    """The installed Gatehouse version (for the user agent)."""
    try:
        return metadata.version("gatehouse")
    except metadata.PackageNotFoundError:
        return "0"


def operator() -> common_pb2.Principal:
    """The caller every command acts as: an operator on the service network."""
    return common_pb2.Principal(operator=True)


def request_context() -> common_pb2.RequestContext:
    """Where the command's calls come from, as the events they cause will record it."""
    return common_pb2.RequestContext(ip_address="local", user_agent=f"gatehouse-cli/{cli_version()}")


def refusal_from(error: grpc.RpcError, service: str, address: str) -> Refusal:
    """The service's own sentence when it refused; a hint to start Gatehouse when unreachable."""
    codes = dict(error.trailing_metadata() or ())
    if ERROR_CODE_KEY in codes or error.code() != grpc.StatusCode.UNAVAILABLE:
        return Refusal(error.details() or f"The {service} service refused the request.")
    return Refusal(f"The {service} service is not reachable at {address}; is Gatehouse running?")


class Clients:
    """gRPC stubs of the services the command talks to, opened on first use."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._channels: dict[str, grpc.Channel] = {}

    def address(self, service: str) -> str:
        return self._settings.address_of(service)

    def _channel(self, service: str) -> grpc.Channel:
        if service not in self._channels:
            credentials = client_credentials(self._settings)  # mTLS when configured
            self._channels[service] = (
                grpc.insecure_channel(self.address(service)) if credentials is None
                else grpc.secure_channel(self.address(service), credentials, options=tls_options(self.address(service)))
            )
        return self._channels[service]

    def audit(self) -> audit_pb2_grpc.AuditServiceStub:
        return audit_pb2_grpc.AuditServiceStub(self._channel("audit"))

    def identity(self) -> identity_pb2_grpc.IdentityServiceStub:
        return identity_pb2_grpc.IdentityServiceStub(self._channel("identity"))

    def uploads(self) -> uploads_pb2_grpc.UploadsServiceStub:
        return uploads_pb2_grpc.UploadsServiceStub(self._channel("uploads"))

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
