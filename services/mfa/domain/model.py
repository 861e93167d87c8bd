"""Second factors: which methods a user has, in a stable order. No I/O.

Enrolment (TOTP, WebAuthn, recovery codes) arrives with the MFA issue; until then this module
only knows the method names the rest of Gatehouse relies on.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.mfa.domain.errors import UserRequired

# The names the identity service and the gateway expect (see proto/gatehouse/mfa/v1/mfa.proto).
METHODS = ("totp", "webauthn", "recovery_code")


def check_user_id(user_id: str) -> None:
    """Raises UserRequired when no user is named."""
    if not user_id:
        raise UserRequired("The request does not name a user.")


def enrolled_methods(methods: Iterable[str]) -> list[str]:
    """Each method once: the known ones in METHODS order, then any others sorted (a method a newer
    build enrolled is still reported, so a second factor is never silently skipped)."""
    present = set(methods)
    known = [method for method in METHODS if method in present]
    return known + sorted(present - set(METHODS))
