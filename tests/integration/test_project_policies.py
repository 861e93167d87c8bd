"""Project policies with real twine, on an index that does NOT require 2FA globally
(GATEHOUSE_REQUIRE_2FA=0), so that the project policy is what refuses: scoped tokens only,
collaborators with 2FA, phishing-resistant 2FA; weakening mails every owner and is logged;
a Maintainer cannot change policies."""

from __future__ import annotations

import email
from email import policy as mail_policy

import pytest

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer, build_project, twine_upload
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url
from tests.integration.mfa_helpers import new_user, password_step
from tests.integration.soft_authenticator import SoftAuthenticator


class GatehouseWithout2fa(Gatehouse):
    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "GATEHOUSE_REQUIRE_2FA": "0"}


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    database_url = postgres_base_url()
    instance = GatehouseWithout2fa(tmp_path_factory.mktemp("gatehouse") / "data", nats.url, database_url)
    instance.start()
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)


def said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


def add_key(user: Maintainer, authenticator: SoftAuthenticator, label: str) -> None:
    options = user.post("/api/v1/account/webauthn/options", {"label": label})
    assert options.status_code == 200, options.text
    added = user.post("/api/v1/account/webauthn", {"label": label, "credential": authenticator.create(options.json())})
    assert added.status_code == 201, added.text


def log_in_with_key(user: Maintainer, authenticator: SoftAuthenticator) -> None:
    password_step(user)
    options = user.post("/api/v1/session/webauthn/options", {}).json()
    answer = user.post("/api/v1/session/webauthn", {"credential": authenticator.get(options, "localhost")})
    assert answer.status_code == 200, answer.text


def member(gatehouse, name: str) -> Maintainer:
    """A user with an authenticator app (TOTP), logged in with it."""
    user = Maintainer(gatehouse, name, f"{name}@example.org", f"{name}-has-a-long-passphrase-9")
    user.create_with_cli()
    user.log_in()
    return user


@pytest.fixture(scope="module")
def olive(gatehouse) -> Maintainer:
    """The projects' Owner: TOTP and a security key, logged in with the key."""
    user = member(gatehouse, "olive")
    user.key = SoftAuthenticator(gatehouse.url.replace("127.0.0.1", "localhost"))
    add_key(user, user.key, "Olive's key")
    log_in_with_key(user, user.key)
    user.wide_token = user.create_token("olive-wide")["token"]
    return user


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    where = tmp_path_factory.mktemp("build")
    return lambda name: build_project(where, name, "1.0")  # [wheel, sdist]


def new_project(olive: Maintainer, files) -> None:
    done = twine_upload(olive.gatehouse, olive.wide_token, files[:1])
    assert done.returncode == 0, said(done)


def set_policies(user: Maintainer, project: str, **values):
    return user.http.put(f"{user.gatehouse.url}/api/v1/projects/{project}/policies", json=values,
                         headers={"X-CSRF-Token": user.csrf})


def add_role(owner: Maintainer, project: str, username: str, role: str) -> None:
    answer = owner.post(f"/api/v1/projects/{project}/roles", {"username": username, "role": role})
    assert answer.status_code == 201, answer.text


def test_scoped_token_policy_refuses_a_user_wide_token_and_accepts_a_project_scoped_one(olive, build):
    files = build("pol-scoped")
    new_project(olive, files)
    answer = set_policies(olive, "pol-scoped", require_scoped_tokens=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["policies"] == {"require_2fa": False, "require_phishing_resistant_2fa": False,
                                         "require_scoped_tokens": True, "require_staged_releases": False}

    refused = twine_upload(olive.gatehouse, olive.wide_token, files[1:])
    assert refused.returncode != 0
    assert (f"403 Forbidden from {olive.gatehouse.url}/legacy/ Project 'pol-scoped' accepts uploads only with "
            "API tokens scoped to it, and this token is user-wide") in said(refused)
    scoped = olive.create_token("pol-scoped-only", projects=["pol-scoped"])["token"]
    done = twine_upload(olive.gatehouse, scoped, files[1:])
    assert done.returncode == 0, said(done)


def test_require_2fa_refuses_a_collaborator_without_a_second_factor(olive, build):
    files = build("pol-2fa")
    nina = new_user(olive.gatehouse, "nina")  # no second factor: fine for this index, not for the project
    nina_token = nina.create_token("nina-wide")["token"]
    new_project(olive, files)
    add_role(olive, "pol-2fa", "nina", "Maintainer")
    assert set_policies(olive, "pol-2fa", require_2fa=True).status_code == 200

    refused = twine_upload(olive.gatehouse, nina_token, files[1:])
    assert refused.returncode != 0
    assert ("Project 'pol-2fa' requires its collaborators to use two-factor authentication: "
            "user 'nina' has no second factor") in said(refused)
    rejected = olive.wait_for_events("projects", "pol-2fa", {"project:upload:rejected"}, timeout=30)
    assert any("no second factor" in event["additional"].get("reason", "") for event in rejected)


def test_a_maintainer_reads_but_cannot_change_policies(olive, build, gatehouse):
    files = build("pol-roles")
    new_project(olive, files)
    mia = member(gatehouse, "mia")
    add_role(olive, "pol-roles", "mia", "Maintainer")
    read = mia.http.get(f"{gatehouse.url}/api/v1/projects/pol-roles/policies")
    assert read.status_code == 200 and read.json()["role"] == "Maintainer"
    refused = set_policies(mia, "pol-roles", require_2fa=True)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "not_an_owner",
        "message": "Only an Owner of project 'pol-roles' can change its policies; user 'mia' is a Maintainer.",
    }
    assert set_policies(olive, "pol-roles", require_magic=True).json()["error"]["code"] == "unknown_policy"
    page = mia.http.get(f"{gatehouse.url}/projects/pol-roles/")
    assert page.status_code == 200 and "Only an Owner can change these." in page.text


def test_the_owner_sets_policies_with_the_project_page_form(olive, build, gatehouse):
    new_project(olive, build("pol-form"))
    page = olive.http.get(f"{gatehouse.url}/projects/pol-form/")
    assert page.status_code == 200 and 'action="/projects/pol-form/policies"' in page.text
    shown = ["require_2fa", "require_phishing_resistant_2fa", "require_scoped_tokens", "require_staged_releases"]
    saved = olive.http.post(f"{gatehouse.url}/projects/pol-form/policies",
                            data={"csrf_token": olive.csrf, "shown": shown, "require_staged_releases": "on"})
    assert saved.status_code == 200 and "Policies saved." in saved.text
    assert 'name="require_staged_releases" checked' in saved.text
    read = olive.http.get(f"{gatehouse.url}/api/v1/projects/pol-form/policies").json()["policies"]
    assert [name for name, on in read.items() if on] == ["require_staged_releases"]


def test_phishing_resistant_policy_refuses_totp_only_uploads_and_totp_logins(olive, build, gatehouse):
    files = build("pol-keys")
    new_project(olive, files)
    tom = member(gatehouse, "tom")  # TOTP only
    tom_token = tom.create_token("tom-wide")["token"]
    add_role(olive, "pol-keys", "tom", "Maintainer")
    assert set_policies(olive, "pol-keys", require_phishing_resistant_2fa=True).status_code == 200

    refused = twine_upload(gatehouse, tom_token, files[1:])
    assert refused.returncode != 0
    assert ("Project 'pol-keys' requires a phishing-resistant second factor: user 'tom' has no security key"
            in said(refused))
    add_key(tom, SoftAuthenticator(gatehouse.url.replace("127.0.0.1", "localhost")), "Tom's key")
    done = twine_upload(gatehouse, tom_token, files[1:])
    assert done.returncode == 0, said(done)

    olive.log_in()  # password and TOTP this time
    totp_login = set_policies(olive, "pol-keys", require_phishing_resistant_2fa=False)
    assert totp_login.status_code == 403
    assert totp_login.json()["error"]["code"] == "project_requires_phishing_resistant_2fa"
    assert "this login used totp" in totp_login.json()["error"]["message"]
    log_in_with_key(olive, olive.key)


def mail_subjects(gatehouse, address: str) -> list[str]:
    folder = gatehouse.data_dir / "mail"
    found = []
    for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=mail_policy.default)
        if message["To"] == address:
            found.append(str(message["Subject"]))
    return found


def test_turning_a_policy_off_mails_every_owner_and_is_logged(olive, build, gatehouse):
    files = build("pol-mail")
    new_project(olive, files)
    uma, vic = member(gatehouse, "uma"), member(gatehouse, "vic")
    add_role(olive, "pol-mail", "uma", "Owner")
    add_role(olive, "pol-mail", "vic", "Maintainer")
    assert set_policies(olive, "pol-mail", require_scoped_tokens=True).status_code == 200
    assert not any("Policy weakened" in subject for subject in mail_subjects(gatehouse, olive.email))

    off = set_policies(olive, "pol-mail", require_scoped_tokens=False)
    assert off.status_code == 200, off.text
    subject = "Policy weakened on project pol-mail"
    for owner in (olive, uma):
        wait_until(lambda owner=owner: subject in mail_subjects(gatehouse, owner.email), timeout=30)
    assert subject not in mail_subjects(gatehouse, vic.email)  # a Maintainer, not an owner

    def policy_changes():
        found = [e for e in olive.events("projects", "pol-mail", limit=500) if e["tag"] == "project:policy:changed"]
        return found if len(found) == 2 else None

    changes = wait_until(policy_changes, timeout=30)  # newest first
    assert [(e["additional"]["policy"], e["additional"].get("enabled", False)) for e in changes] == [
        ("require_scoped_tokens", False), ("require_scoped_tokens", True)]
    assert changes[0]["additional"]["weakened"] is True
    assert changes[0]["actor"]["user"] == "olive"
