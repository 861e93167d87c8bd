"""Passkey sign-in: a security key the user enabled for it, as the only factor, with user
verification required. The answer names the user and carries a proof for identity's
LoginWithPasskey."""

from __future__ import annotations

import sqlalchemy as sa
from webauthn.helpers import bytes_to_base64url

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import mfa_pb2 as events
from gatehouse.eventstore.store import actor_from
from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.adapters import proofs, repository, webauthn_ceremonies
from services.mfa.adapters.tables import security_keys
from services.mfa.application.handlers import Dependencies, load_state, record
from services.mfa.application.security_keys import (
    advance_sign_count,
    keys_of,
    record_clone,
    save_challenge,
    take_challenge,
    verified_count,
)
from services.mfa.domain import model
from services.mfa.domain.errors import CodeRejected, InvalidSecurityKeyResponse, SecurityKeyNotFound


async def set_passkey(deps: Dependencies, request) -> mfa_pb2.SetPasskeySignInResponse:
    """Turns passkey sign-in on or off for one of the user's keys. Raises SecurityKeyNotFound."""
    user_id = request.user.user_id
    model.check_user_id(user_id)

    async def handle(unit):
        key = next((k for k in await keys_of(unit.connection, user_id) if k.key_id == request.key_id), None)
        if key is None:
            raise SecurityKeyNotFound("You have no security key with that id.")
        changed = events.PasskeySignInChanged(user_id=user_id, key_id=key.key_id, label=key.label,
                                              enabled=request.enabled)
        await record(unit, await load_state(unit, user_id), request, [changed])
        await unit.connection.execute(
            sa.update(security_keys).where(security_keys.c.key_id == key.key_id).values(passkey=request.enabled))
        return mfa_pb2.SecurityKey(key_id=key.key_id, label=key.label, passkey=request.enabled,
                                   created_at_us=key.created_at_us)

    return mfa_pb2.SetPasskeySignInResponse(key=await deps.units.run(handle))


async def begin_sign_in(deps: Dependencies, request) -> mfa_pb2.BeginPasskeySignInResponse:
    """Request options naming no user (the authenticator offers its discoverable keys)."""
    options, challenge = deps.relying_party.passkey_options()
    await save_challenge(deps, challenge, "", "passkey")
    return mfa_pb2.BeginPasskeySignInResponse(options_json=options)


async def _registered_key(deps: Dependencies, presented):
    async with deps.units() as unit:
        query = sa.select(security_keys).where(security_keys.c.credential_id == presented.credential_id)
        key = (await unit.connection.execute(query)).first()
    if key is None:
        raise InvalidSecurityKeyResponse("This key is not set up for passkey sign-in; log in with your password.")
    return key


async def verify_sign_in(deps: Dependencies, request) -> mfa_pb2.VerifyPasskeySignInResponse:
    """Checks a passkey assertion. Raises InvalidSecurityKeyResponse or PossiblyClonedKey; a
    refusal for a registered key is recorded (SecondFactorRejected) in its owner's stream."""
    presented = webauthn_ceremonies.presented_assertion(request.credential_json)
    key = await _registered_key(deps, presented)
    principal = common_pb2.Principal(user_id=key.user_id)
    try:
        await _check_passkey(deps, request, presented, key, principal)
    except CodeRejected as error:
        await _record_failure(deps, request, principal, error.reason)
        raise
    issued_at = deps.now_us()
    proof = proofs.sign(deps.proof_key, key.user_id, "", "passkey", key.label, issued_at)
    return mfa_pb2.VerifyPasskeySignInResponse(user_id=key.user_id, label=key.label, proof=proof,
                                               issued_at_us=issued_at)


async def _check_passkey(deps: Dependencies, request, presented, key, principal) -> None:
    if not key.passkey:
        raise InvalidSecurityKeyResponse("This key is not set up for passkey sign-in; log in with your password.")
    if presented.user_handle and presented.user_handle != bytes_to_base64url(key.user_id.encode()):
        raise InvalidSecurityKeyResponse("The key answered for another account.")
    await take_challenge(deps, presented.challenge, "", "passkey")
    count = verified_count(deps, request.credential_json, presented.challenge, key, user_verified=True)

    async def handle(unit):
        if not await advance_sign_count(unit.connection, key, count):
            return False
        accepted = events.SecondFactorAccepted(user_id=key.user_id, method="passkey", label=key.label)
        state = await load_state(unit, key.user_id)
        await unit.record(model.stream_of(key.user_id), state.version, [accepted],
                          actor_from(request.context, principal), envelope_pb2.Subjects(user_id=key.user_id))
        return True

    if not await deps.units.run(handle):
        await record_clone(deps, request.context, principal, key, count)


async def _record_failure(deps: Dependencies, request, principal, reason: str) -> None:
    rejected = events.SecondFactorRejected(user_id=principal.user_id, method="passkey", reason=reason)

    async def handle(unit):
        await repository.serialise(unit.connection, repository.stream_lock(principal.user_id))
        await unit.record(model.stream_of(principal.user_id), None, [rejected],
                          actor_from(request.context, principal), envelope_pb2.Subjects(user_id=principal.user_id))

    await deps.units.run(handle)
