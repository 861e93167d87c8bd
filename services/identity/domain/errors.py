"""The identity service's error tree."""

from gatehouse.errors import GatehouseError


class IdentityError(GatehouseError):
    code = "identity_error"


class InvalidUsername(IdentityError):
    code = "invalid_username"


class InvalidEmail(IdentityError):
    code = "invalid_email"


class UnacceptablePassword(IdentityError):
    code = "unacceptable_password"


class UsernameTaken(IdentityError):
    code = "username_taken"


class EmailTaken(IdentityError):
    code = "email_taken"


class UserNotFound(IdentityError):
    code = "user_not_found"


class InvalidCredentials(IdentityError):
    code = "invalid_credentials"


class AccountLocked(IdentityError):
    code = "account_locked"


class SessionInvalid(IdentityError):
    code = "session_invalid"


class UsernameProhibited(InvalidUsername):
    code = "username_prohibited"


class WrongPassword(IdentityError):
    """The current password given to confirm a change is wrong (the session itself is fine)."""

    code = "wrong_password"


class SecurityKeyRejected(IdentityError):
    """A security key's answer offered to confirm a change was refused by the mfa service (not
    this user's key, an unknown, used or expired challenge, a bad signature)."""

    code = "security_key_rejected"


class AccountStateUnchanged(IdentityError):
    """Locking a locked account, or unlocking one that is not locked."""

    code = "account_state_unchanged"


class OperatorRequired(IdentityError):
    code = "operator_required"


class EmailAlreadyVerified(IdentityError):
    code = "email_already_verified"


class VerificationLinkInvalid(IdentityError):
    code = "verification_link_invalid"


class RateLimited(IdentityError):
    """Too many attempts; `retry_after_seconds` says when to try again (sent as a trailer)."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
        self.trailers = (("retry-after", str(retry_after_seconds)),)


class ResetLinkInvalid(IdentityError):
    code = "reset_link_invalid"


class EmailNotFound(IdentityError):
    code = "email_not_found"


class EmailIsPrimary(IdentityError):
    """The primary address cannot be removed (make another one primary first)."""

    code = "email_is_primary"


class EmailNotVerified(IdentityError):
    code = "email_not_verified"


class TooManyEmails(IdentityError):
    code = "too_many_emails"


class NewDeviceLinkInvalid(IdentityError):
    code = "new_device_link_invalid"


class NewDeviceIpMismatch(IdentityError):
    """A new-device confirmation link was opened from another IP than the held login's."""

    code = "new_device_ip_mismatch"


class LoginNotHeld(IdentityError):
    code = "login_not_held"


class RecoveryLinkInvalid(IdentityError):
    code = "recovery_link_invalid"


class NoVerifiedEmail(IdentityError):
    code = "no_verified_email"


class RecoveryInProgress(IdentityError):
    code = "recovery_in_progress"


class NoRecoveryInProgress(IdentityError):
    code = "no_recovery_in_progress"
