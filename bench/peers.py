"""The peer package indexes the upload benchmark compares with: pypiserver and devpi-server,
installed into their own virtual environment (.bench-venv/, made on first use with pip) and run
on loopback on free ports, each with an uploading user and a password."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from gatehouse.embedded_nats import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".bench-venv"
PEER_PACKAGES = ("pypiserver", "passlib", "devpi-server", "devpi-client")
USER, PASSWORD = "bench", "a-long-bench-password"


@dataclass
class Peer:
    """A running peer index: where to upload, with which Basic credentials, and its process."""

    name: str
    upload_url: str
    process: subprocess.Popen


def _bin(command: str) -> str:
    return str(VENV / "bin" / command)


def ensure_venv() -> None:
    """Creates .bench-venv with the peers installed (once). Raises CalledProcessError."""
    if all((VENV / "bin" / command).exists() for command in ("pypi-server", "devpi-server", "devpi")):
        return
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([_bin("python"), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def pypiserver(scratch: Path):
    """pypiserver with uploads authenticated by an htpasswd file (passlib's default scheme)."""
    packages, htpasswd = scratch / "pypiserver-packages", scratch / "htpasswd"
    packages.mkdir()
    subprocess.run([_bin("python"), "-c", "import sys; from passlib.apache import HtpasswdFile; "
                    "f = HtpasswdFile(sys.argv[1], new=True); f.set_password(sys.argv[2], sys.argv[3]); f.save()",
                    str(htpasswd), USER, PASSWORD], check=True)
    port = free_port()
    log = open(scratch / "pypiserver.log", "ab")
    process = subprocess.Popen([_bin("pypi-server"), "run", "-p", str(port), "-i", "127.0.0.1", "-a", "update",
                                "-P", str(htpasswd), "--disable-fallback", str(packages)],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/", process)
        yield Peer("pypiserver", f"http://127.0.0.1:{port}/", process)
    finally:
        _stop(process)


def _devpi_client(clientdir: Path, *args: str) -> None:
    subprocess.run([_bin("devpi"), "--clientdir", str(clientdir), *args], check=True, capture_output=True, timeout=120)


@contextmanager
def devpi_server(scratch: Path):
    """devpi-server (no root/pypi mirror, offline), a user and a `dev` index made with devpi-client."""
    serverdir, clientdir = scratch / "devpi-server", scratch / "devpi-client"
    subprocess.run([_bin("devpi-init"), "--serverdir", str(serverdir), "--no-root-pypi"],
                   check=True, capture_output=True, timeout=300)
    port = free_port()
    log = open(scratch / "devpi.log", "ab")
    process = subprocess.Popen([_bin("devpi-server"), "--serverdir", str(serverdir), "--host", "127.0.0.1",
                                "--port", str(port), "--offline-mode"], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{url}/+api", process)
        _devpi_client(clientdir, "use", url)
        _devpi_client(clientdir, "user", "-c", USER, f"password={PASSWORD}", "email=bench@example.org")
        _devpi_client(clientdir, "login", USER, "--password", PASSWORD)
        _devpi_client(clientdir, "index", "-c", "dev", "bases=", "volatile=True")
        yield Peer("devpi-server", f"{url}/{USER}/dev/", process)
    finally:
        _stop(process)
