"""A locked owner's tokens are refused (identity owns the lock; the tokens service asks it),
and the answer is cached only briefly."""

import grpc
import pytest

from gatehouse.identity.v1 import identity_pb2
from gatehouse.tokens.v1 import tokens_pb2
from services.tokens.adapters import accounts_client
from services.tokens.adapters.accounts_client import GrpcAccountDirectory
from services.tokens.domain.errors import AccountsUnavailable
from services.tokens.tests.test_component import issue, service, stored_events, verify

__all__ = ["service"]  # the fixture, shared with test_component


async def test_a_locked_owners_token_is_refused_with_the_reason_then_works_again(service, monkeypatch):
    stub, settings = service
    issued = await issue(stub, single_use=True)
    locked = {"user-alice"}

    async def is_locked(self, user_id):
        return user_id in locked

    monkeypatch.setattr(GrpcAccountDirectory, "is_locked", is_locked)
    refused = await verify(stub, issued.secret)
    assert (refused.valid, refused.reason) == (False, "Invalid API Token: the account is locked.")
    locked.clear()
    assert (await verify(stub, issued.secret)).valid  # the single use was not spent while locked
    rows, _ = stored_events(settings)
    assert "TokenRejected" not in [row.type for row in rows]


async def test_a_remembered_token_is_refused_as_soon_as_its_owner_is_locked(service, monkeypatch):
    stub, _ = service
    issued = await issue(stub)
    assert (await verify(stub, issued.secret)).valid  # now remembered in memory

    async def is_locked(self, user_id):
        return True

    monkeypatch.setattr(GrpcAccountDirectory, "is_locked", is_locked)
    assert (await verify(stub, issued.secret)).reason == "Invalid API Token: the account is locked."


class FakeStub:
    def __init__(self, state="locked", error=None):
        self.calls, self.state, self.error = 0, state, error

    async def GetUser(self, request, timeout):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return identity_pb2.GetUserResponse(user=identity_pb2.User(user_id=request.user_id, state=self.state))


class RpcError(grpc.aio.AioRpcError):
    def __init__(self, code):
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="x")


def directory(stub, clock):
    accounts = GrpcAccountDirectory.__new__(GrpcAccountDirectory)
    accounts._stub, accounts._timeout, accounts._ttl, accounts._clock, accounts._known = stub, 1, 2.0, clock, {}
    return accounts


async def test_the_answer_is_cached_for_two_seconds():
    now = [100.0]
    stub = FakeStub()
    accounts = directory(stub, lambda: now[0])
    assert await accounts.is_locked("u1") and await accounts.is_locked("u1")
    assert stub.calls == 1
    stub.state, now[0] = "active", 102.5
    assert not await accounts.is_locked("u1")
    assert stub.calls == 2 and accounts_client.LOCK_CACHE_SECONDS == 2.0


async def test_an_unknown_user_is_not_locked_and_an_unreachable_identity_is_an_error():
    assert not await directory(FakeStub(error=RpcError(grpc.StatusCode.NOT_FOUND)), lambda: 0.0).is_locked("u")
    with pytest.raises(AccountsUnavailable):
        await directory(FakeStub(error=RpcError(grpc.StatusCode.UNAVAILABLE)), lambda: 0.0).is_locked("u")
