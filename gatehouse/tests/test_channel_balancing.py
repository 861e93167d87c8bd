"""Which addresses get round-robin balancing, and a real call over a `dns:///` address (the form
the Kubernetes manifests give, a headless Service's name) with those options."""

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gatehouse.grpc_runtime.channels import balancing_options
from gatehouse.grpc_runtime.server import SERVER_OPTIONS

ROUND_ROBIN = (("grpc.lb_policy_name", "round_robin"),)


def test_addresses_that_may_name_several_replicas_are_balanced_round_robin():
    assert balancing_options("ipv4:10.0.0.1:50051,10.0.0.2:50051") == ROUND_ROBIN
    assert balancing_options("dns:///uploads:50051") == ROUND_ROBIN
    assert balancing_options("unix:/var/lib/gatehouse/run/uploads.sock") == ()
    assert balancing_options("127.0.0.1:50051") == ()


async def test_a_call_over_a_dns_address_reaches_the_server():
    server = grpc.aio.server(options=SERVER_OPTIONS)
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        address = f"dns:///127.0.0.1:{port}"
        async with grpc.aio.insecure_channel(address, options=balancing_options(address)) as channel:
            answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await server.stop(None)
