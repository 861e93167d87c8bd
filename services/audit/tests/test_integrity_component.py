"""Export, VerifyChains and RebuildProjection over a real grpc.aio server and SQLite; and the
batch projection giving exactly what one-event-at-a-time projection gives."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa

from gatehouse.audit.v1 import audit_pb2, audit_pb2_grpc
from gatehouse.cli.audit import export_line
from gatehouse.grpc_runtime.errors import ErrorInterceptor
from services.audit.adapters.tables import audit_users, chain_heads, log_entries, security_events
from services.audit.application.handlers import Dependencies
from services.audit.application.projector import project_batch
from services.audit.entrypoints.grpc_server import STATUS_OF_ERROR, AuditServicer
from services.audit.tests.factories import Chains, actor, sample_events
from services.audit.tests.test_access import FakeProjectAccess
from services.audit.tests.test_component import ALICE, BOB, OPERATOR, _project_all, engine, projected  # noqa: F401

SCRIPT = Path(__file__).resolve().parents[1] / "verify_export.py"


class FakeRebuilder:
    def __init__(self):
        self.calls = []

    async def rebuild(self, timeout: float) -> None:
        self.calls.append(timeout)


@pytest.fixture
def rebuilder():
    return FakeRebuilder()


@pytest.fixture
async def stub(engine, tmp_path, rebuilder):  # noqa: F811
    deps = Dependencies(engine=engine, access=FakeProjectAccess(), poll_interval=0.02)
    server = grpc.aio.server(interceptors=[ErrorInterceptor(STATUS_OF_ERROR)])
    audit_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(deps, rebuilder), server)
    address = f"unix:{tmp_path / 'audit.sock'}"
    server.add_insecure_port(address)
    await server.start()
    async with grpc.aio.insecure_channel(address) as channel:
        yield audit_pb2_grpc.AuditServiceStub(channel)
    await server.stop(None)


async def _export(stub, caller, **log_filter) -> list[audit_pb2.SecurityEvent]:
    call = stub.ExportEvents(audit_pb2.ExportEventsRequest(caller=caller, filter=audit_pb2.EventFilter(**log_filter)))
    return [response.event async for response in call]


async def test_an_export_is_oldest_first_with_payloads_and_verifies_offline(stub, projected):  # noqa: F811
    events = await _export(stub, ALICE, user="alice")
    assert [e.id for e in events] == [e.event_id for e in projected]
    assert events[0].payload == projected[0].payload
    lines = [export_line(event) for event in events]
    assert base64.b64decode(json.loads(lines[0])["payload"]) == projected[0].payload
    checked = subprocess.run([sys.executable, "-I", str(SCRIPT)], input="\n".join(lines), capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    edited = json.loads(lines[3])
    edited["actor"]["ip_address"] = "10.0.0.1"
    lines[3] = json.dumps(edited)
    broken = subprocess.run([sys.executable, "-I", str(SCRIPT)], input="\n".join(lines), capture_output=True, text=True)
    assert broken.returncode == 1 and projected[3].event_id in broken.stderr


async def test_exporting_someone_elses_log_is_refused(stub, projected):  # noqa: F811
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _export(stub, BOB, user="alice")
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_verify_chains_names_the_edited_event_for_operators_only(stub, engine, projected):  # noqa: F811
    intact = await stub.VerifyChains(audit_pb2.VerifyChainsRequest(caller=OPERATOR))
    assert intact.intact and intact.events_checked == len(projected)
    async with engine.begin() as connection:
        await connection.execute(sa.update(security_events).where(
            security_events.c.event_id == projected[7].event_id).values(payload=b"\x00"))
    broken = await stub.VerifyChains(audit_pb2.VerifyChainsRequest(caller=OPERATOR))
    assert not broken.intact and broken.first_break.event_id == projected[7].event_id
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.VerifyChains(audit_pb2.VerifyChainsRequest(caller=ALICE))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_rebuild_is_for_operators_and_reports_the_count(stub, rebuilder, projected):  # noqa: F811
    answer = await stub.RebuildProjection(audit_pb2.RebuildProjectionRequest(caller=OPERATOR, timeout_seconds=9))
    assert answer.events_projected == len(projected) and rebuilder.calls == [9]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RebuildProjection(audit_pb2.RebuildProjectionRequest(caller=ALICE))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def _snapshot(engine) -> dict:
    async with engine.connect() as connection:
        events = [
            {k: v for k, v in row._mapping.items() if k != "seq"}
            for row in await connection.execute(sa.select(security_events).order_by(security_events.c.seq))
        ]
        entries = sorted(
            (row.log_key, row.event_id) for row in await connection.execute(
                sa.select(log_entries.c.log_key, security_events.c.event_id).join(
                    security_events, security_events.c.seq == log_entries.c.seq))
        )
        users = sorted(tuple(row) for row in await connection.execute(sa.select(audit_users)))
        heads = sorted(tuple(row) for row in await connection.execute(sa.select(chain_heads)))
    return {"events": events, "entries": entries, "users": users, "heads": heads}


def _envelopes():
    chains = Chains()
    envelopes = [chains.next(s, stream, e, actor(), subj) for s, stream, e, subj in sample_events().values()]
    tampered = chains.next("identity", "user-u-alice", sample_events()["LoginFailed"][2], actor())
    tampered.actor.ip_address = "203.0.113.9"  # altered after hashing: chain_ok must be False
    return envelopes + [tampered]


async def test_batch_projection_equals_event_by_event_projection(tmp_path):
    from services.audit.tests.test_retention_and_devices import MIGRATIONS, create_engine, migrate

    envelopes = _envelopes()
    snapshots = []
    for name, batched in (("one", False), ("batch", True)):
        url = f"sqlite:///{tmp_path / name}.db"
        migrate(url, MIGRATIONS)
        db = create_engine(url)
        if batched:
            async with db.begin() as connection:
                assert await project_batch(connection, envelopes[:5]) == 5
            async with db.begin() as connection:  # a redelivery overlapping the first batch
                assert await project_batch(connection, envelopes[3:]) == len(envelopes) - 5
        else:
            await _project_all(db, envelopes)
        snapshots.append(await _snapshot(db))
        await db.dispose()
    assert snapshots[0] == snapshots[1]
    assert [e["chain_ok"] for e in snapshots[1]["events"]][-1] is False
