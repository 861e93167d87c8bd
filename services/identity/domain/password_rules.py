"""Which new passwords are acceptable: length, strength (zxcvbn) and a common-password list. Pure."""

from __future__ import annotations

from collections.abc import Collection

from zxcvbn import zxcvbn

from services.identity.domain.errors import UnacceptablePassword

PASSWORD_MIN = 8
PASSWORD_MAX = 4096
MIN_STRENGTH = 2  # zxcvbn's scale 0-4; 2 resists online guessing with rate limits (as PyPI)
# zxcvbn refuses longer input (ValueError) and slows down with length; the first 72 characters
# of a longer password are what it scores.
STRENGTH_CHECKED_CHARS = 72


def check_length(password: str) -> None:
    """Raises UnacceptablePassword when the password is too short or too long."""
    if len(password) < PASSWORD_MIN:
        raise UnacceptablePassword(f"The password must be at least {PASSWORD_MIN} characters long.")
    if len(password) > PASSWORD_MAX:
        raise UnacceptablePassword(f"The password must be at most {PASSWORD_MAX} characters long.")


def check_not_breached(breached: bool) -> None:
    """Raises UnacceptablePassword when a list of common or breached passwords holds the password
    (`breached`, as a BreachedPasswordChecker answered)."""
    if breached:
        raise UnacceptablePassword(
            "This password is on a list of common or breached passwords; choose another one."
        )


def check_not_common(password: str, common: Collection[str]) -> None:
    """Raises UnacceptablePassword when the password is on the list of common or breached ones
    (`common` holds lower-cased entries)."""
    check_not_breached(password.lower() in common)


def check_strength(password: str, user_inputs: list[str]) -> None:
    """Raises UnacceptablePassword when zxcvbn scores it under 2, counting the username and
    e-mail address (in `user_inputs`) as guessable."""
    result = zxcvbn(password[:STRENGTH_CHECKED_CHARS], user_inputs=[value for value in user_inputs if value])
    if result["score"] < MIN_STRENGTH:
        hint = result["feedback"].get("warning") or "it is too easy to guess"
        raise UnacceptablePassword(f"This password is too weak ({hint.rstrip('.').lower()}); choose a longer, less predictable one.")


def check_new_password(password: str, username: str, email: str, common: Collection[str]) -> None:
    """Every rule a new password must pass. Raises UnacceptablePassword with the first failure."""
    check_length(password)
    check_not_common(password, common)
    check_strength(password, guessable_inputs(username, email))


def guessable_inputs(username: str, email: str) -> list[str]:
    """What zxcvbn should count as known to an attacker of this account."""
    return [username, email, email.partition("@")[0]]


def parse_common_passwords(text: str) -> frozenset[str]:
    """The entries of a common-password list: one a line, `#` comments, compared lower-cased."""
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line.lower() for line in lines if line and not line.startswith("#"))
