"""Enrolment and the second step through a real grpc.aio server and SQLite (no NATS, no identity)."""

import time

import grpc
import pyotp
import pytest

from gatehouse.common.v1 import common_pb2
from gatehouse.grpc_runtime.errors import ErrorInterceptor
from gatehouse.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from gatehouse.settings import load
from gatehouse.service_runtime import build_runtime
from services.mfa.adapters.sealing import SecretSealer
from services.mfa.adapters.tables import metadata, store
from services.mfa.application.handlers import Dependencies
from services.mfa.bootstrap import MIGRATIONS, bootstrap
from services.mfa.domain import rate_limits
from services.mfa.entrypoints.grpc_server import MfaServicer

ALICE = common_pb2.Principal(user_id="u-alice", username="alice")
CONTEXT = common_pb2.RequestContext(ip_address="192.0.2.7")


class VerifiedAccounts:
    async def email_verified(self, user_id):
        return user_id != "u-unverified"


@pytest.fixture
async def stub(tmp_path):
    settings = load({"GATEHOUSE_DATA": str(tmp_path)})
    process = bootstrap(settings)  # migrates the database
    runtime = build_runtime(settings, "mfa", metadata, store, MIGRATIONS)
    deps = Dependencies(
        units=runtime.units, accounts=VerifiedAccounts(), sealer=SecretSealer(settings.secret("mfa")),
        proof_key=b"k" * 32, address_key=b"a" * 32, limits=rate_limits.parse("user:3/300"),
    )
    server = grpc.aio.server(interceptors=[ErrorInterceptor(process.errors)])
    mfa_pb2_grpc.add_MfaServiceServicer_to_server(MfaServicer(deps), server)
    (tmp_path / "run").mkdir(exist_ok=True)
    server.add_insecure_port(process.address)
    await server.start()
    channel = grpc.aio.insecure_channel(process.address)
    yield mfa_pb2_grpc.MfaServiceStub(channel)
    await channel.close()
    await server.stop(None)
    await runtime.close()
    for hook in process.on_stop:
        await hook()


async def enrol_totp(stub) -> str:
    codes = (await stub.GenerateRecoveryCodes(mfa_pb2.GenerateRecoveryCodesRequest(user=ALICE, context=CONTEXT))).codes
    await stub.ConfirmRecoveryCodes(mfa_pb2.ConfirmRecoveryCodesRequest(user=ALICE, code=codes[0], context=CONTEXT))
    begun = await stub.BeginTotpEnrolment(mfa_pb2.BeginTotpEnrolmentRequest(user=ALICE, context=CONTEXT))
    assert begun.qr_svg.lstrip().startswith("<?xml") and "<svg" in begun.qr_svg
    code = pyotp.TOTP(begun.secret).at(time.time() - 30)
    await stub.ConfirmTotpEnrolment(mfa_pb2.ConfirmTotpEnrolmentRequest(user=ALICE, code=code, context=CONTEXT))
    return begun.secret


def verify(stub, method, code):
    return stub.VerifySecondFactor(mfa_pb2.VerifySecondFactorRequest(
        user=ALICE, method=method, code=code, session_id="s1", context=CONTEXT))


async def test_totp_needs_confirmed_recovery_codes(stub):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.BeginTotpEnrolment(mfa_pb2.BeginTotpEnrolmentRequest(user=ALICE, context=CONTEXT))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_enrol_then_verify_then_replay_is_refused(stub):
    secret = await enrol_totp(stub)
    methods = await stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id=ALICE.user_id))
    assert list(methods.methods) == ["totp", "recovery_code"]
    code = pyotp.TOTP(secret).now()
    accepted = await verify(stub, "totp", code)
    assert accepted.proof and accepted.remaining_recovery_codes == 7
    with pytest.raises(grpc.aio.AioRpcError) as replayed:
        await verify(stub, "totp", code)
    assert replayed.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert dict(replayed.value.trailing_metadata())["gatehouse-error-code"] == "replayed_totp"


async def test_too_many_failures_are_refused_with_a_retry_after_trailer(stub):
    await enrol_totp(stub)
    for _ in range(3):
        with pytest.raises(grpc.aio.AioRpcError):
            await verify(stub, "recovery_code", "aaaa-bbbb-cccc-dddd")
    with pytest.raises(grpc.aio.AioRpcError) as limited:
        await verify(stub, "totp", "000000")
    trailer = dict(limited.value.trailing_metadata())
    assert limited.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert trailer["gatehouse-error-code"] == "rate_limited" and 0 < int(trailer["retry-after"]) <= 300
