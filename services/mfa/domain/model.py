"""Second factors of one user: state folded from events, decisions as events. No I/O.

Secrets (TOTP seeds, recovery-code hashes) never enter events; the handlers keep them in
their own tables. The events say what happened, which is what the audit log and mails need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from gatehouse.events.v1 import mfa_pb2 as events
from services.mfa.domain.errors import (
    EmailNotVerified,
    LastMethod,
    RecoveryCodesNotConfirmed,
    UnknownMethod,
    UserRequired,
)

# The names the identity service and the gateway expect (see proto/gatehouse/mfa/v1/mfa.proto).
METHODS = ("totp", "webauthn", "recovery_code")
VERIFIABLE = ("totp", "webauthn", "recovery_code")
REAUTHENTICATE = "reauthenticate"
# The ceremony an assertion answers: "" the second login step, or a re-authentication, which
# only a security key can make (TOTP and recovery codes are not offered for it).
PURPOSES = ("", REAUTHENTICATE)
TOTP_LABEL = "Authenticator app"


@dataclass(frozen=True)
class MfaState:
    """A user's second factors as folded from their `mfa-<user_id>` stream."""

    version: int = 0
    recovery_codes_generated: bool = False
    recovery_codes_confirmed: bool = False
    totp_factor_id: str = ""
    last_totp_step: int = -1


def stream_of(user_id: str) -> str:
    """The event stream of a user's second factors."""
    return f"mfa-{user_id}"


def fold(history: Iterable) -> MfaState:
    """The current state from the user's events (unknown types only bump the version)."""
    state = MfaState()
    for event in history:
        state = _apply(state, event)
        state = replace(state, version=state.version + 1)
    return state


def _apply(state: MfaState, event) -> MfaState:
    if isinstance(event, (events.RecoveryCodesGenerated, events.RecoveryCodesRegenerated)):
        return replace(state, recovery_codes_generated=True, recovery_codes_confirmed=False)
    if isinstance(event, events.RecoveryCodesConfirmed):
        return replace(state, recovery_codes_confirmed=True)
    if isinstance(event, events.SecondFactorAdded) and event.method == "totp":
        return replace(state, totp_factor_id=event.factor_id, last_totp_step=event.totp_step)
    if isinstance(event, events.SecondFactorRemoved) and event.method == "totp":
        return replace(state, totp_factor_id="")
    if isinstance(event, events.SecondFactorRemoved) and event.method == "recovery_code":
        # Only account recovery removes the codes: a new set must be made and confirmed again.
        return replace(state, recovery_codes_generated=False, recovery_codes_confirmed=False)
    if isinstance(event, events.SecondFactorAccepted) and event.method == "totp":
        return replace(state, last_totp_step=max(state.last_totp_step, event.totp_step))
    return state


def check_user_id(user_id: str) -> None:
    """Raises UserRequired when no user is named."""
    if not user_id:
        raise UserRequired("The request does not name a user.")


def check_method(method: str, purpose: str = "") -> None:
    """Raises UnknownMethod for a method that cannot be checked with a code, or one that cannot
    serve the purpose (re-authentication takes a security key only)."""
    if method not in VERIFIABLE:
        raise UnknownMethod(f"Unknown second-factor method '{method}'; use one of {', '.join(VERIFIABLE)}.")
    check_purpose(purpose)
    if purpose == REAUTHENTICATE and method != "webauthn":
        raise UnknownMethod("Re-authentication takes your password or a security key.")


def check_purpose(purpose: str) -> None:
    """Raises UnknownMethod for a ceremony other than the login step or a re-authentication."""
    if purpose not in PURPOSES:
        raise UnknownMethod(f"Unknown purpose '{purpose}'; use '' (login) or '{REAUTHENTICATE}'.")


def challenge_purpose(purpose: str) -> str:
    """The stored challenge's purpose for an assertion ceremony (the login step keeps its old name)."""
    return purpose or "authenticate"


def enrolled_methods(methods: Iterable[str]) -> list[str]:
    """Each method once: the known ones in METHODS order, then any others sorted (a method a newer
    build enrolled is still reported, so a second factor is never silently skipped)."""
    present = set(methods)
    known = [method for method in METHODS if method in present]
    return known + sorted(present - set(METHODS))


def generate_recovery_codes(state: MfaState, user_id: str, email_verified: bool, count: int) -> list:
    """The event of a new set (first or replacement). Raises EmailNotVerified."""
    if not email_verified:
        raise EmailNotVerified("Verify your e-mail address before setting up two-factor authentication.")
    if state.recovery_codes_generated:
        return [events.RecoveryCodesRegenerated(user_id=user_id, count=count)]
    return [events.RecoveryCodesGenerated(user_id=user_id, count=count)]


def check_may_add_method(state: MfaState, email_verified: bool) -> None:
    """Raises EmailNotVerified or RecoveryCodesNotConfirmed ("burn one" comes first, as on PyPI)."""
    if not email_verified:
        raise EmailNotVerified("Verify your e-mail address before setting up two-factor authentication.")
    if not state.recovery_codes_confirmed:
        raise RecoveryCodesNotConfirmed(
            "Generate recovery codes and confirm you saved them by entering one before adding this method."
        )


def add_totp(state: MfaState, user_id: str, factor_id: str, step: int) -> list:
    """The events of a confirmed TOTP enrolment (a new app replaces an old one)."""
    removed = []
    if state.totp_factor_id:
        removed = [events.SecondFactorRemoved(user_id=user_id, factor_id=state.totp_factor_id, method="totp",
                                              label=TOTP_LABEL)]
    added = events.SecondFactorAdded(user_id=user_id, factor_id=factor_id, method="totp", label=TOTP_LABEL,
                                     totp_step=step)
    return removed + [added]


def remove_totp(state: MfaState, user_id: str, other_methods: int, second_factor_required: bool) -> list:
    """The event removing the TOTP app. Raises LastMethod when 2FA is required and nothing else remains."""
    if not state.totp_factor_id:
        return []
    if second_factor_required and other_methods == 0:
        raise LastMethod("Two-factor authentication is required: add another method before removing this one.")
    return [events.SecondFactorRemoved(user_id=user_id, factor_id=state.totp_factor_id, method="totp",
                                       label=TOTP_LABEL)]
