"""Operators lock and unlock accounts: a locked account cannot log in, its sessions end at once,
and its API tokens are refused (twine shows the reason); unlocking restores all of it."""

from __future__ import annotations

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer, build_project, twine_upload

PASSWORD = "quartz-willow-ember-58"
LOCKED = "This account is locked; contact the index's operators."


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


def test_a_locked_account_cannot_log_in_use_its_session_or_upload_until_unlocked(gatehouse, tmp_path):
    lena = Maintainer(gatehouse, "lena", "lena@example.org", PASSWORD)
    lena.create_with_cli()
    lena.log_in()
    token = lena.create_token("ci")["token"]
    files = build_project(tmp_path, "lena-tools", "1.0")

    locked = gatehouse.cli("admin", "lock", "lena", "--reason", "compromised laptop")
    assert locked.returncode == 0, locked.stderr
    assert "Locked lena: 1 sessions ended" in locked.stdout
    assert lena.http.get(f"{gatehouse.url}/api/v1/session").status_code == 401
    login = lena.http.post(f"{gatehouse.url}/api/v1/session", json={"username": "lena", "password": PASSWORD})
    assert (login.status_code, login.json()["error"]) == (403, {"code": "account_locked", "message": LOCKED})
    page = lena.http.post(f"{gatehouse.url}/account/login", data={"username": "lena", "password": PASSWORD},
                          allow_redirects=False)
    assert page.status_code == 401 and "This account is locked; contact the index&#39;s operators." in page.text
    refused = twine_upload(gatehouse, token, files)
    assert refused.returncode != 0 and "Invalid API Token: the account is locked." in _said(refused)

    again = gatehouse.cli("admin", "lock", "lena")
    assert again.returncode == 1 and "already locked" in again.stderr
    unlocked = gatehouse.cli("admin", "unlock", "lena")
    assert unlocked.returncode == 0 and "Unlocked lena." in unlocked.stdout, unlocked.stderr
    lena.log_in()
    # The tokens service remembers an owner's lock state for up to 2 s (see its README).
    introspect = lambda: lena.http.post(f"{gatehouse.url}/api/v1/tokens/introspect", json={"token": token}).json()  # noqa: E731
    wait_until(lambda: introspect()["valid"], timeout=10)
    done = twine_upload(gatehouse, token, files)
    assert done.returncode == 0, _said(done)

    def logged() -> str:
        return gatehouse.cli("audit", "query", "--user", "lena").stdout

    wait_until(lambda: "Account unlocked by an operator" in logged(), timeout=30)
    assert "Account locked by an operator (compromised laptop); 1 sessions ended" in logged()
    assert "Session ended (account locked)" in logged()


def test_locking_an_unknown_user_is_refused_with_a_sentence(gatehouse):
    done = gatehouse.cli("admin", "lock", "nobody-here")
    assert done.returncode == 1 and "No user is named 'nobody-here'." in done.stderr
