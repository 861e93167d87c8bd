"""Account recovery end to end with a short waiting period: the identity link starts the wait,
after which identity's scheduler has mfa remove every second factor and ends the sessions; the
next login (password only) leads to setting up 2FA again."""

from __future__ import annotations

import time

import pytest
import requests

from tests.integration.audit_helpers import wait_until
from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import mails_to, started_instance
from tests.integration.mfa_helpers import wait_for_types
from tests.integration.recovery_helpers import CONFIRM, WAITING, link_in, recover

PASSWORD = "saffron-glacier-pebble-77"
WAIT_SECONDS = 4


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    yield from started_instance(tmp_path_factory, nats, GATEHOUSE_RECOVERY_WAIT_SECONDS=str(WAIT_SECONDS),
                                GATEHOUSE_RECOVERY_CHECK_SECONDS="0.5")


def test_after_the_identity_link_and_the_wait_the_second_factors_are_gone(gatehouse):
    tess = Maintainer(gatehouse, "tess", "tess@example.org", PASSWORD)
    tess.create_with_cli()
    tess.log_in()  # enrols recovery codes and TOTP
    assert tess.http.get(f"{gatehouse.url}/api/v1/tokens").status_code == 200
    recover(gatehouse, "tess")

    identity = link_in(gatehouse, "tess@example.org", CONFIRM, "/account/recovery/confirm")
    confirmed = requests.get(f"{gatehouse.url}{identity}", timeout=30)
    assert confirmed.status_code == 200 and "Identity confirmed" in confirmed.text
    assert mails_to(gatehouse, "tess@example.org", WAITING)
    opened_at = time.monotonic()
    assert requests.get(f"{gatehouse.url}{identity}", timeout=30).status_code == 400  # single use

    events = wait_for_types(gatehouse, "tess", {"RecoveryCompleted"}, timeout=60)
    assert time.monotonic() - opened_at >= WAIT_SECONDS - 1  # not before the waiting period
    removed = [e for e in events if e["type"] == "SecondFactorRemoved"]
    assert {e["additional"].get("method") for e in removed} == {"totp", "recovery_code"}
    assert {e["additional"].get("reason") for e in removed} == {"account_recovery"}
    completed = next(e for e in events if e["type"] == "RecoveryCompleted")
    assert completed["tag"] == "account:recovery:completed" and completed["additional"]["methods_removed"] == 2
    assert tess.http.get(f"{gatehouse.url}/api/v1/session").status_code == 401  # every session ended
    wait_until(lambda: mails_to(gatehouse, "tess@example.org", "Account recovery completed"), timeout=30)

    login = tess.http.post(f"{gatehouse.url}/api/v1/session", json={"username": "tess", "password": PASSWORD})
    assert login.status_code == 200 and (login.json()["mfa_required"], login.json()["methods"]) == (False, [])
    refused = tess.http.get(f"{gatehouse.url}/api/v1/tokens")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "two_factor_not_enabled"
    page = tess.http.get(f"{gatehouse.url}/account/")
    assert "Two-factor authentication is required on this index" in page.text
