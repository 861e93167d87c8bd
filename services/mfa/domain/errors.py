"""The mfa service's error tree."""

from gatehouse.errors import GatehouseError


class MfaError(GatehouseError):
    code = "mfa_error"


class UserRequired(MfaError):
    code = "user_required"
