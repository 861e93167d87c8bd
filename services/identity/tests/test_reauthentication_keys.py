"""Re-authentication with a security key: identity asks mfa to check the answer, accepts only a
proof bound to this user and session, and records the method on SessionReauthenticated."""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.identity.v1 import identity_pb2
from gatehouse.mfa.v1 import mfa_pb2
from services.identity.adapters.mfa_client import _identity_error
from services.identity.application import reauthentication
from services.identity.application.second_factor import expected_proof
from services.identity.domain import errors
from services.identity.tests.test_account_flows import CONTEXT, deps, log_in, register  # noqa: F401
from services.identity.tests.test_lock_and_reauthentication import reauthenticate, session_of

PROOF_KEY = b"p" * 32
CREDENTIAL = '{"id": "cred-1"}'


class FakeKeys:
    """mfa as identity sees it: vouches for (or refuses) a key's answer; `sign_for` plays a
    proof made for another session."""

    def __init__(self, refuse: Exception | None = None, sign_for: str | None = None):
        self.refuse, self.sign_for, self.calls = refuse, sign_for, []

    async def methods_of(self, user_id):
        return []

    async def verify_security_key(self, user, session_id, credential_json, context):
        self.calls.append((user.user_id, session_id, credential_json))
        if self.refuse:
            raise self.refuse
        issued = reauthentication.now_us()
        proof = expected_proof(PROOF_KEY, user.user_id, self.sign_for or session_id, "webauthn", "Desk", issued)
        return mfa_pb2.VerifySecondFactorResponse(method="webauthn", label="Desk", proof=proof, issued_at_us=issued)


async def by_key(deps, token):  # noqa: F811
    request = identity_pb2.ReauthenticateRequest(session_token=token, webauthn_credential_json=CREDENTIAL,
                                                 context=CONTEXT)
    return await reauthentication.reauthenticate(deps, request)


async def reauthenticated_events(deps, user_id):  # noqa: F811
    async with deps.units() as unit:
        return [e for e in await unit.load(f"user-{user_id}") if type(e).__name__ == "SessionReauthenticated"]


async def test_a_key_vouched_for_by_mfa_marks_the_session_and_records_the_method(deps):  # noqa: F811
    keys = FakeKeys()
    deps = replace(deps, second_factors=keys, proof_key=PROOF_KEY)
    user = await register(deps, verified=True)
    login = await log_in(deps)
    session = await by_key(deps, login.session_token)
    assert session.reauthenticated_at_us >= session.created_at_us > 0
    assert (await session_of(deps, login.session_token)).reauthenticated_at_us == session.reauthenticated_at_us
    assert keys.calls == [(user.user_id, session.session_id, CREDENTIAL)]
    [event] = await reauthenticated_events(deps, user.user_id)
    assert (event.method, event.label, event.session_id) == ("webauthn", "Desk", session.session_id)


async def test_the_password_path_records_its_method(deps):  # noqa: F811
    user = await register(deps, verified=True)
    login = await log_in(deps)
    await reauthenticate(deps, login.session_token)
    [event] = await reauthenticated_events(deps, user.user_id)
    assert (event.method, event.label) == ("password", "")


@pytest.mark.parametrize("keys", [
    FakeKeys(refuse=errors.SecurityKeyRejected("This security key is not registered to your account.")),
    FakeKeys(sign_for="another-session"),
])
async def test_a_refused_or_foreign_answer_leaves_the_session_unmarked(deps, keys):  # noqa: F811
    deps = replace(deps, second_factors=keys, proof_key=PROOF_KEY)
    user = await register(deps, verified=True)
    login = await log_in(deps)
    with pytest.raises(errors.SecurityKeyRejected):
        await by_key(deps, login.session_token)
    assert (await session_of(deps, login.session_token)).reauthenticated_at_us == 0
    assert await reauthenticated_events(deps, user.user_id) == []


async def test_without_a_proof_key_no_answer_is_accepted(deps):  # noqa: F811
    deps = replace(deps, second_factors=FakeKeys(), proof_key=b"")
    await register(deps, verified=True)
    with pytest.raises(errors.SecurityKeyRejected):
        await by_key(deps, (await log_in(deps)).session_token)


def rpc_error(code, details, trailers=()):
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details)


def test_mfa_refusals_become_identity_errors():
    assert isinstance(_identity_error(rpc_error(grpc.StatusCode.UNAUTHENTICATED, "no")), errors.SecurityKeyRejected)
    limited = _identity_error(rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED, "wait", [("retry-after", "42")]))
    assert isinstance(limited, errors.RateLimited) and limited.retry_after_seconds == 42
    unavailable = rpc_error(grpc.StatusCode.UNAVAILABLE, "down")
    assert _identity_error(unavailable) is unavailable
