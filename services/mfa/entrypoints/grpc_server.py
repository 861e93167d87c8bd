"""The MfaService gRPC API; each method delegates to one handler."""

from __future__ import annotations

import grpc
import structlog

from gatehouse.grpc_runtime.errors import ERROR_CODE_KEY
from gatehouse.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from services.mfa.application import handlers, passkeys, reset, security_keys, verification
from services.mfa.domain import errors

# The one place mfa errors become gRPC statuses.
STATUS_OF_ERROR = {
    errors.MfaError: grpc.StatusCode.INVALID_ARGUMENT,
    errors.EnrolmentRefused: grpc.StatusCode.FAILED_PRECONDITION,
    errors.CodeRejected: grpc.StatusCode.UNAUTHENTICATED,
    errors.RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.LabelTaken: grpc.StatusCode.ALREADY_EXISTS,
    errors.SecurityKeyNotFound: grpc.StatusCode.NOT_FOUND,
}

RETRY_AFTER_KEY = "retry-after"


def _bind(rpc: str, request) -> None:
    structlog.contextvars.clear_contextvars()
    user_id = getattr(request, "user_id", "") or getattr(getattr(request, "user", None), "user_id", "")
    structlog.contextvars.bind_contextvars(rpc=rpc, user_id=user_id)


class MfaServicer(mfa_pb2_grpc.MfaServiceServicer):
    """gatehouse.mfa.v1.MfaService over the handlers."""

    def __init__(self, deps: handlers.Dependencies):
        self._deps = deps

    async def ListMethods(self, request, context):
        """The user's enrolled methods; INVALID_ARGUMENT when no user is named."""
        _bind("ListMethods", request)
        return await handlers.list_methods(self._deps, request)

    async def GenerateRecoveryCodes(self, request, context):
        """A new set of recovery codes; FAILED_PRECONDITION when the e-mail is unverified."""
        _bind("GenerateRecoveryCodes", request)
        return await handlers.generate_recovery_codes(self._deps, request)

    async def ConfirmRecoveryCodes(self, request, context):
        """Burns one code; UNAUTHENTICATED for a wrong or used code."""
        _bind("ConfirmRecoveryCodes", request)
        return await handlers.confirm_recovery_codes(self._deps, request)

    async def BeginTotpEnrolment(self, request, context):
        """A pending TOTP secret and QR code; FAILED_PRECONDITION before recovery codes are confirmed."""
        _bind("BeginTotpEnrolment", request)
        return await handlers.begin_totp_enrolment(self._deps, request)

    async def ConfirmTotpEnrolment(self, request, context):
        """Enrols the pending secret; UNAUTHENTICATED for a wrong code, FAILED_PRECONDITION without one."""
        _bind("ConfirmTotpEnrolment", request)
        return await handlers.confirm_totp_enrolment(self._deps, request)

    async def VerifySecondFactor(self, request, context):
        """Checks a second-step code; UNAUTHENTICATED when refused, RESOURCE_EXHAUSTED when limited
        (the `retry-after` trailer carries the seconds to wait)."""
        _bind("VerifySecondFactor", request)
        try:
            return await verification.verify_second_factor(self._deps, request)
        except errors.RateLimited as error:
            # The shared interceptor's abort would replace any trailer set here, so this one
            # refusal aborts itself, with the same status and code plus the wait.
            # (Lead: the interceptor could take extra trailers from the error instead.)
            trailers = ((ERROR_CODE_KEY, error.code), (RETRY_AFTER_KEY, str(error.retry_after_seconds)))
            await context.abort(STATUS_OF_ERROR[errors.RateLimited], error.message, trailing_metadata=trailers)

    async def RemoveTotp(self, request, context):
        """Removes the TOTP app; FAILED_PRECONDITION when it is the last method and 2FA is required."""
        _bind("RemoveTotp", request)
        return await handlers.remove_totp(self._deps, request)

    async def BeginSecurityKeyRegistration(self, request, context):
        """Creation options for a new key; FAILED_PRECONDITION, ALREADY_EXISTS or INVALID_ARGUMENT (label)."""
        _bind("BeginSecurityKeyRegistration", request)
        return await security_keys.begin_registration(self._deps, request)

    async def CompleteSecurityKeyRegistration(self, request, context):
        """Adds the key; UNAUTHENTICATED when the credential does not verify."""
        _bind("CompleteSecurityKeyRegistration", request)
        return await security_keys.complete_registration(self._deps, request)

    async def ListSecurityKeys(self, request, context):
        """The user's keys."""
        _bind("ListSecurityKeys", request)
        return await security_keys.list_keys(self._deps, request)

    async def RemoveSecurityKey(self, request, context):
        """Removes a key; NOT_FOUND or FAILED_PRECONDITION (last method)."""
        _bind("RemoveSecurityKey", request)
        return await security_keys.remove_key(self._deps, request)

    async def BeginSecurityKeyAuthentication(self, request, context):
        """Request options for the second step; UNAUTHENTICATED when the user has no key."""
        _bind("BeginSecurityKeyAuthentication", request)
        return await security_keys.begin_authentication(self._deps, request)

    async def SetPasskeySignIn(self, request, context):
        """Turns passkey sign-in on or off for a key; NOT_FOUND for a key that is not the user's."""
        _bind("SetPasskeySignIn", request)
        return await passkeys.set_passkey(self._deps, request)

    async def BeginPasskeySignIn(self, request, context):
        """Request options for a passkey sign-in."""
        _bind("BeginPasskeySignIn", request)
        return await passkeys.begin_sign_in(self._deps, request)

    async def VerifyPasskeySignIn(self, request, context):
        """Checks a passkey sign-in; UNAUTHENTICATED when refused."""
        _bind("VerifyPasskeySignIn", request)
        return await passkeys.verify_sign_in(self._deps, request)

    async def ResetSecondFactors(self, request, context):
        """Internal (identity's account recovery): removes every second factor; INVALID_ARGUMENT without a user."""
        _bind("ResetSecondFactors", request)
        removed = await reset.reset_second_factors(self._deps, request)
        return mfa_pb2.ResetSecondFactorsResponse(methods_removed=removed)
