"""Users and sessions: rules and decisions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatehouse.events.v1 import identity_pb2 as events
from services.identity.domain.errors import (
    AccountLocked,
    InvalidUsername,
    UnacceptablePassword,
)

# PyPI's rule: letters, digits and . _ - inside, alphanumeric at both ends.
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
USERNAME_MAX = 50
PASSWORD_MIN = 8
PASSWORD_MAX = 4096


@dataclass(frozen=True)
class CreateUser:
    """Command: open an account."""

    user_id: str
    username: str
    email: str
    email_verified: bool
    created_by: str


@dataclass(frozen=True)
class UserState:
    """A user as folded from their stream."""

    user_id: str = ""
    username: str = ""
    state: str = "active"
    version: int = 0


def stream_of(user_id: str) -> str:
    return f"user-{user_id}"


def check_username(username: str) -> None:
    """Raises InvalidUsername unless `username` follows PyPI's rules."""
    if not username or len(username) > USERNAME_MAX or not USERNAME_PATTERN.match(username):
        raise InvalidUsername(
            "The username is invalid: use at most 50 letters, numbers, '.', '_' or '-', "
            "starting and ending with a letter or number."
        )


def check_password_length(password: str) -> None:
    """Raises UnacceptablePassword when the password is too short or too long."""
    if len(password) < PASSWORD_MIN:
        raise UnacceptablePassword(f"The password must be at least {PASSWORD_MIN} characters long.")
    if len(password) > PASSWORD_MAX:
        raise UnacceptablePassword(f"The password must be at most {PASSWORD_MAX} characters long.")


def fold(history: list) -> UserState:
    """The current state of a user from their events."""
    state = UserState()
    for event in history:
        if isinstance(event, events.UserCreated):
            state = UserState(event.user_id, event.username, "active", state.version)
        state = UserState(state.user_id, state.username, state.state, state.version + 1)
    return state


def create(command: CreateUser) -> list:
    """The events that open an account (validation of uniqueness is the handler's query)."""
    check_username(command.username)
    return [
        events.UserCreated(
            user_id=command.user_id,
            username=command.username,
            email=command.email,
            email_verified=command.email_verified,
            created_by=command.created_by,
        )
    ]


def login(state: UserState, password_matches: bool, session_id: str, methods: list[str]) -> list:
    """The outcome of a password check, as events. Raises AccountLocked for a locked account."""
    if not password_matches:
        return [events.LoginFailed(username=state.username, user_id=state.user_id, reason="invalid_password")]
    if state.state != "active":
        raise AccountLocked("This account is locked. Contact the index's administrators.")
    return [
        events.LoginSucceeded(
            user_id=state.user_id, session_id=session_id, second_factor_required=bool(methods)
        )
    ]
