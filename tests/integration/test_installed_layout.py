"""What the container image runs, without Docker: the processes started from the installed
package (a wheel unpacked read-only, outside the source tree), each service listening on TCP at
GATEHOUSE_LISTEN_ADDRESS while clients dial the address GATEHOUSE_<NAME>_ADDRESS names, as in
deploy/k8s."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import grpc
import pytest
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gatehouse.embedded_nats import free_port, wait_for_port
from tests.image_build import build_wheel
from tests.integration.audit_helpers import wait_until


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel of this tree unpacked into a directory nobody may write to."""
    wheel = build_wheel(tmp_path_factory.mktemp("wheel"))
    site = tmp_path_factory.mktemp("site-packages")
    zipfile.ZipFile(wheel).extractall(site)
    for path in [site, *site.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield site
    for path in [site, *site.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def start(module: str, installed: Path, directory: Path, environment: dict[str, str]) -> subprocess.Popen:
    directory.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(installed), PYTHONDONTWRITEBYTECODE="1",
               GATEHOUSE_DATA=str(directory / "data"), **environment)
    env.pop("GATEHOUSE_DATABASE_URL", None)
    with open(directory / f"{module}.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", module], cwd=directory, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def health(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        return health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=2).status


def test_a_service_listens_on_tcp_and_the_gateway_dials_it_by_its_address(installed, nats, tmp_path):
    tokens_port, gateway_port = free_port(), free_port()
    tokens = start("services.tokens", installed, tmp_path / "tokens", {
        "GATEHOUSE_NATS_URL": nats.url,
        "GATEHOUSE_LISTEN_ADDRESS": f"127.0.0.1:{tokens_port}",
        "GATEHOUSE_TOKENS_ADDRESS": "tokens.invalid:50051",  # what others dial; not where it binds
    })
    gateway = start("gateway", installed, tmp_path / "gateway", {
        "GATEHOUSE_NATS_URL": nats.url, "GATEHOUSE_HOST": "127.0.0.1", "GATEHOUSE_PORT": str(gateway_port),
        "GATEHOUSE_TOKENS_ADDRESS": f"127.0.0.1:{tokens_port}",
    })
    try:
        wait_for_port(tokens_port, timeout=60)
        assert health(f"127.0.0.1:{tokens_port}") == health_pb2.HealthCheckResponse.SERVING
        wait_for_port(gateway_port, timeout=60)
        base = f"http://127.0.0.1:{gateway_port}"
        components = wait_until(lambda: (lambda c: c if c["tokens"] == "up" and c["nats"] == "up" else None)(
            requests.get(f"{base}/healthz", timeout=5).json()["components"]), timeout=30)
        assert components["identity"] == "down"  # not started: its unix socket does not exist
        assert requests.get(f"{base}/api/v1/openapi.json", timeout=5).json()["openapi"].startswith("3.")
        login_page = requests.get(f"{base}/account/login", timeout=5)
        assert login_page.status_code == 200 and "<form" in login_page.text
        assert requests.get(f"{base}/static/webauthn.js", timeout=5).status_code == 200
    finally:
        stop(gateway)
        stop(tokens)
