"""The second login step: check a TOTP or recovery code, under rate limits, and sign a proof."""

from __future__ import annotations

import hashlib
import hmac

from gatehouse.events.v1 import mfa_pb2 as events
from gatehouse.eventstore.store import actor_from
from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.adapters import proofs, repository
from services.mfa.application import security_keys
from services.mfa.application.handlers import (
    Dependencies,
    load_state,
    matching_recovery_code,
    record,
    subjects_of,
)
from services.mfa.domain import model, rate_limits, totp
from services.mfa.domain.errors import BurnedRecoveryCode, CodeRejected, NoSuchMethod, RateLimited


def address_key(deps: Dependencies, ip_address: str) -> str:
    """A keyed hash of the client address: limits work per address without storing it."""
    return hmac.new(deps.address_key, ip_address.encode(), hashlib.sha256).hexdigest()[:32]


async def verify_second_factor(deps: Dependencies, request) -> mfa_pb2.VerifySecondFactorResponse:
    """Checks a second-step code and answers a proof for the identity service.

    Raises UserRequired, UnknownMethod, RateLimited (then no code is checked), or a CodeRejected
    (InvalidTotp, ReplayedTotp, TotpClockOutOfSync, InvalidRecoveryCode, BurnedRecoveryCode,
    NoSuchMethod, InvalidSecurityKeyResponse, PossiblyClonedKey); every failure is recorded as an
    event and counts towards the limits."""
    model.check_user_id(request.user.user_id)
    model.check_method(request.method, request.purpose)
    attempt = await _reserve_attempt(deps, request, address_key(deps, request.context.ip_address))
    try:
        label, remaining = await _check(deps, request)
    except CodeRejected as error:
        await _record_rejection(deps, request, error.reason)  # the reservation stays: it is the failure
        raise
    except Exception:
        await _release(deps, attempt)
        raise
    await _release(deps, attempt)
    issued_at = deps.now_us()
    proof = proofs.sign(deps.proof_key, request.user.user_id, request.session_id, request.method, label, issued_at)
    return mfa_pb2.VerifySecondFactorResponse(
        method=request.method, label=label, proof=proof, remaining_recovery_codes=remaining, issued_at_us=issued_at
    )


async def _check(deps: Dependencies, request) -> tuple[str, int]:
    if request.method == "totp":
        return await _check_totp(deps, request)
    if request.method == "webauthn":
        return await security_keys.check_assertion(deps, request)
    return await _check_recovery_code(deps, request)


async def _reserve_attempt(deps: Dependencies, request, key: str) -> int:
    """Counts the attempt as a failure before its code is checked (released if it succeeds), in
    one serialised step with the count: parallel wrong codes cannot all slip under a limit.
    Answers the reservation's id. Raises RateLimited (recorded as an event, not counted)."""
    user_id = request.user.user_id

    async def handle(unit):
        await repository.serialise(unit.connection, f"mfa-user:{user_id}", f"mfa-ip:{key}")
        now = deps.now_us()
        since = now - rate_limits.longest_window(deps.limits) * rate_limits.US
        failures = await repository.failure_times(unit.connection, user_id, key, since)
        blocked = rate_limits.blocked_for(deps.limits, failures, now)
        if blocked is not None:
            return None, blocked
        return await repository.add_failure(unit.connection, user_id, key, now), None

    attempt, blocked = await deps.units.run(handle)
    if blocked is None:
        return attempt
    limit, seconds = blocked
    await _record_rejection(deps, request, "rate_limited", limit.describe(), seconds)
    raise RateLimited(
        f"Too many failed attempts; try again in {_duration(seconds)}.", retry_after_seconds=seconds
    )


async def _release(deps: Dependencies, attempt: int) -> None:
    async def handle(unit):
        await repository.release_failure(unit.connection, attempt)

    await deps.units.run(handle)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


async def _record_rejection(deps, request, reason: str, limit: str = "", retry: int = 0) -> None:
    rejected = events.SecondFactorRejected(
        user_id=request.user.user_id, method=request.method, reason=reason, session_id=request.session_id,
        limit=limit, retry_after_seconds=retry, purpose=request.purpose,
    )

    async def handle(unit):
        # No expected version: a failure never conflicts with anything (serialised per stream so
        # that a burst of failures does not exhaust the retries).
        await repository.serialise(unit.connection, repository.stream_lock(request.user.user_id))
        actor = actor_from(request.context, request.user)
        await unit.record(model.stream_of(request.user.user_id), None, [rejected], actor, subjects_of(request.user))

    await deps.units.run(handle)


async def _check_totp(deps: Dependencies, request) -> tuple[str, int]:
    async def handle(unit):
        state = await load_state(unit, request.user.user_id)
        row = await repository.totp_of(unit.connection, request.user.user_id)
        if row is None or not state.totp_factor_id:
            raise NoSuchMethod("No authenticator app is set up for this account.")
        secret = deps.sealer.open(row.sealed_secret, request.user.user_id)
        now = deps.now_us()
        step = totp.accepted_step(secret, request.code, totp.step_at(now / 1_000_000), state.last_totp_step)
        # Recording at the folded version makes two racing uses of one code conflict: the retry
        # sees the first one's step and refuses the second as a replay.
        await record(unit, state, request, [_accepted(request, model.TOTP_LABEL, step)])
        await repository.touch_factor(unit.connection, request.user.user_id, "totp", now)
        return model.TOTP_LABEL, await repository.unused_code_count(unit.connection, request.user.user_id)

    return await deps.units.run(handle)


async def _check_recovery_code(deps: Dependencies, request) -> tuple[str, int]:
    row = await matching_recovery_code(deps, request.user.user_id, request.code)

    async def handle(unit):
        if not await repository.burn_recovery_code(unit.connection, row.code_id, deps.now_us()):
            raise BurnedRecoveryCode("This recovery code was already used; each code works once.")
        remaining = await repository.unused_code_count(unit.connection, request.user.user_id)
        state = await load_state(unit, request.user.user_id)
        used = events.RecoveryCodeUsed(user_id=request.user.user_id, remaining=remaining)
        await record(unit, state, request, [used, _accepted(request, "", 0)])
        return "", remaining

    return await deps.units.run(handle)


def _accepted(request, label: str, step: int) -> events.SecondFactorAccepted:
    return events.SecondFactorAccepted(
        user_id=request.user.user_id, method=request.method, label=label, session_id=request.session_id,
        totp_step=step,
    )
