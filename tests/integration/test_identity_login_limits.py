"""Login rate limits (as PyPI): 10 failures in 5 minutes lock a username, a client IP gets its
own limit (set to 15 here so the two can be told apart from one address), 429 with Retry-After
on the JSON API and the login page, and the right password does not get through while limited."""

from __future__ import annotations

import pytest
import requests

from tests.integration.flow import Maintainer
from tests.integration.identity_helpers import started_instance


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    yield from started_instance(tmp_path_factory, nats, GATEHOUSE_LOGIN_FAILURES_PER_IP="15")


def log_in(gatehouse, username: str, password: str) -> requests.Response:
    return requests.post(f"{gatehouse.url}/api/v1/session", json={"username": username, "password": password}, timeout=30)


def test_ten_failures_limit_the_user_then_fifteen_the_address(gatehouse):
    olga = Maintainer(gatehouse, "olga", "olga@example.org", "quartz-willow-beacon-37")
    olga.create_with_cli()
    pete = Maintainer(gatehouse, "pete", "pete@example.org", "cobalt-heron-lantern-52")
    pete.create_with_cli()
    for _ in range(10):
        assert log_in(gatehouse, "olga", "wrong-password-1").status_code == 401
    limited = log_in(gatehouse, "olga", olga.password)  # even the right password waits
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(limited.headers["Retry-After"]) <= 300
    assert "this account" in limited.json()["error"]["message"]
    page = requests.post(f"{gatehouse.url}/account/login", data={"username": "olga", "password": olga.password}, timeout=30)
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0

    assert log_in(gatehouse, "pete", pete.password).status_code == 200  # another user is not limited
    for number in range(5):  # unknown usernames count for the address
        assert log_in(gatehouse, f"nobody{number}", "wrong-password-1").status_code == 401
    blocked = log_in(gatehouse, "pete", pete.password)
    assert blocked.status_code == 429 and "network address" in blocked.json()["error"]["message"]
