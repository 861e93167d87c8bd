"""What a maintainer does, with real clients: the CLI, HTTP, `python -m build` and `twine`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyotp
import requests

from tests.integration.harness import BIN, Gatehouse


class Maintainer:
    """A user of one Gatehouse instance, with their own cookie jar."""

    def __init__(self, gatehouse: Gatehouse, username: str, email: str, password: str):
        self.gatehouse = gatehouse
        self.username = username
        self.email = email
        self.password = password
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "gatehouse-tests/1.0"
        self.csrf = ""
        # TOTP for the second login step (issue 3). With `auto_totp`, the first login of a user
        # without a second factor enrols one, because the index requires 2FA by default.
        self.auto_totp = True
        self.totp_secret = ""
        self.last_totp_step = -1
        self.recovery_codes: list[str] = []

    def create_with_cli(self) -> subprocess.CompletedProcess:
        done = self.gatehouse.cli(
            "admin", "create-user", self.username, "--email", self.email, "--verified", "--password-stdin",
            stdin=self.password + "\n",
        )
        assert done.returncode == 0, done.stderr
        return done

    def log_in(self) -> dict:
        answer = self.http.post(
            f"{self.gatehouse.url}/api/v1/session", json={"username": self.username, "password": self.password}
        )
        assert answer.status_code == 200, answer.text
        self.csrf = answer.json()["csrf_token"]
        if answer.json()["mfa_required"] and self.totp_secret:
            second = self.post("/api/v1/session/totp", {"code": self.next_totp_code()})
            assert second.status_code == 200, second.text
        elif self.auto_totp and not answer.json()["methods"]:
            self.enable_totp()
        return answer.json()

    def next_totp_code(self) -> str:
        """A code (computed with pyotp) for a time step after the last one used: the server
        refuses replays, so a second login within 30 s takes the next step's code, or waits."""
        while True:
            step = int(time.time() // 30)
            candidate = max(step, self.last_totp_step + 1)
            if candidate <= step + 1:
                self.last_totp_step = candidate
                return pyotp.TOTP(self.totp_secret).at(candidate * 30)
            time.sleep(0.5)

    def enable_totp(self) -> list[str]:
        """Recovery codes (burning the first), then an authenticator app; returns the codes."""
        codes = self.post("/api/v1/account/recovery-codes", {})
        assert codes.status_code == 200, codes.text
        self.recovery_codes = codes.json()["codes"]
        burned = self.post("/api/v1/account/recovery-codes/confirm", {"code": self.recovery_codes.pop(0)})
        assert burned.status_code == 200, burned.text
        begun = self.post("/api/v1/account/totp", {})
        assert begun.status_code == 200, begun.text
        self.totp_secret, self.last_totp_step = begun.json()["secret"], -1
        confirmed = self.post("/api/v1/account/totp/confirm", {"code": self.next_totp_code()})
        assert confirmed.status_code == 200, confirmed.text
        return [codes.json()["codes"][0], *self.recovery_codes]

    def post(self, path: str, body: dict) -> requests.Response:
        return self.http.post(f"{self.gatehouse.url}{path}", json=body, headers={"X-CSRF-Token": self.csrf})

    def create_token(self, name: str, **caveats) -> dict:
        answer = self.post("/api/v1/tokens", {"name": name, **caveats})
        assert answer.status_code == 201, answer.text
        return answer.json()

    def events(self, kind: str, name: str, **params) -> list[dict]:
        answer = self.http.get(f"{self.gatehouse.url}/api/v1/{kind}/{name}/events", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["events"]

    def wait_for_events(self, kind: str, name: str, wanted: set[str], timeout: float = 2.0) -> list[dict]:
        """Polls the log until every tag in `wanted` shows; returns the log."""
        return self.wait_for_log(kind, name, lambda events: wanted <= {event["tag"] for event in events}, timeout)

    def wait_for_log(self, kind: str, name: str, done, timeout: float = 2.0) -> list[dict]:
        """Polls the log until `done(events)` holds or `timeout` seconds pass; returns the log."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.events(kind, name, limit=500)
            if done(events) or time.monotonic() > deadline:
                return events
            time.sleep(0.05)


def build_project(where: Path, name: str, version: str, marker: str = "", filler: int = 0) -> list[Path]:
    """A real project built with `python -m build` into wheel and sdist; returns the files.
    `filler`: that many random hexadecimal characters in the module, for a bigger file."""
    source = where / f"{name}-{version}-src{marker}"
    package = name.replace("-", "_")
    (source / "src" / package).mkdir(parents=True)
    (source / "src" / package / "__init__.py").write_text(
        f'__version__ = "{version}"\nMARKER = "{marker}"\nFILLER = "{os.urandom(filler // 2).hex()}"\n'
    )
    (source / "README.md").write_text(f"# {name}\n\nA project for Gatehouse's tests.\n")
    (source / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools>=68"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "{version}"
            description = "A project for Gatehouse's tests"
            readme = "README.md"
            requires-python = ">=3.9"
            """
        )
    )
    out = where / f"dist-{name}-{version}{marker}"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    return sorted(out.iterdir())


def twine_upload(gatehouse: Gatehouse, token: str, files: list[Path]) -> subprocess.CompletedProcess:
    """`twine upload` exactly as a user types it (output unwrapped and uncoloured for asserts)."""
    env = dict(os.environ, COLUMNS="1000", NO_COLOR="1", TERM="dumb")
    return subprocess.run(
        [str(BIN / "twine"), "upload", "--disable-progress-bar", "--non-interactive",
         "--repository-url", f"{gatehouse.url}/legacy/", "-u", "__token__", "-p", token, *map(str, files)],
        capture_output=True, text=True, timeout=300, env=env,
    )
