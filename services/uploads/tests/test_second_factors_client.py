"""The mfa client remembers a yes for a moment (every upload would otherwise ask mfa) and never
remembers a no (a factor added after a refusal counts at once)."""

import grpc

from gatehouse.mfa.v1 import mfa_pb2
from services.uploads.adapters.second_factors import GrpcSecondFactors


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class MfaStub:
    def __init__(self, methods):
        self.methods = list(methods)
        self.asked = 0

    async def ListMethods(self, request, timeout):  # noqa: N802 - the gRPC method's name
        self.asked += 1
        return mfa_pb2.ListMethodsResponse(methods=self.methods)


def client(stub, clock) -> GrpcSecondFactors:
    factors = GrpcSecondFactors(grpc.aio.insecure_channel("127.0.0.1:9"), ttl_seconds=2.0, clock=clock)
    factors._stub = stub  # never connected: the fake answers instead
    return factors


async def test_a_yes_is_remembered_for_the_cache_period_then_asked_again():
    clock, stub = Clock(), MfaStub(["totp"])
    factors = client(stub, clock)
    assert await factors.has_second_factor("u1") and await factors.has_second_factor("u1")
    assert stub.asked == 1
    stub.methods = []  # the last factor removed: seen once the remembered yes expires
    clock.now += 2.5
    assert not await factors.has_second_factor("u1")
    assert stub.asked == 2


async def test_a_no_is_never_remembered():
    clock, stub = Clock(), MfaStub(["recovery_code"])  # recovery codes alone are no second factor
    factors = client(stub, clock)
    assert not await factors.has_second_factor("u1")
    stub.methods = ["webauthn"]
    assert await factors.has_second_factor("u1")
    assert stub.asked == 2
