"""A three-node NATS JetStream cluster on loopback, whose nodes a test can kill and start again."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nats

from gatehouse.embedded_nats import free_port, nats_command, wait_for_port

CLUSTER_NAME = "gatehouse-test"


@dataclass
class NatsNode:
    """One `nats-server` of the cluster: fixed name, ports and store, so a restart rejoins as itself."""

    name: str
    directory: Path
    client_port: int = field(default_factory=free_port)
    route_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def route(self) -> str:
        return f"nats://127.0.0.1:{self.route_port}"

    def start(self, routes: list[str]) -> None:
        extra = ["--server_name", self.name, "--cluster_name", CLUSTER_NAME,
                 "--cluster", self.route, "--routes", ",".join(routes)]
        command = nats_command(self.client_port, self.directory / "store", extra)
        with open(self.directory / "nats.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.client_port)

    def kill(self) -> None:
        """SIGKILL: a crash, with no lame-duck hand-over of leadership."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


class NatsCluster:
    """Three JetStream nodes routed to each other; `url` lists them all, comma-separated."""

    def __init__(self, directory: Path, size: int = 3):
        self.nodes = []
        for number in range(size):
            node_directory = directory / f"n{number}"
            node_directory.mkdir(parents=True, exist_ok=True)
            self.nodes.append(NatsNode(f"n{number}", node_directory))

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    @property
    def routes(self) -> list[str]:
        return [node.route for node in self.nodes]

    def start(self) -> None:
        for node in self.nodes:
            node.start(self.routes)

    def restart(self, node: NatsNode) -> None:
        node.start(self.routes)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def node_named(self, name: str) -> NatsNode:
        return next(node for node in self.nodes if node.name == name)

    def stream_info(self, stream: str):
        """The stream's info as the JetStream API answers it ($JS.API.STREAM.INFO)."""
        return asyncio.run(_stream_info(self.url, stream))

    def wait_for_jetstream(self, timeout: float = 60) -> None:
        """Returns once the cluster has elected a meta leader and answers JetStream requests."""
        asyncio.run(_wait_for_jetstream(self.url, timeout))


async def _stream_info(url: str, stream: str):
    client = await nats.connect(url.split(","), connect_timeout=2, max_reconnect_attempts=3)
    try:
        return await client.jetstream(timeout=5).stream_info(stream)
    finally:
        await client.close()


async def _wait_for_jetstream(url: str, timeout: float) -> None:
    client = await nats.connect(url.split(","), connect_timeout=2)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                await client.jetstream(timeout=2).account_info()
                return
            except Exception:  # no meta leader yet: JetStream answers "unavailable" or not at all
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await client.close()
