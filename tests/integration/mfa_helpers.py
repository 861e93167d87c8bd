"""Shared by the MFA integration tests: codes from Debian's `oathtool` (an implementation
independent of ours), logins that stop at the second step, the audit export."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.integration.conftest import in_ci
from tests.integration.flow import Maintainer


def require_oathtool() -> str:
    """oathtool's path; skips the test without it, except in CI where it must be installed."""
    path = shutil.which("oathtool")
    if path is None:
        if in_ci():
            pytest.fail("oathtool is not installed; .ci/run installs it (apt-get install -y oathtool)")
        pytest.skip("oathtool is not installed (apt-get install -y oathtool)")
    return path


def current_step() -> int:
    return int(time.time() // 30)


def oath_code(secret: str, step: int) -> str:
    """The TOTP code of `step` for a base32 secret, computed by oathtool."""
    done = subprocess.run(
        [require_oathtool(), "--totp", "--base32", "--now", f"@{step * 30}", secret],
        capture_output=True, text=True, check=True, timeout=10,
    )
    return done.stdout.strip()


def new_user(gatehouse, name: str) -> Maintainer:
    """A verified user, logged in with a password only (no automatic 2FA)."""
    user = Maintainer(gatehouse, name, f"{name}@example.org", f"{name}-has-a-long-passphrase-1")
    user.auto_totp = False
    user.create_with_cli()
    user.log_in()
    return user


def enrol_with_oathtool(user: Maintainer) -> tuple[str, list[str], int]:
    """Recovery codes (first one burned) and TOTP confirmed with an oathtool code;
    returns (secret, remaining codes, the step used)."""
    codes = user.post("/api/v1/account/recovery-codes", {}).json()["codes"]
    assert user.post("/api/v1/account/recovery-codes/confirm", {"code": codes[0]}).status_code == 200
    secret = user.post("/api/v1/account/totp", {}).json()["secret"]
    step = current_step()
    answer = user.post("/api/v1/account/totp/confirm", {"code": oath_code(secret, step)})
    assert answer.status_code == 200, answer.text
    user.totp_secret, user.last_totp_step = secret, step  # so that user.log_in() can pass the second step
    return secret, codes[1:], step


def password_step(user: Maintainer) -> dict:
    """A fresh login that stops before the second step."""
    user.http.cookies.clear()
    answer = user.http.post(
        f"{user.gatehouse.url}/api/v1/session", json={"username": user.username, "password": user.password}
    )
    assert answer.status_code == 200, answer.text
    user.csrf = answer.json()["csrf_token"]
    return answer.json()


def exported(gatehouse, username: str) -> list[dict]:
    done = gatehouse.cli("audit", "export", "--user", username)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def wait_for_types(gatehouse, username: str, wanted: set[str], timeout: float = 30) -> list[dict]:
    """The user's exported events once every type in `wanted` shows (fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        events = exported(gatehouse, username)
        if wanted <= {event["type"] for event in events}:
            return events
        assert time.monotonic() < deadline, f"missing {wanted - {e['type'] for e in events}}"
        time.sleep(0.3)


class _SourceAddress(HTTPAdapter):
    def __init__(self, address: str):
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def from_address(session: requests.Session, address: str) -> requests.Session:
    """Makes `session` connect from another loopback address (127.0.0.0/8 all reach the
    gateway), so that tests counting failures per client address do not share one."""
    session.mount("http://", _SourceAddress(address))
    return session


def origin_of(gatehouse) -> str:
    """The origin the gateway expects (GATEHOUSE_ORIGIN defaults to http://localhost:<port>)."""
    return gatehouse.url.replace("127.0.0.1", "localhost")


def add_key(user, authenticator, label: str):
    """Registers `authenticator` as a security key; (the answer, the creation options)."""
    options = user.post("/api/v1/account/webauthn/options", {"label": label})
    assert options.status_code == 200, options.text
    credential = authenticator.create(options.json())
    return user.post("/api/v1/account/webauthn", {"label": label, "credential": credential}), options.json()


def key_step(user, authenticator, **kwargs):
    """A second login step with `authenticator` (after password_step)."""
    options = user.post("/api/v1/session/webauthn/options", {}).json()
    return user.post("/api/v1/session/webauthn", {"credential": authenticator.get(options, "localhost", **kwargs)})
