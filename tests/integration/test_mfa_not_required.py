"""GATEHOUSE_REQUIRE_2FA=0 lets a user without a second factor create tokens; once the index
requires 2FA again, an upload with such a token through /legacy/ (twine) is refused, and the
error says why and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.integration.flow import build_project, twine_upload
from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url
from tests.integration.mfa_helpers import new_user


@dataclass
class ConfiguredGatehouse(Gatehouse):
    """An instance whose GATEHOUSE_REQUIRE_2FA can be switched (by a restart)."""

    required: bool = False

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "GATEHOUSE_REQUIRE_2FA": "1" if self.required else "0"}

    def require_2fa(self, required: bool) -> None:
        if self.required != required:
            self.stop()
            self.required = required
            self.start()


@pytest.fixture(scope="module")
def index(tmp_path_factory, nats):
    database_url = postgres_base_url()
    instance = ConfiguredGatehouse(tmp_path_factory.mktemp("relaxed") / "data", nats.url, database_url)
    instance.start()
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)


def test_without_required_2fa_a_user_without_a_second_factor_creates_a_token(index):
    index.require_2fa(False)
    user = new_user(index, "uma")
    assert user.http.get(f"{index.url}/api/v1/account/two-factor").json()["methods"] == []
    created = user.post("/api/v1/tokens", {"name": "ci"})
    assert created.status_code == 201, created.text
    assert created.json()["token"].startswith("gatehouse-")


def test_an_upload_without_a_second_factor_is_refused_saying_how_to_fix_it(index, tmp_path):
    index.require_2fa(False)
    user = new_user(index, "vera")
    token = user.create_token("release")["token"]
    files = build_project(tmp_path, "vera-demo", "1.0")
    index.require_2fa(True)

    done = twine_upload(index, token, files)
    assert done.returncode != 0
    said = " ".join((done.stdout + done.stderr).split())  # twine wraps long lines
    assert "403 Forbidden" in said, said
    assert "Two-factor authentication is required to upload: user 'vera' has no second factor." in said, said
    assert "/account/two-factor" in said, said
