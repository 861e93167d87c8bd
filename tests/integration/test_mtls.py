"""mTLS between the gateway and the services: with GATEHOUSE_TLS_CA/_CERT/_KEY set, every service
serves TCP over TLS and demands a client certificate from the CA. The gateway (and the operator
command) work; a client without a certificate, with one from another CA, or in plain text is refused."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import grpc
import pytest
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gatehouse.embedded_nats import free_port
from gatehouse.settings import SERVICES
from tests.integration.flow import Maintainer
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url
from tests.integration.tls_helpers import CertificateAuthority, Issued


@dataclass
class TlsGatehouse(Gatehouse):
    """An instance whose services listen on loopback TCP ports with mTLS."""

    tls: Issued | None = None
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = dict(super().env, **self.tls.env())
        for name, address in self.addresses.items():
            env[f"GATEHOUSE_{name.upper()}_ADDRESS"] = address
        return env


@pytest.fixture(scope="module")
def authorities(tmp_path_factory):
    where = tmp_path_factory.mktemp("pki")
    return CertificateAuthority(where / "ours", "gatehouse-test"), CertificateAuthority(where / "other", "intruder")


@pytest.fixture(scope="module")
def secured(tmp_path_factory, nats, authorities):
    ours, _ = authorities
    database_url = postgres_base_url()
    addresses = {name: f"127.0.0.1:{free_port()}" for name in SERVICES}
    instance = TlsGatehouse(tmp_path_factory.mktemp("mtls") / "data", nats.url, database_url,
                            tls=ours.issue("gatehouse-service"), addresses=addresses)
    instance.start()
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)


def _health(address: str, credentials: grpc.ChannelCredentials | None) -> health_pb2.HealthCheckResponse:
    async def check():
        channel = (grpc.aio.insecure_channel(address) if credentials is None
                   else grpc.aio.secure_channel(address, credentials))
        async with channel:
            return await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)

    return asyncio.run(check())


def _credentials(issued: Issued | None, ca) -> grpc.ChannelCredentials:
    if issued is None:
        return grpc.ssl_channel_credentials(root_certificates=ca.read_bytes())
    return grpc.ssl_channel_credentials(root_certificates=ca.read_bytes(), private_key=issued.key.read_bytes(),
                                        certificate_chain=issued.cert.read_bytes())


def test_the_gateway_reaches_every_service_over_mtls(secured):
    answer = requests.get(f"{secured.url}/healthz", timeout=10)
    assert answer.status_code == 200, answer.text
    assert all(secured.addresses[name].startswith("127.0.0.1:") for name in SERVICES)


def test_a_user_created_by_the_operator_command_logs_in(secured):
    maintainer = Maintainer(secured, "tlsuser", "tlsuser@example.org", "correct-horse-battery-staple-42")
    created = maintainer.create_with_cli()
    assert created.returncode == 0, created.stderr
    assert maintainer.log_in()


@pytest.mark.parametrize("service", SERVICES)
def test_a_client_with_a_certificate_from_our_ca_is_served(secured, authorities, service):
    ours, _ = authorities
    credentials = _credentials(ours.issue("another-client"), ours.path)
    assert _health(secured.addresses[service], credentials).status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("service", SERVICES)
def test_a_client_without_a_certificate_is_refused(secured, authorities, service):
    ours, _ = authorities
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        _health(secured.addresses[service], _credentials(None, ours.path))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_client_with_a_certificate_from_another_ca_is_refused(secured, authorities):
    ours, other = authorities
    credentials = _credentials(other.issue("intruder-client"), ours.path)  # trusts our server, itself foreign
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        _health(secured.addresses["identity"], credentials)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_plain_text_client_is_refused(secured):
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        _health(secured.addresses["tokens"], None)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
