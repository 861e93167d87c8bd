"""WebAuthn guarantees with a software authenticator against a real database: challenges expire
after 5 minutes and work once, origin and RP id are verified, passkeys need user verification
and the right user, and a key is called cloned only for a validly signed counter regression."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

from services.mfa.application import passkeys
from services.mfa.application.verification import verify_second_factor
from services.mfa.domain import model
from services.mfa.domain.errors import InvalidSecurityKeyResponse, PossiblyClonedKey
from services.mfa.tests.webauthn_helpers import (
    RP_ID,
    add_key,
    authentication_options,
    key_step,
    passkey_options,
    passkey_request,
    principal,
)

ALICE, BOB = principal("alice"), principal("bob")


async def types_in_stream(deps, user_id: str) -> list[str]:
    async with deps.units() as unit:
        return [type(event).__name__ for event in await unit.load(model.stream_of(user_id))]


async def events_of(deps, user_id: str, kind: str) -> list:
    async with deps.units() as unit:
        return [event for event in await unit.load(model.stream_of(user_id)) if type(event).__name__ == kind]


async def test_an_authentication_challenge_expires_after_five_minutes(service):
    deps, clock = service.deps, service.clock
    key = await add_key(deps, ALICE)
    options = await authentication_options(deps, ALICE)
    clock.now += 5 * 60 + 1
    with pytest.raises(InvalidSecurityKeyResponse, match="expired"):
        await verify_second_factor(deps, key_step(ALICE, key.get(options, RP_ID)))

    options = await authentication_options(deps, ALICE)
    clock.now += 5 * 60 - 1
    accepted = await verify_second_factor(deps, key_step(ALICE, key.get(options, RP_ID)))
    assert accepted.method == "webauthn" and accepted.label == "Key"


async def test_an_authentication_challenge_works_once_even_after_a_refusal(service):
    deps = service.deps
    key = await add_key(deps, ALICE)
    options = await authentication_options(deps, ALICE)
    await verify_second_factor(deps, key_step(ALICE, key.get(options, RP_ID)))
    with pytest.raises(InvalidSecurityKeyResponse, match="already used"):
        await verify_second_factor(deps, key_step(ALICE, key.get(options, RP_ID)))

    refused_once = await authentication_options(deps, ALICE)
    with pytest.raises(InvalidSecurityKeyResponse):
        await verify_second_factor(deps, key_step(ALICE, key.get(refused_once, "evil.example")))
    with pytest.raises(InvalidSecurityKeyResponse, match="already used"):
        await verify_second_factor(deps, key_step(ALICE, key.get(refused_once, RP_ID)))


async def test_a_wrong_origin_or_rp_id_is_refused(service):
    deps = service.deps
    key = await add_key(deps, ALICE)
    for answer in (
        lambda options: key.get(options, RP_ID, origin="https://evil.example"),
        lambda options: key.get(options, "evil.example"),
    ):
        with pytest.raises(InvalidSecurityKeyResponse, match="refused"):
            await verify_second_factor(deps, key_step(ALICE, answer(await authentication_options(deps, ALICE))))
    rejected = await events_of(deps, ALICE.user_id, "SecondFactorRejected")
    assert [event.reason for event in rejected] == ["invalid_webauthn", "invalid_webauthn"]
    assert "SecondFactorAccepted" not in await types_in_stream(deps, ALICE.user_id)


async def test_a_low_counter_with_a_bad_signature_is_invalid_not_a_clone(service):
    deps = service.deps
    key = await add_key(deps, ALICE)
    await verify_second_factor(deps, key_step(ALICE, key.get(await authentication_options(deps, ALICE), RP_ID)))
    forger = type(key)(key.origin)
    forger.credential_id = key.credential_id  # the id is in the options; the private key is not
    with pytest.raises(InvalidSecurityKeyResponse):
        await verify_second_factor(
            deps, key_step(ALICE, forger.get(await authentication_options(deps, ALICE), RP_ID, sign_count=0)))
    assert "SecurityKeyCloneSuspected" not in await types_in_stream(deps, ALICE.user_id)


async def test_a_signed_counter_regression_is_recorded_as_a_possible_clone(service):
    deps = service.deps
    key = await add_key(deps, ALICE)
    for _ in range(2):
        await verify_second_factor(deps, key_step(ALICE, key.get(await authentication_options(deps, ALICE), RP_ID)))
    with pytest.raises(PossiblyClonedKey):
        await verify_second_factor(
            deps, key_step(ALICE, key.get(await authentication_options(deps, ALICE), RP_ID, sign_count=1)))
    [suspected] = await events_of(deps, ALICE.user_id, "SecurityKeyCloneSuspected")
    assert (suspected.label, suspected.stored_sign_count, suspected.presented_sign_count) == ("Key", 2, 1)
    assert (await events_of(deps, ALICE.user_id, "SecondFactorRejected"))[-1].reason == "cloned_security_key"


async def test_a_passkey_sign_in_needs_user_verification(service):
    deps = service.deps
    key = await add_key(deps, ALICE, passkey=True)
    with pytest.raises(InvalidSecurityKeyResponse, match="refused"):
        await passkeys.verify_sign_in(deps, passkey_request(key.get(await passkey_options(deps), RP_ID,
                                                                    user_verified=False)))
    signed_in = await passkeys.verify_sign_in(deps, passkey_request(key.get(await passkey_options(deps), RP_ID)))
    assert signed_in.user_id == ALICE.user_id and signed_in.proof
    [rejected] = await events_of(deps, ALICE.user_id, "SecondFactorRejected")
    assert (rejected.method, rejected.reason) == ("passkey", "invalid_webauthn")


async def test_a_passkey_answering_for_another_user_is_refused(service):
    deps = service.deps
    key = await add_key(deps, ALICE, passkey=True)
    await add_key(deps, BOB, passkey=True)
    credential = key.get(await passkey_options(deps), RP_ID, user_handle=BOB.user_id.encode())
    with pytest.raises(InvalidSecurityKeyResponse, match="another account"):
        await passkeys.verify_sign_in(deps, passkey_request(credential))
    own = key.get(await passkey_options(deps), RP_ID, user_handle=ALICE.user_id.encode())
    assert (await passkeys.verify_sign_in(deps, passkey_request(own))).user_id == ALICE.user_id
    assert bytes_to_base64url(ALICE.user_id.encode()) == own["response"]["userHandle"]


async def test_a_passkey_with_a_bad_signature_or_a_signed_regression(service):
    deps = service.deps
    key = await add_key(deps, ALICE, passkey=True)
    key.key = ec.generate_private_key(ec.SECP256R1())  # the same credential id, another private key
    with pytest.raises(InvalidSecurityKeyResponse):
        await passkeys.verify_sign_in(deps, passkey_request(key.get(await passkey_options(deps), RP_ID, sign_count=0)))
    assert "SecurityKeyCloneSuspected" not in await types_in_stream(deps, ALICE.user_id)


async def test_a_passkey_with_a_signed_counter_regression_is_a_possible_clone(service):
    deps = service.deps
    key = await add_key(deps, ALICE, passkey=True)
    await passkeys.verify_sign_in(deps, passkey_request(key.get(await passkey_options(deps), RP_ID, sign_count=5)))
    with pytest.raises(PossiblyClonedKey):
        await passkeys.verify_sign_in(deps, passkey_request(key.get(await passkey_options(deps), RP_ID, sign_count=5)))
    assert len(await events_of(deps, ALICE.user_id, "SecurityKeyCloneSuspected")) == 1
    assert (await events_of(deps, ALICE.user_id, "SecondFactorRejected"))[-1].reason == "cloned_security_key"
