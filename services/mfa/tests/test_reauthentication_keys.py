"""Re-authentication ("sudo mode") with a security key: mfa checks an assertion against a
challenge issued for a re-authentication, for this user's own key, once."""

from __future__ import annotations

import json

import pytest

from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.adapters import proofs
from services.mfa.application import security_keys
from services.mfa.application.verification import verify_second_factor
from services.mfa.domain.errors import InvalidSecurityKeyResponse, UnknownMethod
from services.mfa.tests.conftest import CONTEXT
from services.mfa.tests.test_webauthn_guarantees import events_of
from services.mfa.tests.webauthn_helpers import RP_ID, add_key, authentication_options, key_step, principal

ALICE, BOB = principal("alice"), principal("bob")
REAUTH = "reauthenticate"


async def reauth_options(deps, user) -> dict:
    begun = await security_keys.begin_authentication(
        deps, mfa_pb2.BeginSecurityKeyAuthenticationRequest(user=user, context=CONTEXT, purpose=REAUTH))
    return json.loads(begun.options_json)


def reauth_step(user, credential: dict) -> mfa_pb2.VerifySecondFactorRequest:
    step = key_step(user, credential)
    step.purpose = REAUTH
    return step


async def test_a_reauthentication_challenge_answered_by_the_users_key_is_vouched_for(service):
    deps = service.deps
    key = await add_key(deps, ALICE, label="Desk")
    answer = await verify_second_factor(deps, reauth_step(ALICE, key.get(await reauth_options(deps, ALICE), RP_ID)))
    assert (answer.method, answer.label) == ("webauthn", "Desk")
    assert answer.proof == proofs.sign(deps.proof_key, ALICE.user_id, "s1", "webauthn", "Desk", answer.issued_at_us)
    accepted = (await events_of(deps, ALICE.user_id, "SecondFactorAccepted"))[-1]
    assert (accepted.purpose, accepted.label) == (REAUTH, "Desk")


async def test_a_reauthentication_challenge_works_once(service):
    deps = service.deps
    key = await add_key(deps, ALICE)
    options = await reauth_options(deps, ALICE)
    await verify_second_factor(deps, reauth_step(ALICE, key.get(options, RP_ID)))
    with pytest.raises(InvalidSecurityKeyResponse, match="already used"):
        await verify_second_factor(deps, reauth_step(ALICE, key.get(options, RP_ID)))
    rejected = (await events_of(deps, ALICE.user_id, "SecondFactorRejected"))[-1]
    assert (rejected.purpose, rejected.reason) == (REAUTH, "invalid_webauthn")


async def test_a_challenge_answers_only_the_ceremony_it_was_issued_for(service):
    deps = service.deps
    key = await add_key(deps, ALICE)
    with pytest.raises(InvalidSecurityKeyResponse, match="unknown or already used"):
        await verify_second_factor(deps, reauth_step(ALICE, key.get(await authentication_options(deps, ALICE), RP_ID)))
    with pytest.raises(InvalidSecurityKeyResponse, match="unknown or already used"):
        await verify_second_factor(deps, key_step(ALICE, key.get(await reauth_options(deps, ALICE), RP_ID)))


async def test_another_users_key_cannot_reauthenticate(service):
    deps = service.deps
    await add_key(deps, ALICE)
    bobs_key = await add_key(deps, BOB)
    options = await reauth_options(deps, ALICE)
    # Bob's authenticator signs a challenge issued to Alice with his own key.
    with pytest.raises(InvalidSecurityKeyResponse, match="not registered to your account"):
        await verify_second_factor(deps, reauth_step(ALICE, bobs_key.get(options, RP_ID)))


async def test_only_a_security_key_can_reauthenticate_and_only_known_purposes_exist(service):
    deps = service.deps
    with pytest.raises(UnknownMethod):
        await verify_second_factor(deps, mfa_pb2.VerifySecondFactorRequest(
            user=ALICE, method="totp", code="123456", session_id="s1", context=CONTEXT, purpose=REAUTH))
    with pytest.raises(UnknownMethod):
        await security_keys.begin_authentication(
            deps, mfa_pb2.BeginSecurityKeyAuthenticationRequest(user=ALICE, context=CONTEXT, purpose="register"))
