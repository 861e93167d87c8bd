"""Users and sessions: rules and decisions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gatehouse.events.v1 import identity_pb2 as events
from services.identity.domain.errors import (
    AccountLocked,
    AccountStateUnchanged,
    EmailAlreadyVerified,
    InvalidUsername,
    UsernameProhibited,
)

LOCKED_MESSAGE = "This account is locked; contact the index's operators."

# PyPI's rule: letters, digits and . _ - inside, alphanumeric at both ends.
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
USERNAME_MAX = 50


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
    email: str = ""
    email_verified: bool = False


def stream_of(user_id: str) -> str:
    return f"user-{user_id}"


def check_username(username: str) -> None:
    """Raises InvalidUsername unless `username` follows PyPI's rules."""
    if not username or len(username) > USERNAME_MAX or not USERNAME_PATTERN.match(username):
        raise InvalidUsername(
            "The username is invalid: use at most 50 letters, numbers, '.', '_' or '-', "
            "starting and ending with a letter or number."
        )


def check_username_allowed(username: str, prohibited: frozenset[str]) -> None:
    """Raises UsernameProhibited when the operator's list (lower-cased) holds the username."""
    if username.lower() in prohibited:
        raise UsernameProhibited(f"The username '{username}' is not allowed on this index; choose another one.")


def _apply(state: UserState, event) -> UserState:
    if isinstance(event, events.UserCreated):
        return replace(state, user_id=event.user_id, username=event.username, state="active",
                       email=event.email, email_verified=event.email_verified)
    if isinstance(event, events.EmailVerified) and event.email == state.email:
        return replace(state, email_verified=True)
    if isinstance(event, events.UserLocked):
        return replace(state, state="locked")
    if isinstance(event, events.UserUnlocked):
        return replace(state, state="active")
    return state


def fold(history: list) -> UserState:
    """The current state of a user from their events."""
    state = UserState()
    for event in history:
        state = replace(_apply(state, event), version=state.version + 1)
    return state


def verify_email(state: UserState, email: str) -> list:
    """Confirms the primary address `email` (the one the link was mailed to). Raises
    EmailAlreadyVerified when it already is, or when the primary address has changed since."""
    if state.email_verified or email != state.email:
        raise EmailAlreadyVerified("This e-mail address is already verified, or is no longer your primary address.")
    return [events.EmailVerified(user_id=state.user_id, email=email)]


def change_password(state: UserState, sessions_ended: int) -> list:
    """The event of a password change whose current password was checked."""
    return [events.PasswordChanged(user_id=state.user_id, sessions_ended=sessions_ended)]


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
        raise AccountLocked(LOCKED_MESSAGE)
    return [
        events.LoginSucceeded(
            user_id=state.user_id, session_id=session_id, second_factor_required=bool(methods)
        )
    ]


def lock(state: UserState, reason: str, session_ids: list[str]) -> list:
    """Locks an active account and ends its sessions. Raises AccountStateUnchanged when it is
    already locked."""
    if state.state == "locked":
        raise AccountStateUnchanged(f"The account {state.username} is already locked.")
    ended = [events.SessionEnded(user_id=state.user_id, session_id=session_id, reason="account_locked")
             for session_id in session_ids]
    return [events.UserLocked(user_id=state.user_id, reason=reason[:500], sessions_ended=len(ended)), *ended]


def unlock(state: UserState) -> list:
    """Unlocks a locked account. Raises AccountStateUnchanged when it is not locked."""
    if state.state != "locked":
        raise AccountStateUnchanged(f"The account {state.username} is not locked.")
    return [events.UserUnlocked(user_id=state.user_id)]


def reauthenticated(state: UserState, session_id: str) -> list:
    """The event of a session whose user re-entered a correct password."""
    return [events.SessionReauthenticated(user_id=state.user_id, session_id=session_id)]
