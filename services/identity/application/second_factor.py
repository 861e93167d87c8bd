"""The second login step on the identity side: mark a session verified once mfa vouches for it.

The mfa service checks the code and signs a short-lived proof (an HMAC with a key both services
read from configuration) over the user, the session, the method and the time; the gateway only
carries it, so it cannot mark a session by itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from types import SimpleNamespace

from gatehouse.eventstore.store import now_us
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters import login_devices, repository
from services.identity.application import handlers, new_device
from services.identity.domain.errors import SessionInvalid
from services.identity.application.sessions import live_session

PROOF_LIFETIME_US = 60 * 1_000_000
PROOF_FUTURE_SLACK_US = 5 * 1_000_000


def expected_proof(key: bytes, user_id: str, session_id: str, method: str, label: str, issued_at_us: int) -> str:
    """The proof mfa signs (the same message layout as services/mfa/adapters/proofs.py)."""
    message = "\n".join((user_id, session_id, method, label, str(issued_at_us))).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def proof_is_fresh(issued_at_us: int, now: int) -> bool:
    """Whether a proof was signed within its lifetime (allowing a little clock difference)."""
    return now - PROOF_LIFETIME_US <= issued_at_us <= now + PROOF_FUTURE_SLACK_US


def _check_proof(key: bytes, row, request, now: int) -> None:
    expected = expected_proof(key, row.user_id, row.session_id, request.method, request.label, request.issued_at_us)
    fresh = proof_is_fresh(request.issued_at_us, now)
    if not (key and fresh and hmac.compare_digest(expected, request.proof)):
        raise SessionInvalid("The second login step could not be confirmed; enter a new code.")


async def complete_second_factor(deps, request: identity_pb2.CompleteSecondFactorRequest) -> identity_pb2.Session:
    """Marks the session behind the cookie as having passed its second factor, or holds it for
    the new-device check (answered with `new_device_confirmation_pending`; see new_device).
    Raises SessionInvalid for a dead session or a forged, stale or foreign proof."""
    id_hash = deps.session_tokens.id_hash(request.session_token)
    if id_hash is None:
        raise SessionInvalid("You are not logged in.")
    method = request.method[:16]

    async def handle(unit):
        row = await live_session(deps, unit.connection, id_hash, "Your session has expired; log in again.")
        now = now_us()
        _check_proof(deps.proof_key, row, request, now)
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        if await new_device.must_hold(deps, unit, row.user_id, method, request.context.ip_address):
            # A held session asking again gets no new mail (resending is rate limited).
            token = None if row.new_device_held else await new_device.hold(deps, unit, row, method, request.context)
            return _answer(deps, row, user, now, held=True), user, token
        # (also drops a pending new-device link when a held session passes with a security key)
        await login_devices.release_session(unit.connection, id_hash, method, now)
        await login_devices.remember_ip(unit.connection, row.user_id, request.context.ip_address, now)
        return _answer(deps, row, user, now, held=False, method=method), user, None

    session, user, token = await deps.units.run(handle)
    if token:
        await new_device.mail_link(deps, user, token, request.context.ip_address)
    return session


def _answer(deps, row, user, now: int, held: bool, method: str = "") -> identity_pb2.Session:
    return identity_pb2.Session(
        session_id=row.session_id, user=user, second_factor_verified=not held, csrf_token=row.csrf_token,
        created_at_us=row.created_at_us, expires_at_us=now + deps.idle_timeout_us,
        second_factor_method=method, new_device_confirmation_pending=held,
    )


async def login_with_passkey(deps, request: identity_pb2.LoginWithPasskeyRequest) -> identity_pb2.LoginWithPasskeyResponse:
    """Opens a verified session for the user a passkey sign-in proved. Raises SessionInvalid
    (forged or stale proof, unknown user) or AccountLocked; records LoginSucceeded."""
    now = now_us()
    row = SimpleNamespace(user_id=request.user_id, session_id="")
    passkey = SimpleNamespace(method="passkey", label=request.label, proof=request.proof,
                              issued_at_us=request.issued_at_us)
    _check_proof(deps.proof_key, row, passkey, now)
    async with deps.units() as unit:
        user = await repository.find_user(unit.connection, user_id=request.user_id)
    if user is None:
        raise SessionInvalid("The passkey sign-in could not be confirmed; try again.")
    token = deps.session_tokens.mint()
    session_id = secrets.token_hex(8)
    # The password step's recording, with the passkey standing in for password and second factor.
    session = await deps.units.run(
        lambda unit: handlers._record_login(deps, unit, request, user, True, token, session_id, [], "passkey")
    )
    return identity_pb2.LoginWithPasskeyResponse(session=session, session_token=token)
