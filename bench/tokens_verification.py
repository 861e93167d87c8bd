"""Token verification speed in the tokens service, and the latency token auth adds to an upload.

1. In process: `handlers.verify_token` against a real, migrated SQLite database, one core,
   sequential, with the service's hot path (verified tokens remembered for 2 s, last uses
   batched) as bootstrap.py wires it (verifications per second; target >= 5,000/s).
   Also without the in-memory part, for comparison.
2. Over gRPC: the real servicer on a grpc.aio server on a Unix socket, VerifyToken round trips
   from a client (p50/p90/p99) and throughput with 16 calls in flight. Client and server share
   this one process (and one core), so these figures are pessimistic.
3. Through the gateway (bench/upload_auth_latency.py): a whole instance; `POST /legacy/` uploads
   refused right after token authentication against the same upload refused just before it;
   the difference of the p50s is what token auth adds to an upload (target p50 < 3 ms).

Usage: python -m bench.tokens_verification [N]   (default 5000; N // 10 upload pairs)
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc

from bench import upload_auth_latency
from bench.results import record, row
from gatehouse.common.v1 import common_pb2
from gatehouse.grpc_runtime.errors import ErrorInterceptor
from gatehouse.logging import configure as configure_logging
from gatehouse.service_runtime import build_runtime
from gatehouse.settings import load
from gatehouse.tokens.v1 import tokens_pb2, tokens_pb2_grpc
from services.tokens.adapters.crypto import RootKeyCipher
from services.tokens.adapters.macaroons import MacaroonCodec
from services.tokens.adapters.tables import metadata, store
from services.tokens.application import handlers
from services.tokens.adapters.hot_path import UseRecorder, VerifiedTokens
from services.tokens.bootstrap import MIGRATIONS, VERIFIED_TOKEN_SECONDS
from services.tokens.entrypoints.grpc_server import STATUS_OF_ERROR, TokensServicer

OWNER = common_pb2.Principal(user_id="user-bench", username="bench")
CONTEXT = common_pb2.RequestContext(ip_address="127.0.0.1", user_agent="bench", request_id="bench")
OPERATION = tokens_pb2.Operation(project="demo", action="upload", version="1.0")


def _dependencies(data_dir: Path) -> tuple[handlers.Dependencies, object]:
    settings = load({"GATEHOUSE_DATA": str(data_dir)})
    runtime = build_runtime(settings, "tokens", metadata, store, MIGRATIONS)
    deps = handlers.Dependencies(units=runtime.units, cipher=RootKeyCipher(settings.secret("tokens")),
                                 codec=MacaroonCodec(settings.token_prefix, settings.origin),
                                 cache=VerifiedTokens(VERIFIED_TOKEN_SECONDS), uses=UseRecorder(runtime.engine))
    return deps, runtime


async def _secret(deps: handlers.Dependencies) -> str:
    caveats = tokens_pb2.Caveats(projects=["demo"], allowed_cidrs=["127.0.0.0/8"])
    issued = await handlers.issue_token(
        deps, tokens_pb2.IssueTokenRequest(owner=OWNER, name="bench", caveats=caveats, context=CONTEXT))
    return issued.secret


async def in_process(deps: handlers.Dependencies, secret: str, count: int) -> tuple[float, float]:
    """Sequential verifications per wall-clock second and per CPU second of this process (the
    latter is what one core does when the machine is shared)."""
    request = tokens_pb2.VerifyTokenRequest(token=secret, operation=OPERATION, context=CONTEXT)
    assert (await handlers.verify_token(deps, request)).valid
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(count):
        await handlers.verify_token(deps, request)
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu_started)


async def without_memory(deps: handlers.Dependencies, secret: str, count: int) -> float:
    """The same with nothing remembered: every verification reads the database and checks the
    HMAC chain (last uses still batched)."""
    cold = dataclasses.replace(deps, cache=None)
    return (await in_process(cold, secret, count))[1]


async def concurrent_grpc(stub, request, count: int, in_flight: int = 16) -> float:
    """VerifyToken calls per second with `in_flight` calls outstanding at a time."""
    async def worker(share: int):
        for _ in range(share):
            await stub.VerifyToken(request)

    started = time.perf_counter()
    await asyncio.gather(*(worker(count // in_flight) for _ in range(in_flight)))
    return (count // in_flight * in_flight) / (time.perf_counter() - started)


async def over_grpc(deps: handlers.Dependencies, secret: str, count: int, socket: Path) -> tuple[list[float], float, float]:
    """Round-trip latencies (seconds) of sequential VerifyToken calls, and calls per second."""
    server = grpc.aio.server(interceptors=[ErrorInterceptor(STATUS_OF_ERROR)])
    tokens_pb2_grpc.add_TokensServiceServicer_to_server(TokensServicer(deps), server)
    server.add_insecure_port(f"unix:{socket}")
    await server.start()
    channel = grpc.aio.insecure_channel(f"unix:{socket}")
    stub = tokens_pb2_grpc.TokensServiceStub(channel)
    request = tokens_pb2.VerifyTokenRequest(token=secret, operation=OPERATION, context=CONTEXT)
    assert (await stub.VerifyToken(request)).valid
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter()
        await stub.VerifyToken(request)
        latencies.append(time.perf_counter() - before)
    rate = count / (time.perf_counter() - started)
    concurrent = await concurrent_grpc(stub, request, count)
    await channel.close()
    await server.stop(None)
    return latencies, rate, concurrent


def _ms(latencies: list[float], fraction: float) -> float:
    return sorted(latencies)[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000


def _quiet_logs() -> None:
    # Configure logging as the service does (same processors and level), writing to /dev/null.
    real_stderr, sys.stderr = sys.stderr, open(os.devnull, "w")
    try:
        configure_logging("tokens")
    finally:
        sys.stderr = real_stderr


async def main(count: int) -> None:
    _quiet_logs()
    with tempfile.TemporaryDirectory(prefix="gh-bench-tokens-") as tmp:
        deps, runtime = _dependencies(Path(tmp))
        secret = await _secret(deps)
        rate, cpu_rate = await in_process(deps, secret, count)
        cold_rate = await without_memory(deps, secret, max(count // 5, 100))
        await deps.uses.flush()
        latencies, grpc_rate, concurrent = await over_grpc(deps, secret, count, Path(tmp) / "tokens.sock")
        await runtime.close()
    print(f"token verifications, in process (handler + SQLite): {rate:,.0f}/s wall clock, "
          f"{cpu_rate:,.0f} per CPU second, over {count} (target >= 5,000/s on one core)")
    print(f"  the same with nothing remembered (DB + HMAC each):  {cold_rate:,.0f} per CPU second")
    print(f"token verifications, over gRPC (sequential):        {grpc_rate:,.0f}/s")
    print(f"token verifications, over gRPC (16 in flight):      {concurrent:,.0f}/s")
    print(f"VerifyToken round trip: p50 {_ms(latencies, .5):.2f} ms, p90 {_ms(latencies, .9):.2f} ms, "
          f"p99 {_ms(latencies, .99):.2f} ms, mean {statistics.mean(latencies) * 1000:.2f} ms (target p50 < 3 ms)")
    record("tokens_verification", [
        row("token verifications, in process", f"{rate:,.0f}/s ({cpu_rate:,.0f}/CPU-s)", ">= 5,000/s", cpu_rate >= 5000),
        row("token verifications, gRPC, 16 in flight", f"{concurrent:,.0f}/s"),
        row("VerifyToken round trip p50", f"{_ms(latencies, .5):.2f} ms", "< 3 ms", _ms(latencies, .5) < 3)])


if __name__ == "__main__":
    COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    asyncio.run(main(COUNT))
    upload_auth_latency.run(max(COUNT // 10, 50))
