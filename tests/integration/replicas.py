"""Two replicas of the gateway and of every service, started process by process behind one NATS
server and one database, sharing one data directory (secrets and stored files).

Each service replica listens on its own loopback port; every client (gateways, other services,
the `gatehouse` command) dials both replicas of a service (`ipv4:a,b`, round robin)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gatehouse.embedded_nats import free_port, wait_for_port
from gatehouse.settings import SERVICES
from tests.integration.harness import ROOT, Gatehouse

REPLICAS = 2


@dataclass
class ReplicaView(Gatehouse):
    """One gateway replica, usable wherever a test takes a Gatehouse (url, env, cli)."""

    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return dict(super().env, **self.extra_env)


class ReplicatedGatehouse:
    """Starts the services' replica 0 (which migrates), then replica 1, then both gateways."""

    def __init__(self, data_dir: Path, nats_url: str, database_url: str):
        self.data_dir = data_dir
        self.ports = {(name, replica): free_port() for name in SERVICES for replica in range(REPLICAS)}
        self.metrics_ports = {key: free_port() for key in self.ports}
        self.smtp_port = free_port()
        self.gateways = [
            ReplicaView(data_dir, nats_url, database_url, extra_env=self._shared_env()) for _ in range(REPLICAS)
        ]
        self.processes: list[subprocess.Popen] = []

    def _shared_env(self) -> dict[str, str]:
        env = {"GATEHOUSE_SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}"}
        for name in SERVICES:
            both = ",".join(f"127.0.0.1:{self.ports[name, replica]}" for replica in range(REPLICAS))
            env[f"GATEHOUSE_{name.upper()}_ADDRESS"] = f"ipv4:{both}"
        return env

    def _service_env(self, name: str, replica: int) -> dict[str, str]:
        env = self.gateways[replica].env
        env[f"GATEHOUSE_{name.upper()}_ADDRESS"] = f"127.0.0.1:{self.ports[name, replica]}"  # where it listens
        env[f"GATEHOUSE_METRICS_PORT_{name.upper()}"] = str(self.metrics_ports[name, replica])
        return env

    def metrics_url(self, name: str, replica: int) -> str:
        """Where replica `replica` of service `name` serves /metrics."""
        return f"http://127.0.0.1:{self.metrics_ports[name, replica]}/metrics"

    def _spawn(self, command: list[str], env: dict[str, str], log_name: str) -> None:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        with open(logs / log_name, "ab") as log:
            self.processes.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))

    def start(self, timeout: float = 180) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._spawn([sys.executable, "-m", "gatehouse.mail.sink", "--port", str(self.smtp_port),
                     "--directory", str(self.data_dir / "mail")], self.gateways[0].env, "mail.log")
        wait_for_port(self.smtp_port)
        for replica in range(REPLICAS):  # replica 0 migrates the databases before replica 1 starts
            for name in SERVICES:
                self._spawn([sys.executable, "-m", f"services.{name}"], self._service_env(name, replica),
                            f"{name}-{replica}.log")
            for name in SERVICES:
                wait_for_port(self.ports[name, replica], timeout=timeout)
        # Gateways last: a replica a channel could not reach at first is retried only after a back-off.
        for replica in range(REPLICAS):
            self._spawn([sys.executable, "-m", "gateway"], self.gateways[replica].env, f"gateway-{replica}.log")
        for gateway in self.gateways:
            gateway.wait_healthy(timeout)

    def alive(self) -> bool:
        return all(process.poll() is None for process in self.processes)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
