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
