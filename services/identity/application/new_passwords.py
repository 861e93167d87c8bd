"""The rules a new password must pass, with the breached-password check behind its port."""

from __future__ import annotations

from services.identity.adapters.breached_passwords import BreachedPasswordChecker
from services.identity.domain import password_rules


async def check_new_password(checker: BreachedPasswordChecker, password: str, username: str, email: str) -> None:
    """Length, then the common/breached lists, then zxcvbn strength with the username and
    address as guessable. Raises UnacceptablePassword with the first failure."""
    password_rules.check_length(password)
    password_rules.check_not_breached(await checker.is_breached(password))
    password_rules.check_strength(password, password_rules.guessable_inputs(username, email))
