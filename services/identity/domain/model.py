"""Users and sessions: rules and decisions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gatehouse.events.v1 import identity_pb2 as events
from services.identity.domain.errors import (
    AccountLocked,
    AccountStateUnchanged,
    EmailAlreadyVerified,
    EmailIsPrimary,
    EmailNotFound,
    EmailNotVerified,
    EmailTaken,
    InvalidUsername,
    TooManyEmails,
    UsernameProhibited,
)

LOCKED_MESSAGE = "This account is locked; contact the index's operators."

# PyPI's rule: letters, digits and . _ - inside, alphanumeric at both ends.
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
USERNAME_MAX = 50
# Addresses an account may have besides its primary one.
MAX_OTHER_EMAILS = 10


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
    # Addresses besides the primary: (address, verified) in the order they were added.
    other_emails: tuple[tuple[str, bool], ...] = ()

    def other_email(self, email: str) -> tuple[str, bool] | None:
        """The (address, verified) pair of a non-primary address, compared case-insensitively."""
        return next((pair for pair in self.other_emails if pair[0].lower() == email.lower()), None)


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
    if isinstance(event, events.EmailVerified):
        return replace(state, other_emails=tuple((e, v or e == event.email) for e, v in state.other_emails))
    if isinstance(event, events.EmailAdded):
        return replace(state, other_emails=(*state.other_emails, (event.email, False)))
    if isinstance(event, events.EmailRemoved):
        return replace(state, other_emails=tuple(p for p in state.other_emails if p[0] != event.email))
    if isinstance(event, events.EmailChanged):
        kept = tuple(p for p in state.other_emails if p[0] != event.new_email)
        return replace(state, email=event.new_email, email_verified=True,
                       other_emails=(*kept, (event.old_email, state.email_verified)))
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
    """Confirms the address `email` a link was mailed to (the primary or another one). Raises
    EmailAlreadyVerified when it already is, or when the account no longer has it."""
    other = state.other_email(email)
    unverified_primary = email == state.email and not state.email_verified
    if not unverified_primary and (other is None or other[1] or other[0] != email):
        raise EmailAlreadyVerified("This e-mail address is already verified, or is no longer on your account.")
    return [events.EmailVerified(user_id=state.user_id, email=email)]


def add_email(state: UserState, email: str) -> list:
    """Adds a (normalized) address, unverified. Raises EmailTaken when the account has it already
    and TooManyEmails beyond MAX_OTHER_EMAILS (uniqueness across accounts is the handler's query)."""
    if email.lower() == state.email.lower() or state.other_email(email):
        raise EmailTaken("This e-mail address is already on your account.")
    if len(state.other_emails) >= MAX_OTHER_EMAILS:
        raise TooManyEmails(f"An account can have at most {MAX_OTHER_EMAILS} addresses besides the primary one; remove one first.")
    return [events.EmailAdded(user_id=state.user_id, email=email)]


def remove_email(state: UserState, email: str) -> list:
    """Removes a non-primary address. Raises EmailIsPrimary or EmailNotFound."""
    if email.lower() == state.email.lower():
        raise EmailIsPrimary("The primary address cannot be removed; make another verified address primary first.")
    other = state.other_email(email)
    if other is None:
        raise EmailNotFound("This e-mail address is not on your account.")
    return [events.EmailRemoved(user_id=state.user_id, email=other[0])]


def set_primary_email(state: UserState, email: str) -> list:
    """Makes a verified non-primary address the primary one. Raises EmailNotFound (also for the
    current primary: nothing to change) or EmailNotVerified."""
    other = state.other_email(email)
    if other is None:
        raise EmailNotFound("This e-mail address is not one of your other addresses.")
    if not other[1]:
        raise EmailNotVerified("Only a verified address can become primary; open the link mailed to it first.")
    return [events.EmailChanged(user_id=state.user_id, old_email=state.email, new_email=other[0])]


def request_password_reset(state: UserState) -> list:
    """The event of a reset link mailed to the primary address."""
    return [events.PasswordResetRequested(user_id=state.user_id, email=state.email)]


def reset_password(state: UserState, session_ids: list[str]) -> list:
    """A password set through a reset link: it ends every session of the user."""
    ended = [events.SessionEnded(user_id=state.user_id, session_id=s, reason="password_reset") for s in session_ids]
    return [events.PasswordReset(user_id=state.user_id, sessions_ended=len(session_ids)), *ended]


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


def reauthenticated(state: UserState, session_id: str, method: str = "password", label: str = "") -> list:
    """The event of a session whose user re-entered a correct password (method "password") or
    answered with their security key (method "webauthn", with the key's label)."""
    return [events.SessionReauthenticated(user_id=state.user_id, session_id=session_id, method=method,
                                          label=label)]
