"""Use cases of the identity service: one small async function per command."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from, now_us
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.identity.v1 import identity_pb2
from gatehouse.mail import Mailer
from services.identity.adapters import login_devices, repository
from services.identity.adapters.breached_passwords import BreachedPasswordChecker, BundledPasswordList
from services.identity.adapters.mfa_client import SecondFactors
from services.identity.adapters.passwords import Argon2Passwords
from services.identity.adapters.session_tokens import SessionTokens
from services.identity.application import email_verification, new_passwords
from services.identity.domain import login_limits, model
from services.identity.domain.login_limits import LoginLimits
from services.identity.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    SessionInvalid,
    UserNotFound,
    UsernameTaken,
)

WRONG_CREDENTIALS = "The username or password is incorrect."


@dataclass(frozen=True)
class Dependencies:
    units: UnitOfWorkFactory
    passwords: Argon2Passwords
    session_tokens: SessionTokens
    second_factors: SecondFactors
    idle_timeout_us: int = 12 * 3600 * 1_000_000
    # A session check writes last-seen only when the stored value is older than this (see
    # get_session): the idle timeout then ends a session at most this much early.
    session_touch_interval_us: int = 60 * 1_000_000
    # Shared with the mfa service: checks its proofs of a passed second factor.
    proof_key: bytes = b""
    # Signs the tokens of mailed verification links; without it (or a mailer) none are sent.
    verification_tokens: SessionTokens | None = None
    # Signs the tokens of mailed password reset links; without it (or a mailer) none are sent.
    reset_tokens: SessionTokens | None = None
    mailer: Mailer | None = None
    origin: str = "http://localhost:8080"
    # Refuses common/breached new passwords (bootstrap: the bundled list, plus the range API if set).
    breached_passwords: BreachedPasswordChecker = field(default_factory=lambda: BundledPasswordList(frozenset))
    # Lower-cased usernames the operator does not allow (GATEHOUSE_PROHIBITED_USERNAMES).
    prohibited_usernames: frozenset[str] = frozenset()
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    # New-device check (application/new_device.py): on unless GATEHOUSE_NEW_DEVICE_CHECK=0; its
    # links are signed with `new_device_tokens` (none: no check).
    new_device_check: bool = True
    new_device_tokens: SessionTokens | None = None
    # Account recovery (application/recovery.py): links signed with `recovery_tokens`; the
    # waiting period after the identity link is opened; mfa's ResetSecondFactors.
    recovery_tokens: SessionTokens | None = None
    recovery_wait_us: int = 24 * 3600 * 1_000_000


def _subjects(user: identity_pb2.User) -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(user_id=user.user_id, username=user.username)


def normalized_email(address: str) -> str:
    """The address as email-validator normalizes it. Raises InvalidEmail."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidEmail(f"The e-mail address is invalid: {error}") from error


async def create_user(deps: Dependencies, request: identity_pb2.CreateUserRequest) -> identity_pb2.User:
    """Opens an account and, unless the address is already verified, mails a verification link.
    Raises InvalidUsername (or UsernameProhibited), InvalidEmail, UnacceptablePassword,
    UsernameTaken or EmailTaken."""
    model.check_username(request.username)
    model.check_username_allowed(request.username, deps.prohibited_usernames)
    email = normalized_email(request.email)
    await new_passwords.check_new_password(deps.breached_passwords, request.password, request.username, email)
    password_hash = await deps.passwords.hash(request.password)
    user = identity_pb2.User(
        user_id=str(uuid.uuid4()),
        username=request.username,
        email=email,
        email_verified=request.email_verified,
        state="active",
        created_at_us=now_us(),
    )
    created_by = "operator" if request.actor.operator else "registration"

    async def handle(unit):
        if await repository.find_user(unit.connection, username=user.username):
            raise UsernameTaken(f"The username '{user.username}' is already taken.")
        if await repository.email_in_use(unit.connection, email):
            raise EmailTaken("This e-mail address is already used by another account.")
        command = model.CreateUser(user.user_id, user.username, email, user.email_verified, created_by)
        actor = actor_from(request.context, request.actor)
        await unit.record(model.stream_of(user.user_id), 0, model.create(command), actor, _subjects(user))
        await repository.add_user(unit.connection, user, password_hash)
        if created_by == "registration":  # as PyPI: the registration IP counts as a known login IP
            await login_devices.remember_ip(unit.connection, user.user_id, request.context.ip_address, now_us())
        return user

    created = await deps.units.run(handle)
    if not created.email_verified:
        await email_verification.mail_link(deps, created, resent=False)
    return created


async def get_user(deps: Dependencies, request: identity_pb2.GetUserRequest) -> identity_pb2.User:
    """A user by id or username. Raises UserNotFound."""
    # Read-only: never waits for identity's write lock (see get_session).
    user = await deps.units.read(
        lambda unit: repository.find_user(unit.connection, user_id=request.user_id, username=request.username)
    )
    if user is None:
        raise UserNotFound("No such user.")
    return user


async def login(deps: Dependencies, request: identity_pb2.LoginRequest) -> identity_pb2.LoginResponse:
    """Checks the password and opens a session. Raises InvalidCredentials or AccountLocked;
    a failure is recorded (on the user's stream, or the client IP's for unknown usernames).
    Raises RateLimited, before any check, after too many recent failures (see login_limits)."""
    async with deps.units() as unit:
        user = await repository.find_user(unit.connection, username=request.username)
        await _check_login_limits(deps, unit, user, request.context.ip_address)
        stored_hash = await repository.password_hash_of(unit.connection, user.user_id) if user else None
    matches = await deps.passwords.verify(stored_hash, request.password)
    if user is None:
        await _record_unknown_user(deps, request)
        raise InvalidCredentials(WRONG_CREDENTIALS)
    methods = await deps.second_factors.methods_of(user.user_id) if matches else []
    token = deps.session_tokens.mint()
    session_id = secrets.token_hex(8)
    outcome = await deps.units.run(
        lambda unit: _record_login(deps, unit, request, user, matches, token, session_id, methods)
    )
    if outcome is None:
        raise InvalidCredentials(WRONG_CREDENTIALS)
    return identity_pb2.LoginResponse(session=outcome, session_token=token)


async def _check_login_limits(deps: Dependencies, unit, user, ip_address: str) -> None:
    """Raises RateLimited when the user, the IP or the whole index failed too often lately."""
    now = now_us()
    since = now - deps.login_limits.window_seconds * 1_000_000
    connection, limits = unit.connection, deps.login_limits
    stream = model.stream_of(user.user_id) if user else ""
    failures = login_limits.RecentFailures(
        user=await repository.login_failures_since(connection, since, limits.per_user, stream=stream) if user else (),
        ip=await repository.login_failures_since(connection, since, limits.per_ip, ip=ip_address) if ip_address else (),
        global_=await repository.login_failures_since(connection, since, limits.global_),
    )
    login_limits.check(limits, failures, now)


async def _record_login(deps, unit, request, user, matches, token, session_id, methods, second_factor_method=""):
    history = await unit.load(model.stream_of(user.user_id))
    state = model.fold(history)
    new_events = model.login(state, matches, session_id, methods)
    actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
    await unit.record(model.stream_of(user.user_id), state.version, new_events, actor, _subjects(user))
    if not matches:
        return None
    return await _open_session(deps, unit, request.context, user, token, session_id, methods, second_factor_method)


async def _open_session(
    deps, unit, context, user, token, session_id, methods, second_factor_method=""
) -> identity_pb2.Session:
    now = now_us()
    session = identity_pb2.Session(
        session_id=session_id,
        user=user,
        second_factor_verified=not methods,
        second_factor_methods=methods,
        second_factor_method=second_factor_method,
        csrf_token=secrets.token_urlsafe(32),
        created_at_us=now,
        expires_at_us=now + deps.idle_timeout_us,
    )
    await repository.add_session(
        unit.connection,
        id_hash=deps.session_tokens.id_hash(token),
        session_id=session_id,
        user_id=user.user_id,
        second_factor_verified=session.second_factor_verified,
        second_factor_method=second_factor_method,
        csrf_token=session.csrf_token,
        created_at_us=now,
        last_seen_us=now,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
    )
    if session.second_factor_verified:  # a completed login: its IP is known from now on
        await login_devices.remember_ip(unit.connection, user.user_id, context.ip_address, now)
    return session


async def _record_unknown_user(deps: Dependencies, request: identity_pb2.LoginRequest) -> None:
    # PyPI drops these; we keep them on the client address's stream (warehouse #6447).
    failed = events.LoginFailed(username=request.username[:100], reason="unknown_username")
    stream = "ip-" + hashlib.sha256(request.context.ip_address.encode()).hexdigest()[:32]
    actor = actor_from(request.context)

    async def handle(unit):
        await unit.record(stream, None, [failed], actor, envelope_pb2.Subjects())

    await deps.units.run(handle)


async def get_session(deps: Dependencies, request: identity_pb2.GetSessionRequest) -> identity_pb2.Session:
    """The live session behind a cookie value. Raises SessionInvalid (forged, unknown, ended, idle).

    Most checks only read (no write lock, so they never queue behind the notifier or other
    writers); last-seen is written only when the stored value is older than
    `session_touch_interval_us`, so a session may idle out up to that much early, never late.
    """
    id_hash = deps.session_tokens.id_hash(request.session_token)
    if id_hash is None:
        raise SessionInvalid("You are not logged in.")
    now = now_us()
    row, user = await deps.units.read(lambda unit: _active_session(deps, unit.connection, id_hash, now))
    if now - row.last_seen_us < deps.session_touch_interval_us:
        return _session_message(row, user, row.last_seen_us + deps.idle_timeout_us)

    async def touch(unit):
        # Checked again under the write lock: the session may have ended since the read.
        moment = now_us()
        fresh, owner = await _active_session(deps, unit.connection, id_hash, moment)
        await repository.touch_session(unit.connection, id_hash, moment)
        return _session_message(fresh, owner, moment + deps.idle_timeout_us)

    return await deps.units.run(touch)


async def _active_session(deps: Dependencies, connection, id_hash: str, now: int):
    """The (session row, user) of a live session. Raises SessionInvalid."""
    row = await repository.find_session(connection, id_hash)
    if row is None or now - row.last_seen_us > deps.idle_timeout_us:
        raise SessionInvalid("Your session has expired; log in again.")
    user = await repository.find_user(connection, user_id=row.user_id)
    if user is None or user.state != "active":
        raise SessionInvalid("You are not logged in.")
    return row, user


def _session_message(row, user, expires_at_us) -> identity_pb2.Session:
    return identity_pb2.Session(
        session_id=row.session_id,
        user=user,
        second_factor_verified=row.second_factor_verified,
        second_factor_method=row.second_factor_method,
        csrf_token=row.csrf_token,
        created_at_us=row.created_at_us,
        expires_at_us=expires_at_us,
        reauthenticated_at_us=row.reauthenticated_at_us,
        new_device_confirmation_pending=row.new_device_held,
    )


async def logout(deps: Dependencies, request: identity_pb2.LogoutRequest) -> None:
    """Ends the session server-side; an unknown or already ended session is not an error."""
    id_hash = deps.session_tokens.id_hash(request.session_token)
    if id_hash is None:
        return

    async def handle(unit):
        row = await repository.find_session(unit.connection, id_hash)
        if row is None:
            return
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        ended = events.SessionEnded(user_id=row.user_id, session_id=row.session_id, reason="logout")
        actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
        await unit.record(model.stream_of(row.user_id), None, [ended], actor, _subjects(user))
        await repository.remove_session(unit.connection, id_hash)

    await deps.units.run(handle)
