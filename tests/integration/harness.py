"""Real processes for integration tests: a NATS server and a whole Gatehouse instance."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

from gatehouse.embedded_nats import free_port, nats_command, wait_for_port
from gatehouse.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class NatsServer:
    """A JetStream server on a free loopback port that a test can stop and start again."""

    def __init__(self, store: Path):
        self.port = free_port()
        self.store = store
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.store.parent / f"nats-{self.port}.log", "ab")
        self.process = subprocess.Popen(nats_command(self.port, self.store), stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


@dataclass
class Gatehouse:
    """One instance started as `make run` starts it (the supervisor), on its own port and data."""

    data_dir: Path
    nats_url: str
    database_url: str = ""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    # More GATEHOUSE_* settings for every process of this instance (e.g. the stream's replicas).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ, GATEHOUSE_DATA=str(self.data_dir), GATEHOUSE_PORT=str(self.port))
        env["GATEHOUSE_NATS_URL"] = self.nats_url
        env.pop("GATEHOUSE_DATABASE_URL", None)
        if self.database_url:
            env["GATEHOUSE_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 120) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "supervisor.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gatehouse.supervisor"], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                answer = requests.get(f"{self.url}/healthz", timeout=2)
                last = answer.json()
                if answer.status_code == 200:
                    return last
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"not healthy after {timeout} s: {last}; logs in {self.data_dir / 'logs'}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(90)

    def pids(self) -> dict[str, int]:
        return json.loads((self.data_dir / "run" / "pids.json").read_text())

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        """Runs the `gatehouse` command against this instance."""
        return subprocess.run(
            [str(BIN / "gatehouse"), *args], input=stdin, env=self.env, capture_output=True, text=True, timeout=60
        )


def postgres_base_url() -> str:
    """A fresh database name under GATEHOUSE_TEST_DATABASE_URL, or '' to use SQLite."""
    base = os.environ.get("GATEHOUSE_TEST_DATABASE_URL", "")
    return f"{base}_{uuid.uuid4().hex[:8]}" if base else ""


def drop_postgres_databases(database_url: str) -> None:
    """Drops the per-service databases derived from `database_url`."""
    base, _, name = database_url.rpartition("/")
    engine = sa.create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for service in SERVICES:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_{service}" WITH (FORCE)')
    engine.dispose()
