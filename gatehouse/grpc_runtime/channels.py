"""gRPC client channels between services."""

from __future__ import annotations

import grpc

from gatehouse.settings import Settings

_OPTIONS = (
    ("grpc.max_receive_message_length", 8 * 1024 * 1024),
    ("grpc.max_send_message_length", 8 * 1024 * 1024),
)


def open_channel(settings: Settings, service: str) -> grpc.aio.Channel:
    """An insecure channel to `service` (a Unix socket by default, TCP when configured)."""
    return grpc.aio.insecure_channel(settings.address_of(service), options=_OPTIONS)
