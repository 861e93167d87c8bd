"""`python -m gatehouse.supervisor` (what `make run` starts): NATS, five services and the gateway.

Children are restarted when they die, stopped in reverse order on Ctrl-C or SIGTERM, and
told by the kernel to exit if the supervisor itself is killed, so no process is orphaned.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from gatehouse.embedded_nats import free_port, nats_command, wait_for_port
from gatehouse.settings import SERVICES, Settings, load

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, env: dict[str, str]) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, env=env, stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
                # Own process group: Ctrl-C reaches only the supervisor, which stops children in order.
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.alive():
            self.process.terminate()

    def wait_or_kill(self, deadline: float) -> None:
        """Waits for the process to exit until `deadline`, then kills it."""
        if self.process is None:
            return
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Supervisor:
    """Starts, watches and stops the children of one Gatehouse instance."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.logs = settings.data_dir / "logs"
        self.children: list[Child] = []
        self.env = dict(os.environ, GATEHOUSE_DATA=str(settings.data_dir))
        self.stopping = False

    def _nats(self) -> Child | None:
        if self.settings.nats_url:
            return None
        port = free_port()
        self.env["GATEHOUSE_NATS_URL"] = f"nats://127.0.0.1:{port}"
        child = Child("nats", nats_command(port, self.settings.data_dir / "nats"), self.logs / "nats.log")
        child.start(self.env)
        wait_for_port(port)
        return child

    def _mail_sink(self) -> Child | None:
        # With no SMTP server configured, mail lands as .eml files under $GATEHOUSE_DATA/mail/.
        if self.settings.smtp_url:
            return None
        port = free_port()
        self.env["GATEHOUSE_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        command = [sys.executable, "-m", "gatehouse.mail.sink", "--port", str(port),
                   "--directory", str(self.settings.data_dir / "mail")]
        child = Child("mail", command, self.logs / "mail.log")
        child.start(self.env)
        wait_for_port(port)
        return child

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for child in (self._nats(), self._mail_sink()):
            if child is not None:
                self.children.append(child)
        for name in SERVICES:
            self._spawn(name, [sys.executable, "-m", f"services.{name}"])
        self._spawn("gateway", [sys.executable, "-m", "gateway"])
        self._write_pids()

    def _spawn(self, name: str, command: list[str]) -> None:
        child = Child(name, command, self.logs / f"{name}.log")
        child.start(self.env)
        self.children.append(child)

    def _write_pids(self) -> None:
        pids = {child.name: child.process.pid for child in self.children if child.process}
        run_dir = self.settings.data_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "pids.json").write_text(json.dumps(pids))

    def watch_once(self) -> None:
        """Restarts any child that died (at most 5 times a minute each)."""
        for child in self.children:
            if child.alive() or self.stopping:
                continue
            now = time.monotonic()
            child.restarts = [moment for moment in child.restarts if now - moment < 60]
            if len(child.restarts) >= 5:
                continue
            child.restarts.append(now)
            _say(f"{child.name} exited with {child.process.returncode}; restarting (log: {child.log_path})")
            child.start(self.env)
            self._write_pids()

    def stop(self) -> None:
        """The gateway first, then the services together, the mail sink and NATS last, each group
        given 15 s to drain. The services stop in parallel: after a NATS node was lost each may
        need its whole drain time, and one after the other they took longer than a minute."""
        self.stopping = True
        infrastructure = {"nats", "mail"}
        gateway = [child for child in self.children if child.name == "gateway"]
        services = [child for child in self.children if child.name not in infrastructure | {"gateway"}]
        rest = [child for child in reversed(self.children) if child.name in infrastructure]
        for group in (gateway, services, rest):
            for child in group:
                child.terminate()
            deadline = time.monotonic() + 15
            for child in group:
                child.wait_or_kill(deadline)

    def wait_healthy(self, timeout: float = 60.0) -> bool:
        url = f"http://127.0.0.1:{self.settings.port}/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return True
            except OSError:
                pass
            self.watch_once()
            time.sleep(0.2)
        return False


def _interrupt(_signal_number, _frame) -> None:
    raise KeyboardInterrupt


def _say(message: str) -> None:
    print(f"gatehouse: {message}", file=sys.stderr, flush=True)


def main() -> None:
    settings = load()
    supervisor = Supervisor(settings)
    # Installed explicitly: a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        supervisor.start()
        if supervisor.wait_healthy():
            _say(f"running at http://127.0.0.1:{settings.port}/  (data: {settings.data_dir}, logs: {supervisor.logs})")
            _say("press Ctrl-C to stop")
        else:
            _say(f"not healthy after 60 s; see the logs in {supervisor.logs}")
        while True:
            supervisor.watch_once()
            time.sleep(0.5)
    except KeyboardInterrupt:
        _say("stopping")
    finally:
        supervisor.stop()
        _say("stopped")


if __name__ == "__main__":
    main()
