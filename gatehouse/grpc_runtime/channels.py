"""gRPC client channels between processes: request-id metadata on every call, mTLS when set."""

from __future__ import annotations

from pathlib import Path

import grpc

from gatehouse.observability import request_ids
from gatehouse.settings import Settings

_OPTIONS = (
    ("grpc.max_receive_message_length", 8 * 1024 * 1024),
    ("grpc.max_send_message_length", 8 * 1024 * 1024),
)


def _with_request_id(details):
    request_id = request_ids.current()
    if not request_id:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    metadata.add(request_ids.METADATA_KEY, request_id)
    return details._replace(metadata=metadata)


# grpc.aio files each interceptor under one call kind only, hence one class per kind.
class _UnaryUnaryRequestId(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(_with_request_id(client_call_details), request)


class _UnaryStreamRequestId(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(_with_request_id(client_call_details), request)


class _StreamUnaryRequestId(grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return await continuation(_with_request_id(client_call_details), request_iterator)


def request_id_interceptors() -> list:
    """Client interceptors sending the current request id (if any) as `x-request-id` metadata."""
    return [_UnaryUnaryRequestId(), _UnaryStreamRequestId(), _StreamUnaryRequestId()]


def client_credentials(settings: Settings) -> grpc.ChannelCredentials | None:
    """This process's certificate and the CA it trusts, or None without mTLS.
    Raises OSError when a configured file cannot be read."""
    if not settings.tls_enabled:
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=Path(settings.tls_ca).read_bytes(),
        private_key=Path(settings.tls_key).read_bytes(),
        certificate_chain=Path(settings.tls_cert).read_bytes(),
    )


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """Credentials that demand a client certificate signed by the CA, or None without mTLS.
    Raises OSError when a configured file cannot be read."""
    if not settings.tls_enabled:
        return None
    return grpc.ssl_server_credentials(
        [(Path(settings.tls_key).read_bytes(), Path(settings.tls_cert).read_bytes())],
        root_certificates=Path(settings.tls_ca).read_bytes(),
        require_client_auth=True,
    )


def tls_options(address: str) -> tuple:
    """Channel options for mTLS to `address`: over a Unix socket the server's certificate is
    checked against `localhost` (gRPC would otherwise compare it with the socket's path)."""
    return (("grpc.ssl_target_name_override", "localhost"),) if address.startswith("unix:") else ()


def balancing_options(address: str) -> tuple:
    """Channel options spreading calls over the replicas an address lists
    (`ipv4:10.0.0.1:50051,10.0.0.2:50051`) or a name resolves to (`dns:///uploads:50051`, a
    Kubernetes headless Service); gRPC's default would use only the first."""
    several = "," in address or address.startswith("dns:")
    return (("grpc.lb_policy_name", "round_robin"),) if several else ()


def open_channel(settings: Settings, service: str) -> grpc.aio.Channel:
    """A channel to `service` (a Unix socket by default, TCP when configured, replicas when
    the address lists several), over mTLS when configured.
    Raises OSError when a configured certificate file cannot be read."""
    address = settings.address_of(service)
    interceptors = request_id_interceptors()
    credentials = client_credentials(settings)
    if credentials is None:
        options = _OPTIONS + balancing_options(address)
        return grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)
    options = _OPTIONS + balancing_options(address) + tls_options(address)
    return grpc.aio.secure_channel(address, credentials, options=options, interceptors=interceptors)
