"""ResetSecondFactors (identity's account recovery) through the real gRPC server and SQLite:
every factor goes, each with an event, new recovery codes must be confirmed again, and a
second call does nothing."""

import grpc
import pytest

from gatehouse.mfa.v1 import mfa_pb2
from services.mfa.tests.test_component_flow import ALICE, CONTEXT, enrol_totp, stub

__all__ = ["stub"]


async def test_reset_removes_every_factor_and_is_idempotent(stub):
    await enrol_totp(stub)
    reset = mfa_pb2.ResetSecondFactorsRequest(user_id=ALICE.user_id, context=CONTEXT, reason="account_recovery")
    assert (await stub.ResetSecondFactors(reset)).methods_removed == 2  # the app and the codes
    assert list((await stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id=ALICE.user_id))).methods) == []
    assert (await stub.ResetSecondFactors(reset)).methods_removed == 0
    # Set-up starts again from recovery codes that must be confirmed.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.BeginTotpEnrolment(mfa_pb2.BeginTotpEnrolmentRequest(user=ALICE, context=CONTEXT))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await enrol_totp(stub)


async def test_reset_needs_a_user(stub):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ResetSecondFactors(mfa_pb2.ResetSecondFactorsRequest(context=CONTEXT))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
