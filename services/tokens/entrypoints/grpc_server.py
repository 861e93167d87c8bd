"""The TokensService gRPC API; each method binds the request's logging context and delegates
to one handler."""

from __future__ import annotations

import grpc
import structlog

from gatehouse.observability.metrics import TOKEN_VERIFICATIONS
from gatehouse.tokens.v1 import tokens_pb2_grpc
from services.tokens.application import disclosures, handlers
from services.tokens.domain import errors

# The one place tokens errors become gRPC statuses.
STATUS_OF_ERROR = {
    errors.TokenError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.TokenRequestError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.TokenNotFound: grpc.StatusCode.NOT_FOUND,
    errors.TokenAlreadyRevoked: grpc.StatusCode.FAILED_PRECONDITION,
    errors.DisclosureMalformed: grpc.StatusCode.INVALID_ARGUMENT,
    errors.DisclosureSignatureInvalid: grpc.StatusCode.PERMISSION_DENIED,
    errors.ProjectsUnavailable: grpc.StatusCode.UNAVAILABLE,
    errors.AccountsUnavailable: grpc.StatusCode.UNAVAILABLE,
    # VerifyToken answers refusals in its response; this only covers a refusal raised elsewhere.
    errors.TokenInvalid: grpc.StatusCode.UNAUTHENTICATED,
}


def _bind(request, rpc: str) -> None:
    structlog.contextvars.clear_contextvars()
    context = getattr(request, "context", None)
    owner = getattr(request, "owner", None)
    structlog.contextvars.bind_contextvars(
        rpc=rpc,
        request_id=context.request_id if context is not None else "",
        actor_user_id=owner.user_id if owner is not None else "",
        actor_token_id=owner.token_id if owner is not None else "",
    )


class TokensServicer(tokens_pb2_grpc.TokensServiceServicer):
    """gatehouse.tokens.v1.TokensService over the handlers."""

    def __init__(self, deps: handlers.Dependencies):
        self._deps = deps

    async def IssueToken(self, request, context):
        """Issues a token; INVALID_ARGUMENT for a missing owner, a bad name or bad caveats."""
        _bind(request, "IssueToken")
        return await handlers.issue_token(self._deps, request)

    async def ListTokens(self, request, context):
        """The owner's tokens (never secrets); INVALID_ARGUMENT without an owner."""
        _bind(request, "ListTokens")
        return await handlers.list_tokens(self._deps, request)

    async def RevokeToken(self, request, context):
        """Revokes a token; NOT_FOUND when the owner has no such token."""
        _bind(request, "RevokeToken")
        return await handlers.revoke_token(self._deps, request)

    async def VerifyToken(self, request, context):
        """Verifies a presented token; a bad token is valid=false with a reason, never an error."""
        _bind(request, "VerifyToken")
        response = await handlers.verify_token(self._deps, request)
        TOKEN_VERIFICATIONS.labels(outcome="valid" if response.valid else "invalid").inc()
        return response

    async def RotateToken(self, request, context):
        """A new secret with the same caveats, the old one revoked; NOT_FOUND when the owner has
        no such token, FAILED_PRECONDITION when it is already revoked."""
        _bind(request, "RotateToken")
        return await handlers.rotate_token(self._deps, request)

    async def ReportLeak(self, request, context):
        """Revokes every real token of a signed leak report; PERMISSION_DENIED for a bad
        signature, INVALID_ARGUMENT for a malformed report."""
        _bind(request, "ReportLeak")
        return await disclosures.report_leak(self._deps, request)
