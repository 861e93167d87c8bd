"""The tokens service's error tree.

Two branches: `TokenRequestError` refuses a management request (IssueToken, RevokeToken) and
becomes a gRPC status; `TokenInvalid` says why a presented token is refused, and VerifyToken
turns it into `valid=false` with the sentence as `reason` (never a status).
"""

from gatehouse.errors import GatehouseError

INVALID_TOKEN_PREFIX = "Invalid API Token: "


class TokenError(GatehouseError):
    code = "token_error"


class TokenRequestError(TokenError):
    code = "token_request_error"


class OwnerRequired(TokenRequestError):
    code = "owner_required"


class InvalidTokenName(TokenRequestError):
    code = "invalid_token_name"


class InvalidCaveats(TokenRequestError):
    code = "invalid_caveats"


class TokenNotFound(TokenRequestError):
    code = "token_not_found"


class TokenAlreadyRevoked(TokenRequestError):
    code = "token_revoked"


class DisclosureMalformed(TokenRequestError):
    code = "disclosure_malformed"


class DisclosureSignatureInvalid(TokenRequestError):
    code = "disclosure_signature_invalid"


class ProjectsUnavailable(TokenRequestError):
    code = "projects_unavailable"


class AccountsUnavailable(TokenRequestError):
    code = "accounts_unavailable"


class TokenInvalid(TokenError):
    """A presented token is refused; `reason` is the clause after "Invalid API Token: "."""

    code = "token_invalid"

    def __init__(self, reason: str):
        super().__init__(INVALID_TOKEN_PREFIX + reason)
        self.reason = reason


class TokenMalformed(TokenInvalid):
    code = "token_malformed"


class TokenUnknown(TokenInvalid):
    code = "token_unknown"


class SignatureInvalid(TokenInvalid):
    code = "signature_invalid"


class CaveatNotSatisfied(TokenInvalid):
    code = "caveat_not_satisfied"
