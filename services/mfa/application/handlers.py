"""Use cases of the mfa service: listing and enrolling second factors.

The second login step (checking codes, rate limits) is in `verification.py`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import mfa_pb2 as events
from gatehouse.eventstore.store import actor_from
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.adapters import code_hashes, qr, repository
from services.mfa.adapters.identity_client import Accounts
from services.mfa.adapters.sealing import SecretSealer
from services.mfa.adapters.webauthn_ceremonies import RelyingParty
from services.mfa.domain import model, rate_limits, recovery_codes, totp
from services.mfa.domain.errors import BurnedRecoveryCode, InvalidRecoveryCode, NoPendingEnrolment

PENDING_TOTP_LIFETIME_US = 10 * 60 * 1_000_000


@dataclass(frozen=True)
class Dependencies:
    units: UnitOfWorkFactory
    accounts: Accounts
    sealer: SecretSealer
    proof_key: bytes
    address_key: bytes
    limits: tuple[rate_limits.Limit, ...] = rate_limits.DEFAULT_LIMITS
    second_factor_required: bool = True
    relying_party: RelyingParty = RelyingParty("localhost", "http://localhost:8080")
    clock: Callable[[], float] = field(default=time.time)

    def now_us(self) -> int:
        return int(self.clock() * 1_000_000)


def subjects_of(user: common_pb2.Principal) -> envelope_pb2.Subjects:
    """The user an event is about, for the audit log."""
    return envelope_pb2.Subjects(user_id=user.user_id, username=user.username)


async def load_state(unit, user_id: str) -> model.MfaState:
    """The user's second factors folded from their stream."""
    return model.fold(await unit.load(model.stream_of(user_id)))


async def record(unit, state: model.MfaState, request, new_events: list) -> None:
    """Appends `new_events` to the user's stream, expecting the version `state` was folded at."""
    if new_events:
        actor = actor_from(request.context, request.user)
        await unit.record(model.stream_of(request.user.user_id), state.version, new_events, actor,
                          subjects_of(request.user))


async def list_methods(deps: Dependencies, request: mfa_pb2.ListMethodsRequest) -> mfa_pb2.ListMethodsResponse:
    """The second-factor methods the user has enrolled (empty when none). Raises UserRequired."""
    model.check_user_id(request.user_id)
    # Asked on every upload: a read-only transaction, which on SQLite does not queue for the write lock.
    async with deps.units.reading() as unit:
        methods = await repository.methods_of(unit.connection, request.user_id)
    return mfa_pb2.ListMethodsResponse(methods=model.enrolled_methods(methods))


async def generate_recovery_codes(deps: Dependencies, request) -> mfa_pb2.GenerateRecoveryCodesResponse:
    """A new set of codes replacing the old one, shown once. Raises UserRequired, EmailNotVerified."""
    user_id = request.user.user_id
    model.check_user_id(user_id)
    verified = await deps.accounts.email_verified(user_id)
    codes = recovery_codes.new_codes()
    hashes = [(str(uuid.uuid4()), await code_hashes.hash_code(recovery_codes.normalized(code))) for code in codes]

    async def handle(unit):
        state = await load_state(unit, user_id)
        await record(unit, state, request, model.generate_recovery_codes(state, user_id, verified, len(codes)))
        await repository.replace_recovery_codes(unit.connection, user_id, hashes)

    await deps.units.run(handle)
    return mfa_pb2.GenerateRecoveryCodesResponse(codes=codes)


async def matching_recovery_code(deps: Dependencies, user_id: str, code: str):
    """The stored row `code` belongs to. Raises InvalidRecoveryCode or BurnedRecoveryCode."""
    async with deps.units() as unit:
        rows = await repository.recovery_code_rows(unit.connection, user_id)
    typed = recovery_codes.normalized(code)
    for row in rows:
        if typed and await code_hashes.matches(row.code_hash, typed):
            if row.used_at_us is not None:
                raise BurnedRecoveryCode("This recovery code was already used; each code works once.")
            return row
    raise InvalidRecoveryCode("The recovery code is incorrect.")


async def confirm_recovery_codes(deps: Dependencies, request) -> mfa_pb2.ConfirmRecoveryCodesResponse:
    """Burns one code to prove the set was saved. Raises InvalidRecoveryCode, BurnedRecoveryCode."""
    model.check_user_id(request.user.user_id)
    row = await matching_recovery_code(deps, request.user.user_id, request.code)

    async def handle(unit):
        if not await repository.burn_recovery_code(unit.connection, row.code_id, deps.now_us()):
            raise BurnedRecoveryCode("This recovery code was already used; each code works once.")
        remaining = await repository.unused_code_count(unit.connection, request.user.user_id)
        state = await load_state(unit, request.user.user_id)
        confirmed = events.RecoveryCodesConfirmed(user_id=request.user.user_id, remaining=remaining)
        await record(unit, state, request, [confirmed])
        return remaining

    return mfa_pb2.ConfirmRecoveryCodesResponse(remaining=await deps.units.run(handle))


async def begin_totp_enrolment(deps: Dependencies, request) -> mfa_pb2.BeginTotpEnrolmentResponse:
    """A new pending secret with its QR code. Raises EmailNotVerified, RecoveryCodesNotConfirmed."""
    user = request.user
    model.check_user_id(user.user_id)
    verified = await deps.accounts.email_verified(user.user_id)
    secret = totp.new_secret()

    async def handle(unit):
        model.check_may_add_method(await load_state(unit, user.user_id), verified)
        sealed = deps.sealer.seal(secret, user.user_id)
        await repository.set_pending_totp(unit.connection, user.user_id, sealed, deps.now_us())

    await deps.units.run(handle)
    uri = totp.provisioning_uri(secret, user.username or user.user_id)
    return mfa_pb2.BeginTotpEnrolmentResponse(secret=secret, provisioning_uri=uri, qr_svg=qr.svg_of(uri))


async def confirm_totp_enrolment(deps: Dependencies, request) -> mfa_pb2.ConfirmTotpEnrolmentResponse:
    """Enrols the pending secret once a valid code proves the app has it. Raises NoPendingEnrolment,
    InvalidTotp, TotpClockOutOfSync, EmailNotVerified, RecoveryCodesNotConfirmed."""
    user = request.user
    model.check_user_id(user.user_id)
    verified = await deps.accounts.email_verified(user.user_id)

    async def handle(unit):
        state = await load_state(unit, user.user_id)
        model.check_may_add_method(state, verified)
        now = deps.now_us()
        pending = await repository.pending_totp_of(unit.connection, user.user_id)
        if pending is None or now - pending.created_at_us > PENDING_TOTP_LIFETIME_US:
            raise NoPendingEnrolment("Start setting up the authenticator app again; that attempt expired.")
        secret = deps.sealer.open(pending.sealed_secret, user.user_id)
        step = totp.accepted_step(secret, request.code, totp.step_at(now / 1_000_000), -1)
        factor_id = str(uuid.uuid4())
        await record(unit, state, request, model.add_totp(state, user.user_id, factor_id, step))
        if state.totp_factor_id:
            await repository.remove_factor(unit.connection, state.totp_factor_id)
        await repository.store_totp(unit.connection, user.user_id, factor_id, pending.sealed_secret, now)
        await repository.add_factor(unit.connection, factor_id, user.user_id, "totp", model.TOTP_LABEL, now)

    await deps.units.run(handle)
    return mfa_pb2.ConfirmTotpEnrolmentResponse()


async def remove_totp(deps: Dependencies, request) -> mfa_pb2.RemoveTotpResponse:
    """Removes the TOTP app. Raises LastMethod when 2FA is required and it is the only method."""
    user_id = request.user.user_id
    model.check_user_id(user_id)

    async def handle(unit):
        state = await load_state(unit, user_id)
        methods = await repository.methods_of(unit.connection, user_id)
        others = len([m for m in methods if m not in ("totp", "recovery_code")])
        required = deps.second_factor_required or request.second_factor_required
        await record(unit, state, request, model.remove_totp(state, user_id, others, required))
        if state.totp_factor_id:
            await repository.remove_factor(unit.connection, state.totp_factor_id)
            await repository.delete_totp(unit.connection, user_id)

    await deps.units.run(handle)
    return mfa_pb2.RemoveTotpResponse()
