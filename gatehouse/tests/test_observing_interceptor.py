"""The gRPC observing interceptor, through a real in-process server and a real channel."""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest
from prometheus_client import REGISTRY, Counter

from gatehouse.errors import GatehouseError
from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.grpc_runtime.server import ServiceProcess, build_server
from gatehouse.observability import request_ids
from gatehouse.settings import load

REFUSALS = Counter("gatehouse_test_refusals", "Refusals counted by the test service.", ["reason"])


class Unwelcome(GatehouseError):
    code = "unwelcome"


def _register(seen: list[str]):
    async def echo(request: bytes, context) -> bytes:
        seen.append(request_ids.current())
        return request

    async def refuse(request: bytes, context) -> bytes:
        raise Unwelcome("You are not welcome here.")

    async def collect(requests, context) -> bytes:
        seen.append(request_ids.current())
        return b"".join([request async for request in requests])

    async def repeat(request: bytes, context):
        seen.append(request_ids.current())
        for _ in range(2):
            yield request

    handlers = {
        "Repeat": grpc.unary_stream_rpc_method_handler(repeat),
        "Collect": grpc.stream_unary_rpc_method_handler(collect),
        "Echo": grpc.unary_unary_rpc_method_handler(echo),
        "Refuse": grpc.unary_unary_rpc_method_handler(refuse),
    }
    return lambda server: server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("test.Svc", handlers),)
    )


@pytest.fixture
async def served(tmp_path):
    seen: list[str] = []
    address = f"unix:{tmp_path / 'svc.sock'}"
    process = ServiceProcess("test.Svc", address, _register(seen),
                             errors={Unwelcome: grpc.StatusCode.PERMISSION_DENIED},
                             refusals={"Refuse": REFUSALS})
    server = build_server(process, "testsvc")
    server.add_insecure_port(address)
    await server.start()
    settings = replace(load({"GATEHOUSE_DATA": str(tmp_path)}), service_addresses={"testsvc": address})
    channel = open_channel(settings, "testsvc")
    yield channel, seen
    await channel.close()
    await server.stop(None)


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_served_call_is_counted_and_timed_by_method_and_outcome(served):
    channel, _ = served
    labels = {"service": "testsvc", "method": "Echo", "outcome": "OK"}
    before = _sample("gatehouse_grpc_requests_total", **labels)
    timed_before = _sample("gatehouse_grpc_request_duration_seconds_count", **labels)
    assert await channel.unary_unary("/test.Svc/Echo")(b"hi") == b"hi"
    assert _sample("gatehouse_grpc_requests_total", **labels) == before + 1
    assert _sample("gatehouse_grpc_request_duration_seconds_count", **labels) == timed_before + 1


async def test_a_refusal_is_counted_with_its_status_and_its_reason_code(served):
    channel, _ = served
    labels = {"service": "testsvc", "method": "Refuse", "outcome": "PERMISSION_DENIED"}
    before = _sample("gatehouse_grpc_requests_total", **labels)
    refusals_before = _sample("gatehouse_test_refusals_total", reason="unwelcome")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await channel.unary_unary("/test.Svc/Refuse")(b"hi")
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert raised.value.details() == "You are not welcome here."
    assert _sample("gatehouse_grpc_requests_total", **labels) == before + 1
    assert _sample("gatehouse_test_refusals_total", reason="unwelcome") == refusals_before + 1


async def test_the_callers_request_id_reaches_the_handler_as_metadata(served):
    channel, seen = served
    request_ids.bind("req-123.abc")
    await channel.unary_unary("/test.Svc/Echo")(b"hi")
    request_ids.bind("")
    await channel.unary_unary("/test.Svc/Echo")(b"hi")
    assert seen == ["req-123.abc", ""]


async def test_a_client_streaming_call_carries_the_request_id_too(served):
    channel, seen = served

    async def parts():
        yield b"a"
        yield b"b"

    request_ids.bind("req-streamed")
    assert await channel.stream_unary("/test.Svc/Collect")(parts()) == b"ab"
    assert seen == ["req-streamed"]


async def test_a_server_streaming_call_carries_the_request_id_and_is_counted(served):
    channel, seen = served
    labels = {"service": "testsvc", "method": "Repeat", "outcome": "OK"}
    before = _sample("gatehouse_grpc_requests_total", **labels)
    request_ids.bind("req-repeated")
    assert [part async for part in channel.unary_stream("/test.Svc/Repeat")(b"x")] == [b"x", b"x"]
    assert seen == ["req-repeated"]
    assert _sample("gatehouse_grpc_requests_total", **labels) == before + 1


async def test_an_unsafe_request_id_in_metadata_is_dropped(served):
    channel, seen = served
    await channel.unary_unary("/test.Svc/Echo")(b"hi", metadata=(("x-request-id", "bad id;drop"),))
    assert seen == [""]


@pytest.mark.parametrize("value, accepted", [
    ("abc-DEF_1.2:3", True), ("a" * 65, False), ("a b", False), ("é", False), ("x\r\ny", False),
])
def test_acceptable_request_ids_are_short_and_of_a_safe_charset(value, accepted):
    assert (request_ids.acceptable(value) == value) is accepted
