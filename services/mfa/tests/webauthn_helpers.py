"""Enrolling a software security key through the application layer, for the component tests."""

from __future__ import annotations

import json

from gatehouse.common.v1 import common_pb2
from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.application import handlers, passkeys, security_keys
from services.mfa.tests.conftest import CONTEXT, ORIGIN
from tests.integration.soft_authenticator import SoftAuthenticator

RP_ID = "index.example"


def principal(name: str) -> common_pb2.Principal:
    return common_pb2.Principal(user_id=f"u-{name}", username=name)


async def confirm_recovery_codes(deps, user) -> list[str]:
    codes = (await handlers.generate_recovery_codes(
        deps, mfa_pb2.GenerateRecoveryCodesRequest(user=user, context=CONTEXT))).codes
    await handlers.confirm_recovery_codes(
        deps, mfa_pb2.ConfirmRecoveryCodesRequest(user=user, code=codes[0], context=CONTEXT))
    return list(codes[1:])


async def add_key(deps, user, label: str = "Key", passkey: bool = False) -> SoftAuthenticator:
    """A soft authenticator registered to `user` (recovery codes confirmed first)."""
    await confirm_recovery_codes(deps, user)
    begun = await security_keys.begin_registration(
        deps, mfa_pb2.BeginSecurityKeyRegistrationRequest(user=user, label=label, context=CONTEXT))
    authenticator = SoftAuthenticator(ORIGIN)
    credential = json.dumps(authenticator.create(json.loads(begun.options_json)))
    added = await security_keys.complete_registration(deps, mfa_pb2.CompleteSecurityKeyRegistrationRequest(
        user=user, label=label, credential_json=credential, context=CONTEXT))
    if passkey:
        await passkeys.set_passkey(deps, mfa_pb2.SetPasskeySignInRequest(
            user=user, key_id=added.key.key_id, enabled=True, context=CONTEXT))
    return authenticator


async def authentication_options(deps, user) -> dict:
    begun = await security_keys.begin_authentication(
        deps, mfa_pb2.BeginSecurityKeyAuthenticationRequest(user=user, context=CONTEXT))
    return json.loads(begun.options_json)


def key_step(user, credential: dict) -> mfa_pb2.VerifySecondFactorRequest:
    return mfa_pb2.VerifySecondFactorRequest(user=user, method="webauthn", code=json.dumps(credential),
                                             session_id="s1", context=CONTEXT)


async def passkey_options(deps) -> dict:
    begun = await passkeys.begin_sign_in(deps, mfa_pb2.BeginPasskeySignInRequest(context=CONTEXT))
    return json.loads(begun.options_json)


def passkey_request(credential: dict) -> mfa_pb2.VerifyPasskeySignInRequest:
    return mfa_pb2.VerifyPasskeySignInRequest(credential_json=json.dumps(credential), context=CONTEXT)
