"""Failed second steps are rate limited per user and per client address: 429 with Retry-After,
an event, and no further codes checked (not even a right one), also under a parallel burst and
on the HTML page. Each test comes from its own loopback address, so that none depends on
another's failures."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.integration.audit_helpers import wait_until
from tests.integration.mfa_helpers import (
    current_step,
    enrol_with_oathtool,
    from_address,
    new_user,
    oath_code,
    password_step,
    wait_for_types,
)


def wrong_code(secret: str) -> str:
    near = {oath_code(secret, current_step() + offset) for offset in range(-10, 11)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def user_at(gatehouse, name: str, address: str):
    """A user with recovery codes and TOTP, after the password step, connecting from `address`."""
    user = new_user(gatehouse, name)
    from_address(user.http, address)
    secret, _, step = enrol_with_oathtool(user)
    password_step(user)
    return user, secret, step


def rejection_reasons(gatehouse, username: str) -> list[str]:
    events = wait_for_types(gatehouse, username, {"SecondFactorRejected"})
    return [e["additional"].get("reason") for e in events if e["type"] == "SecondFactorRejected"]


def test_five_failures_block_the_user_with_retry_after(gatehouse):
    user, secret, step = user_at(gatehouse, "erin", "127.0.0.2")
    for _ in range(5):
        assert user.post("/api/v1/session/totp", {"code": wrong_code(secret)}).status_code == 401
    right = oath_code(secret, max(current_step(), step + 1))
    limited = user.post("/api/v1/session/totp", {"code": right})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 200 <= int(limited.headers["Retry-After"]) <= 300
    assert user.http.get(f"{gatehouse.url}/api/v1/tokens").status_code == 401  # still not logged in

    # The refusal's own event may reach the log a moment after the five before it.
    reasons = wait_until(lambda: (found := rejection_reasons(gatehouse, "erin")) and "rate_limited" in found and found,
                         timeout=30)
    assert reasons.count("invalid_totp") == 5 and "rate_limited" in reasons


def test_ten_failures_from_one_address_block_every_user_there(gatehouse):
    for name in ("frank", "hana"):  # five each: the user limit is not reached, the address limit is
        user, secret, _ = user_at(gatehouse, name, "127.0.0.3")
        for _ in range(5):
            assert user.post("/api/v1/session/totp", {"code": wrong_code(secret)}).status_code == 401

    gina, gina_secret, gina_step = user_at(gatehouse, "gina", "127.0.0.3")
    limited = gina.post("/api/v1/session/totp", {"code": oath_code(gina_secret, max(current_step(), gina_step + 1))})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_twenty_parallel_wrong_codes_are_checked_at_most_five_times(gatehouse):
    user, secret, step = user_at(gatehouse, "ivan", "127.0.0.4")
    wrong = wrong_code(secret)

    def attempt(_):
        with requests.Session() as session:
            from_address(session, "127.0.0.4")
            session.cookies.update(user.http.cookies)
            answer = session.post(f"{gatehouse.url}/api/v1/session/totp", json={"code": wrong},
                                  headers={"X-CSRF-Token": user.csrf})
            return answer.status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 20, statuses
    right = user.post("/api/v1/session/totp", {"code": oath_code(secret, max(current_step(), step + 1))})
    assert right.status_code == 429
    assert rejection_reasons(gatehouse, "ivan").count("invalid_totp") <= 5


def test_the_second_step_page_answers_429_with_retry_after(gatehouse):
    user, secret, step = user_at(gatehouse, "jules", "127.0.0.5")
    page = user.http.get(f"{gatehouse.url}/account/two-factor/verify")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def submit(code: str) -> requests.Response:
        return user.http.post(f"{gatehouse.url}/account/two-factor/verify",
                              data={"csrf_token": csrf, "method": "totp", "code": code}, allow_redirects=False)

    for _ in range(5):
        assert submit(wrong_code(secret)).status_code == 400
    limited = submit(oath_code(secret, max(current_step(), step + 1)))
    assert limited.status_code == 429
    assert 200 <= int(limited.headers["Retry-After"]) <= 300
    assert "Too many failed attempts" in limited.text and 'name="code"' in limited.text
