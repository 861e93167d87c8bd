"""The mfa service's error tree."""

from gatehouse.errors import GatehouseError


class MfaError(GatehouseError):
    code = "mfa_error"


class UserRequired(MfaError):
    code = "user_required"


class UnknownMethod(MfaError):
    code = "unknown_method"


class EnrolmentRefused(MfaError):
    """A precondition of enrolment does not hold (the message says which and what to do)."""

    code = "enrolment_refused"


class EmailNotVerified(EnrolmentRefused):
    code = "email_not_verified"


class RecoveryCodesNotConfirmed(EnrolmentRefused):
    code = "recovery_codes_not_confirmed"


class NoPendingEnrolment(EnrolmentRefused):
    code = "no_pending_enrolment"


class LastMethod(EnrolmentRefused):
    code = "last_second_factor"


class CodeRejected(MfaError):
    """A second-factor code was refused; `reason` is the audit reason code."""

    code = "invalid_code"
    reason = "invalid_code"


class InvalidTotp(CodeRejected):
    code = reason = "invalid_totp"


class ReplayedTotp(CodeRejected):
    code = reason = "replayed_totp"


class TotpClockOutOfSync(CodeRejected):
    code = reason = "totp_clock_skew"


class InvalidRecoveryCode(CodeRejected):
    code = reason = "invalid_recovery_code"


class BurnedRecoveryCode(CodeRejected):
    code = reason = "burned_recovery_code"


class NoSuchMethod(CodeRejected):
    code = reason = "method_not_enrolled"


class RateLimited(MfaError):
    """Too many failed second steps; `retry_after_seconds` says when to try again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class InvalidSecurityKeyResponse(CodeRejected):
    code = reason = "invalid_webauthn"


class PossiblyClonedKey(CodeRejected):
    code = reason = "cloned_security_key"


class InvalidLabel(MfaError):
    code = "invalid_label"


class LabelTaken(MfaError):
    code = "label_taken"


class SecurityKeyNotFound(MfaError):
    code = "security_key_not_found"
