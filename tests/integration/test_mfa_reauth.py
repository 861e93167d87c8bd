"""Sensitive account actions need a recent login (GATEHOUSE_REAUTH_MINUTES; 0 here, so every
one is refused) while reading and revoking stay possible."""

from __future__ import annotations

import os

import pytest

from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url
from tests.integration.mfa_helpers import new_user


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    previous = os.environ.get("GATEHOUSE_REAUTH_MINUTES")
    os.environ["GATEHOUSE_REAUTH_MINUTES"] = "0"
    database_url = postgres_base_url()
    try:
        instance = Gatehouse(tmp_path_factory.mktemp("gatehouse") / "data", nats.url, database_url)
        instance.start()
    finally:
        if previous is None:
            os.environ.pop("GATEHOUSE_REAUTH_MINUTES")
        else:
            os.environ["GATEHOUSE_REAUTH_MINUTES"] = previous
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)


def test_an_old_login_cannot_change_2fa_but_can_read(gatehouse):
    user = new_user(gatehouse, "vic")
    refused = user.post("/api/v1/account/recovery-codes", {})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "reauthentication_required"
    assert "POST /api/v1/session/reauthenticate" in refused.json()["error"]["message"]
    assert user.http.get(f"{gatehouse.url}/api/v1/account/two-factor").status_code == 200
