"""The servicer over a real grpc.aio server on a unix socket, with a real SQLite projection.
Envelopes are fed straight to the projection handler: no NATS."""

import asyncio
import json

import grpc
import pytest
import sqlalchemy as sa

from gatehouse.audit.v1 import audit_pb2, audit_pb2_grpc
from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.database import create_engine, migrate
from gatehouse.grpc_runtime.errors import ErrorInterceptor
from services.audit.adapters.tables import security_events
from services.audit.application.handlers import Dependencies, verify
from services.audit.application.projector import project_envelope
from services.audit.bootstrap import MIGRATIONS
from services.audit.entrypoints.grpc_server import STATUS_OF_ERROR, AuditServicer
from services.audit.tests import factories
from services.audit.tests.factories import Chains, actor, sample_events
from services.audit.tests.test_access import FakeProjectAccess

OPERATOR = common_pb2.Principal(operator=True)
ALICE = common_pb2.Principal(user_id="u-alice", username="alice")
BOB = common_pb2.Principal(user_id="u-bob", username="bob")


@pytest.fixture
async def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate(url, MIGRATIONS)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


async def _project_all(engine, envelopes):
    for envelope in envelopes:
        async with engine.begin() as connection:
            await project_envelope(connection, envelope)


@pytest.fixture
async def projected(engine):
    chains = Chains()
    envelopes = [
        chains.next(service, stream, event, actor(), subjects)
        for service, stream, event, subjects in sample_events().values()
    ]
    await _project_all(engine, envelopes)
    return envelopes


@pytest.fixture
async def stub(engine, tmp_path):
    deps = Dependencies(engine=engine, access=FakeProjectAccess(), poll_interval=0.02)
    server = grpc.aio.server(interceptors=[ErrorInterceptor(STATUS_OF_ERROR)])
    audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(deps), server)
    address = f"unix:{tmp_path / 'audit.sock'}"
    server.add_insecure_port(address)
    await server.start()
    async with grpc.aio.insecure_channel(address) as channel:
        yield audit_pb2_grpc.AuditServiceStub(channel)
    await server.stop(None)


async def _all_pages(stub, caller, log_filter, limit):
    events, cursor, pages = [], "", 0
    while True:
        response = await stub.QueryEvents(audit_pb2.QueryEventsRequest(
            caller=caller, filter=log_filter, cursor=cursor, limit=limit))
        events.extend(response.events)
        pages += 1
        if not response.next_cursor:
            return events, pages
        cursor = response.next_cursor


async def test_a_user_log_is_paged_newest_first(stub, projected):
    events, pages = await _all_pages(stub, OPERATOR, audit_pb2.EventFilter(user="Alice"), limit=5)
    # alice acts in every sample event, so her log holds all of them
    assert [e.id for e in events] == [e.event_id for e in reversed(projected)]
    assert pages == -(-len(projected) // 5)  # every page full but the last
    assert events[-1].tag == "account:user:created"
    assert events[-1].summary == "Account alice created by an operator"


async def test_a_project_log_holds_only_project_events(stub, projected):
    events, _ = await _all_pages(stub, OPERATOR, audit_pb2.EventFilter(project="DEMO"), limit=50)
    project_samples = [sample for sample in sample_events().values() if sample[3].project]
    assert len(events) == len(project_samples)
    assert {e.tag.split(":")[0] for e in events} == {"project", "file"}
    added = [e for e in events if e.tag == "file:file:added"]
    assert [json.loads(e.additional_json)["filename"] for e in added] == ["demo-1.0.tar.gz"]
    assert all(e.chain_ok for e in events)


@pytest.mark.parametrize("wanted", ["account:api_token:added", "TokenIssued"])
async def test_the_type_filter_takes_a_tag_or_an_event_type(stub, projected, wanted):
    response = await stub.QueryEvents(audit_pb2.QueryEventsRequest(
        caller=ALICE, filter=audit_pb2.EventFilter(user="alice", type=wanted)))
    (event,) = response.events
    assert (event.summary, event.actor.user, event.ip_address) == ("API token 'ci' added", "alice", "192.0.2.1")
    assert event.hash == projected[4].hash and event.prev_hash == projected[4].prev_hash


async def test_another_users_log_is_refused(stub, projected):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.QueryEvents(audit_pb2.QueryEventsRequest(caller=BOB, filter=audit_pb2.EventFilter(user="alice")))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert refused.value.details() == "You are not allowed to read this security log."


async def test_a_project_log_is_open_to_whom_uploads_allows(stub, projected):
    response = await stub.QueryEvents(audit_pb2.QueryEventsRequest(
        caller=ALICE, filter=audit_pb2.EventFilter(project="demo"), limit=2))
    assert len(response.events) == 2 and response.next_cursor


async def test_a_forged_cursor_is_invalid_argument(stub, projected):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.QueryEvents(audit_pb2.QueryEventsRequest(caller=OPERATOR, cursor="nonsense"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_tail_follows_new_events_only(stub, engine, projected):
    call = stub.TailEvents(audit_pb2.TailEventsRequest(caller=ALICE, filter=audit_pb2.EventFilter(user="alice")))
    service, _, event, subjects = sample_events()["LoginSucceeded"]
    newer = Chains(start_us=1_800_000_000_000_000).next(service, "user-new", event, actor(), subjects)
    await asyncio.sleep(0.1)
    await _project_all(engine, [newer])
    received = await asyncio.wait_for(call.read(), timeout=3)
    assert received.event.id == newer.event_id
    call.cancel()


async def test_a_redelivered_event_is_projected_once(stub, engine, projected):
    await _project_all(engine, projected[:3])
    events, _ = await _all_pages(stub, OPERATOR, audit_pb2.EventFilter(), limit=500)
    assert len(events) == len(projected)


async def test_verify_finds_a_row_tampered_in_the_database(engine, projected):
    assert await verify(engine) is None
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(security_events).where(security_events.c.event_id == projected[5].event_id)
            .values(actor_ip="203.0.113.66"))
    found = await verify(engine)
    assert found.event_id == projected[5].event_id


async def test_a_tampered_event_is_projected_with_chain_ok_false(stub, engine, projected):
    chains = Chains()
    first = chains.next("identity", "user-x", sample_events()["LoginFailed"][2], actor())
    first.actor.ip_address = "203.0.113.66"  # altered after hashing
    await _project_all(engine, [first])
    response = await stub.QueryEvents(audit_pb2.QueryEventsRequest(caller=OPERATOR, limit=1))
    assert response.events[0].id == first.event_id and not response.events[0].chain_ok


async def _delete_events(engine, where) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.delete(security_events).where(where))


async def test_verify_finds_the_deleted_newest_event_of_a_stream(engine, projected):
    newest = max((e for e in projected if e.stream == projected[0].stream), key=lambda e: e.version)
    await _delete_events(engine, security_events.c.event_id == newest.event_id)
    found = await verify(engine)
    assert (found.stream, found.version) == (newest.stream, newest.version)
    assert "missing" in found.problem


async def test_verify_finds_a_deleted_stream(engine, projected):
    await _delete_events(engine, security_events.c.stream == "token-t1")
    found = await verify(engine)
    assert (found.stream, found.version) == ("token-t1", 1)


async def test_tail_leaves_out_events_that_do_not_match(stub, engine, projected):
    call = stub.TailEvents(audit_pb2.TailEventsRequest(
        caller=OPERATOR, filter=audit_pb2.EventFilter(user="alice", type="LoginSucceeded")))
    service, _, event, subjects = sample_events()["LoginSucceeded"]
    chains = Chains(start_us=1_800_000_000_000_000)
    bob = factories.actor("u-bob", "bob")
    others = [
        chains.next(service, "user-u-bob", event, bob, factories.user_subject("u-bob", "bob")),  # not alice's log
        chains.next("identity", "user-u-alice", sample_events()["LoginFailed"][2], actor(), subjects),  # other type
    ]
    wanted = chains.next(service, "user-u-alice", event, actor(), subjects)
    await asyncio.sleep(0.1)
    await _project_all(engine, [*others, wanted])
    received = await asyncio.wait_for(call.read(), timeout=3)
    assert received.event.id == wanted.event_id
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(call.read(), timeout=0.3)
    call.cancel()
