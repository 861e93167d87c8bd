"""The mfa service in-process: real grpc.aio server on a Unix socket, real SQLite, no NATS."""

import grpc
import pytest
import sqlalchemy as sa

from gatehouse.grpc_runtime.errors import ErrorInterceptor
from gatehouse.mfa.v1 import mfa_pb2, mfa_pb2_grpc
from gatehouse.settings import load
from services.mfa.adapters.tables import second_factors
from services.mfa.bootstrap import bootstrap


@pytest.fixture
async def service(tmp_path):
    settings = load({"GATEHOUSE_DATA": str(tmp_path)})
    process = bootstrap(settings)
    server = grpc.aio.server(interceptors=[ErrorInterceptor(process.errors)])
    process.register(server)
    (tmp_path / "run").mkdir(exist_ok=True)
    server.add_insecure_port(process.address)
    await server.start()
    channel = grpc.aio.insecure_channel(process.address)
    yield mfa_pb2_grpc.MfaServiceStub(channel), settings
    await channel.close()
    await server.stop(None)
    for hook in process.on_stop:
        await hook()


def enrol(settings, user_id, *methods):
    engine = sa.create_engine(settings.database_url_for("mfa"))
    with engine.begin() as connection:
        for number, method in enumerate(methods):
            connection.execute(sa.insert(second_factors).values(
                factor_id=f"{user_id}-{number}", user_id=user_id, method=method, label="",
                created_at_us=0, last_used_at_us=0,
            ))
    engine.dispose()


async def test_lists_the_methods_a_user_has_enrolled(service):
    stub, settings = service
    enrol(settings, "alice", "webauthn", "totp", "webauthn")
    enrol(settings, "bob", "recovery_code")

    alice = await stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id="alice"))
    carol = await stub.ListMethods(mfa_pb2.ListMethodsRequest(user_id="carol"))

    assert list(alice.methods) == ["totp", "webauthn"]
    assert list(carol.methods) == []


async def test_no_user_is_invalid_argument(service):
    stub, _ = service
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ListMethods(mfa_pb2.ListMethodsRequest())
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
