"""The uploads service's view of the tokens service: does a presented token allow an operation?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import grpc

from gatehouse.common.v1 import common_pb2
from gatehouse.tokens.v1 import tokens_pb2, tokens_pb2_grpc
from services.uploads.domain.errors import TokensUnavailable
from services.uploads.domain.model import Uploader


@dataclass(frozen=True)
class Verification:
    """The tokens service's answer: the uploader when valid, else the reason."""

    valid: bool
    reason: str = ""
    uploader: Uploader | None = None


class TokenVerifier(Protocol):
    """The port to the tokens service (a fake in unit tests)."""

    async def verify(
        self, token: str, operation: tokens_pb2.Operation, context: common_pb2.RequestContext,
        defer_consumption: bool = False,
    ) -> Verification:
        """Asks whether `token` allows `operation`; with `defer_consumption` a single-use token is
        not consumed (verify again without it to consume). Raises TokensUnavailable."""


def uploader_from(info: tokens_pb2.TokenInfo) -> Uploader:
    """The uploader a verified token stands for, with the caveats this service enforces."""
    return Uploader(
        user_id=info.user_id,
        username=info.username,
        token_id=info.token_id,
        staging_only=info.caveats.staging_only,
        newer_only=info.caveats.newer_only,
        token_projects=tuple(info.caveats.projects),
        token_project_pattern=info.caveats.project_pattern,
        single_use=info.caveats.single_use,
    )


class GrpcTokenVerifier:
    """TokenVerifier over the TokensService gRPC API."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float = 5.0):
        self._stub = tokens_pb2_grpc.TokensServiceStub(channel)
        self._timeout = timeout

    async def verify(self, token, operation, context, defer_consumption: bool = False) -> Verification:
        """Calls VerifyToken. Raises TokensUnavailable when the service cannot answer."""
        request = tokens_pb2.VerifyTokenRequest(token=token, operation=operation, context=context,
                                                defer_consumption=defer_consumption)
        try:
            response = await self._stub.VerifyToken(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise TokensUnavailable(
                "The token service is unavailable; try the upload again later."
            ) from error
        if not response.valid:
            return Verification(valid=False, reason=response.reason)
        return Verification(valid=True, uploader=uploader_from(response.token))
