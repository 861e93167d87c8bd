"""mTLS of the shared server and channel set-up, in process, over a Unix socket."""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gatehouse.grpc_runtime.channels import open_channel
from gatehouse.grpc_runtime.server import ServiceProcess, _listen, build_server
from gatehouse.settings import load
from tests.integration.tls_helpers import CertificateAuthority


def _settings(tmp_path, issued):
    return replace(load({"GATEHOUSE_DATA": str(tmp_path), **issued.env()}),
                   service_addresses={"svc": f"unix:{tmp_path / 'svc.sock'}"})


@pytest.fixture
async def tls_server(tmp_path):
    ours = CertificateAuthority(tmp_path / "pki", "unit")
    settings = _settings(tmp_path, ours.issue("svc"))
    process = ServiceProcess("svc", settings.address_of("svc"), lambda server: None, errors={})
    server = build_server(process, "svc")
    health_pb2_grpc.add_HealthServicer_to_server(_Serving(), server)
    _listen(server, process.address, settings)
    await server.start()
    yield tmp_path, settings
    await server.stop(None)


class _Serving(health_pb2_grpc.HealthServicer):
    async def Check(self, request, context):
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


async def _check(settings) -> int:
    async with open_channel(settings, "svc") as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return answer.status


async def test_a_client_with_a_certificate_of_the_ca_is_served_over_a_unix_socket(tls_server):
    _, settings = tls_server
    assert await _check(settings) == health_pb2.HealthCheckResponse.SERVING


async def test_a_client_with_a_certificate_of_another_ca_is_refused(tls_server):
    tmp_path, settings = tls_server
    other = CertificateAuthority(tmp_path / "other", "other").issue("intruder")
    foreign = replace(settings, tls_cert=str(other.cert), tls_key=str(other.key))  # still trusts our CA
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _check(foreign)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_plain_text_client_is_refused(tls_server):
    _, settings = tls_server
    with pytest.raises(grpc.aio.AioRpcError):
        await _check(replace(settings, tls_ca="", tls_cert="", tls_key=""))
