"""TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps, 160-bit secrets. No I/O.

The HOTP arithmetic is pyotp's; this module decides which time steps are acceptable.
"""

from __future__ import annotations

import hmac

import pyotp

from services.mfa.domain.errors import InvalidTotp, ReplayedTotp, TotpClockOutOfSync

STEP_SECONDS = 30
DIGITS = 6
ACCEPTED_DRIFT = 1  # one step either side, as RFC 6238 section 5.2 recommends
SKEW_DETECTION = 10  # steps within which a match means "your clock is wrong", not "wrong code"
ISSUER = "Gatehouse"


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (32 base32 characters)."""
    return pyotp.random_base32(length=32)


def step_at(unix_seconds: float) -> int:
    """The RFC 6238 time step counter T for a Unix time."""
    return int(unix_seconds // STEP_SECONDS)


def code_at_step(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code for time step `step` (HOTP of the step counter, SHA-1)."""
    return pyotp.HOTP(secret, digits=digits).at(step)


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI authenticator apps read from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=username, issuer_name=issuer
    )


def _normalized(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str, now_step: int, drift: int) -> int | None:
    # Nearest steps first, so the accepted step is the most plausible one.
    for offset in sorted(range(-drift, drift + 1), key=abs):
        if hmac.compare_digest(code_at_step(secret, now_step + offset), code):
            return now_step + offset
    return None


def accepted_step(secret: str, code: str, now_step: int, last_step: int) -> int:
    """The time step `code` belongs to, if it may be accepted now. Raises InvalidTotp,
    ReplayedTotp (its step is at or before the last accepted one) or TotpClockOutOfSync."""
    code = _normalized(code)
    if len(code) != DIGITS or not code.isdigit():
        raise InvalidTotp("The code must be the 6 digits your authenticator app shows.")
    step = _matching_step(secret, code, now_step, ACCEPTED_DRIFT)
    if step is not None:
        if step <= last_step:
            raise ReplayedTotp("This code was already used; wait for the next code and enter that one.")
        return step
    if _matching_step(secret, code, now_step, SKEW_DETECTION) is not None:
        raise TotpClockOutOfSync(
            "Your authenticator's clock is out of sync: set its time automatically and try again."
        )
    raise InvalidTotp("The code is incorrect.")
