"""QueryEvents' time-range, IP, actor and token filters over a real SQLite projection."""

import grpc
import pytest

from gatehouse.audit.v1 import audit_pb2
from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from services.audit.tests.factories import BOB, Chains, actor, sample_events
from services.audit.tests.test_component import ALICE, OPERATOR, _project_all, engine, stub  # noqa: F401

START = 1_700_000_000_000_000
SECOND = 1_000_000


@pytest.fixture
async def mixed(engine):  # noqa: F811
    """Five events a second apart: who acted, from where, with which token."""
    samples = sample_events()
    chains = Chains(start_us=START)
    plan = [
        ("LoginSucceeded", actor(ip="192.0.2.1")),
        ("RoleAdded", actor(ip="192.0.2.1", token_id="tok-a")),
        ("UploadRejected", actor(BOB, "bob", token_id="tok-b", ip="192.0.2.2")),
        ("LoginFailed", envelope_pb2.Actor(ip_address="192.0.2.3")),
        ("TokenIssued", actor(ip="192.0.2.2")),
    ]
    envelopes = []
    for event_type, who in plan:
        service, stream, event, subjects = samples[event_type]
        envelopes.append(chains.next(service, stream, event, who, subjects))
    await _project_all(engine, envelopes)
    return envelopes


async def _ids(stub, caller=OPERATOR, **log_filter):  # noqa: F811
    answer = await stub.QueryEvents(audit_pb2.QueryEventsRequest(
        caller=caller, filter=audit_pb2.EventFilter(**log_filter), limit=50))
    return [event.id for event in reversed(answer.events)]  # oldest first, like `mixed`


def _pick(mixed, *indexes):
    return [mixed[index].event_id for index in indexes]


async def test_since_is_inclusive_and_until_exclusive(stub, mixed):  # noqa: F811
    assert await _ids(stub, since_us=START + SECOND, until_us=START + 3 * SECOND) == _pick(mixed, 1, 2)
    assert await _ids(stub, since_us=START + 3 * SECOND) == _pick(mixed, 3, 4)
    assert await _ids(stub, until_us=START + SECOND) == _pick(mixed, 0)


async def test_an_empty_time_range_is_refused(stub, mixed):  # noqa: F811
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _ids(stub, since_us=START + SECOND, until_us=START)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_ip_filter_keeps_only_that_address(stub, mixed):  # noqa: F811
    assert await _ids(stub, ip_address="192.0.2.2") == _pick(mixed, 2, 4)
    assert await _ids(stub, user="alice", ip_address="192.0.2.3") == _pick(mixed, 3)


async def test_the_actor_filter_keeps_what_that_user_did(stub, mixed):  # noqa: F811
    assert await _ids(stub, actor="BOB") == _pick(mixed, 2)
    # alice's log holds the anonymous failed login on her account; as actor she did the rest
    assert await _ids(stub, user="alice") == _pick(mixed, 0, 1, 3, 4)
    assert await _ids(stub, caller=ALICE, user="alice", actor="alice") == _pick(mixed, 0, 1, 4)
    assert await _ids(stub, project="demo", actor="alice") == _pick(mixed, 1)


async def test_an_unknown_actor_matches_nothing(stub, mixed):  # noqa: F811
    assert await _ids(stub, actor="nobody") == []


async def test_the_token_filter_keeps_what_that_token_did(stub, mixed):  # noqa: F811
    assert await _ids(stub, token_id="tok-b") == _pick(mixed, 2)
    assert await _ids(stub, project="demo", token_id="tok-a") == _pick(mixed, 1)


async def test_an_actor_filter_alone_is_for_operators(stub, mixed):  # noqa: F811
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _ids(stub, caller=common_pb2.Principal(user_id=BOB, username="bob"), actor="bob")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
