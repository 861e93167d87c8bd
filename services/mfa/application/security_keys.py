"""WebAuthn security keys: registration, listing, removal and the assertion check of a login."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from gatehouse.events.v1 import mfa_pb2 as events
from gatehouse.eventstore.store import actor_from
from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.adapters import repository, webauthn_ceremonies
from services.mfa.adapters.tables import second_factors, security_keys, webauthn_challenges
from services.mfa.application.handlers import Dependencies, load_state, record, subjects_of
from services.mfa.domain import model
from services.mfa.domain.errors import (
    InvalidLabel,
    InvalidSecurityKeyResponse,
    LabelTaken,
    LastMethod,
    NoSuchMethod,
    PossiblyClonedKey,
    SecurityKeyNotFound,
)

CHALLENGE_LIFETIME_US = 5 * 60 * 1_000_000
LABEL_MAX = 64


def check_label(label: str) -> str:
    """The label trimmed. Raises InvalidLabel unless it has 1-64 characters."""
    label = label.strip()
    if not 1 <= len(label) <= LABEL_MAX:
        raise InvalidLabel("Name the security key with 1 to 64 characters.")
    return label


async def keys_of(connection, user_id: str) -> list:
    """The user's keys, oldest first."""
    query = sa.select(security_keys).where(security_keys.c.user_id == user_id).order_by(security_keys.c.created_at_us)
    return list(await connection.execute(query))


async def save_challenge(deps: Dependencies, challenge: str, user_id: str, purpose: str, label: str = "") -> None:
    """Stores an outstanding challenge (single use, 5 minutes)."""
    async def handle(unit):
        await unit.connection.execute(sa.insert(webauthn_challenges).values(
            challenge=challenge, user_id=user_id, purpose=purpose, label=label, created_at_us=deps.now_us()))

    await deps.units.run(handle)


async def take_challenge(deps: Dependencies, challenge: str, user_id: str, purpose: str):
    """The challenge row, deleted and committed before the answer is checked, so that it works
    once even when the answer is then refused. Raises InvalidSecurityKeyResponse when it is
    unknown, another user's, for another ceremony, or older than 5 minutes."""
    table = webauthn_challenges

    async def handle(unit):
        query = sa.select(table).where(table.c.challenge == challenge, table.c.user_id == user_id,
                                       table.c.purpose == purpose)
        row = (await unit.connection.execute(query)).first()
        if row is not None:
            await unit.connection.execute(sa.delete(table).where(table.c.challenge == challenge))
        return row

    row = await deps.units.run(handle)
    if row is None:
        raise InvalidSecurityKeyResponse("The security key answered an unknown or already used challenge; try again.")
    if deps.now_us() - row.created_at_us > CHALLENGE_LIFETIME_US:
        raise InvalidSecurityKeyResponse("The security key challenge expired after 5 minutes; try again.")
    return row


async def begin_registration(deps: Dependencies, request) -> mfa_pb2.BeginSecurityKeyRegistrationResponse:
    """Creation options for a new key. Raises InvalidLabel, LabelTaken, EmailNotVerified,
    RecoveryCodesNotConfirmed."""
    user = request.user
    model.check_user_id(user.user_id)
    label = check_label(request.label)
    verified = await deps.accounts.email_verified(user.user_id)
    async with deps.units() as unit:
        model.check_may_add_method(await load_state(unit, user.user_id), verified)
        keys = await keys_of(unit.connection, user.user_id)
    if any(key.label == label for key in keys):
        raise LabelTaken(f"You already have a security key named '{label}'.")
    options, challenge = deps.relying_party.registration_options(
        user.user_id, user.username, [key.credential_id for key in keys])
    await save_challenge(deps, challenge, user.user_id, "register", label)
    return mfa_pb2.BeginSecurityKeyRegistrationResponse(options_json=options)


def key_message(row) -> mfa_pb2.SecurityKey:
    """A key as the API shows it (never the public key)."""
    return mfa_pb2.SecurityKey(key_id=row.key_id, label=row.label, passkey=row.passkey,
                               created_at_us=row.created_at_us)


async def complete_registration(deps: Dependencies, request) -> mfa_pb2.CompleteSecurityKeyRegistrationResponse:
    """Verifies the new credential and adds the key. Raises InvalidSecurityKeyResponse, LabelTaken."""
    user = request.user
    model.check_user_id(user.user_id)
    label = check_label(request.label)
    challenge = webauthn_ceremonies.challenge_of(request.credential_json)
    row = await take_challenge(deps, challenge, user.user_id, "register")
    if row.label != label:
        raise InvalidSecurityKeyResponse("The key's name changed during registration; try again.")

    async def handle(unit):
        if any(key.label == label for key in await keys_of(unit.connection, user.user_id)):
            raise LabelTaken(f"You already have a security key named '{label}'.")
        return await _add_key(deps, unit, request, label, challenge)

    return mfa_pb2.CompleteSecurityKeyRegistrationResponse(key=await deps.units.run(handle))


async def _add_key(deps, unit, request, label: str, challenge: str) -> mfa_pb2.SecurityKey:
    new = deps.relying_party.verify_registration(request.credential_json, challenge)
    user_id, key_id, now = request.user.user_id, str(uuid.uuid4()), deps.now_us()
    state = await load_state(unit, user_id)
    added = events.SecondFactorAdded(user_id=user_id, factor_id=key_id, method="webauthn", label=label)
    await record(unit, state, request, [added])
    values = dict(key_id=key_id, user_id=user_id, credential_id=new.credential_id, label=label,
                  public_key=new.public_key, sign_count=new.sign_count, passkey=False, created_at_us=now)
    await unit.connection.execute(sa.insert(security_keys).values(**values))
    await repository.add_factor(unit.connection, key_id, user_id, "webauthn", label, now)
    return mfa_pb2.SecurityKey(key_id=key_id, label=label, created_at_us=now)


async def list_keys(deps: Dependencies, request) -> mfa_pb2.ListSecurityKeysResponse:
    """The user's security keys (never their public keys)."""
    model.check_user_id(request.user.user_id)
    async with deps.units() as unit:
        keys = await keys_of(unit.connection, request.user.user_id)
    return mfa_pb2.ListSecurityKeysResponse(keys=[key_message(key) for key in keys])


async def remove_key(deps: Dependencies, request) -> mfa_pb2.RemoveSecurityKeyResponse:
    """Removes one of the user's keys. Raises SecurityKeyNotFound, LastMethod."""
    user_id = request.user.user_id
    model.check_user_id(user_id)

    async def handle(unit):
        keys = await keys_of(unit.connection, user_id)
        key = next((k for k in keys if k.key_id == request.key_id), None)
        if key is None:
            raise SecurityKeyNotFound("You have no security key with that id.")
        state = await load_state(unit, user_id)
        if deps.second_factor_required and len(keys) == 1 and not state.totp_factor_id:
            raise LastMethod("Two-factor authentication is required: add another method before removing this one.")
        removed = events.SecondFactorRemoved(user_id=user_id, factor_id=key.key_id, method="webauthn", label=key.label)
        await record(unit, state, request, [removed])
        await unit.connection.execute(sa.delete(security_keys).where(security_keys.c.key_id == key.key_id))
        await unit.connection.execute(sa.delete(second_factors).where(second_factors.c.factor_id == key.key_id))

    await deps.units.run(handle)
    return mfa_pb2.RemoveSecurityKeyResponse()


async def begin_authentication(deps: Dependencies, request) -> mfa_pb2.BeginSecurityKeyAuthenticationResponse:
    """Request options naming the user's keys, for the login step or (purpose "reauthenticate")
    a re-authentication. Raises UserRequired, UnknownMethod (another purpose) or NoSuchMethod
    when they have no key."""
    model.check_user_id(request.user.user_id)
    model.check_purpose(request.purpose)
    async with deps.units() as unit:
        keys = await keys_of(unit.connection, request.user.user_id)
    if not keys:
        raise NoSuchMethod("No security key is set up for this account.")
    options, challenge = deps.relying_party.authentication_options([key.credential_id for key in keys])
    await save_challenge(deps, challenge, request.user.user_id, model.challenge_purpose(request.purpose))
    return mfa_pb2.BeginSecurityKeyAuthenticationResponse(options_json=options)


async def check_assertion(deps: Dependencies, request) -> tuple[str, int]:
    """Verifies a second step (or, by `request.purpose`, a re-authentication) made with a
    security key; (label, unused recovery codes). Raises InvalidSecurityKeyResponse (also for a
    key that is not this user's, a challenge issued for another purpose, or a bad signature) or
    PossiblyClonedKey (a validly signed counter that went backwards: recorded, and refused)."""
    presented = webauthn_ceremonies.presented_assertion(request.code)
    async with deps.units() as unit:
        keys = await keys_of(unit.connection, request.user.user_id)
    # verify_authentication_response only checks the signature against the key it is given,
    # so the credential must be looked up among this user's keys, never globally.
    key = next((k for k in keys if k.credential_id == presented.credential_id), None)
    if key is None:
        raise InvalidSecurityKeyResponse("This security key is not registered to your account.")
    await take_challenge(deps, presented.challenge, request.user.user_id, model.challenge_purpose(request.purpose))
    count = verified_count(deps, request.code, presented.challenge, key)
    principal = request.user

    async def handle(unit):
        if not await advance_sign_count(unit.connection, key, count):
            return None
        accepted = events.SecondFactorAccepted(user_id=principal.user_id, method="webauthn", label=key.label,
                                               session_id=request.session_id, purpose=request.purpose)
        await record(unit, await load_state(unit, principal.user_id), request, [accepted])
        await repository.touch_factor(unit.connection, principal.user_id, "webauthn", deps.now_us())
        return await repository.unused_code_count(unit.connection, principal.user_id)

    remaining = await deps.units.run(handle)
    if remaining is None:
        await record_clone(deps, request.context, principal, key, count)
    return key.label, remaining


def verified_count(deps: Dependencies, credential_json: str, challenge: str, key, user_verified: bool = False) -> int:
    """The signature counter of an assertion whose signature checks out with the key's stored
    public key. Raises InvalidSecurityKeyResponse. The counter is compared afterwards (never
    before): an unsigned low counter must not be able to make a key look cloned."""
    return deps.relying_party.verify_authentication(credential_json, challenge, key.public_key, 0,
                                                    user_verified=user_verified)


async def advance_sign_count(connection, key, count: int) -> bool:
    """Stores a verified counter; False when it did not go up (a possibly cloned key). A key
    that never counts (0 both times) is accepted. The update is conditional, so two parallel
    assertions with one counter cannot both pass."""
    table = security_keys
    if count == 0 and key.sign_count == 0:
        return True
    result = await connection.execute(
        sa.update(table).where(table.c.key_id == key.key_id, table.c.sign_count < count).values(sign_count=count))
    return result.rowcount == 1


async def record_clone(deps: Dependencies, context, principal, key, presented: int) -> None:
    """Records SecurityKeyCloneSuspected for a validly signed counter regression. Raises
    PossiblyClonedKey (always)."""
    suspected = events.SecurityKeyCloneSuspected(
        user_id=key.user_id, key_id=key.key_id, label=key.label, stored_sign_count=key.sign_count,
        presented_sign_count=presented)

    async def handle(unit):
        await repository.serialise(unit.connection, repository.stream_lock(key.user_id))
        await unit.record(model.stream_of(key.user_id), None, [suspected], actor_from(context, principal),
                          subjects_of(principal))

    await deps.units.run(handle)
    raise PossiblyClonedKey("This security key may have been cloned; it was refused. Use another method.")

