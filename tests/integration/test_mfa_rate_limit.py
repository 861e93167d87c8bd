"""Failed second steps are rate limited per user and per client address: 429 with Retry-After,
an event, and no further codes checked (not even a right one)."""

from __future__ import annotations

from tests.integration.mfa_helpers import (
    current_step,
    enrol_with_oathtool,
    new_user,
    oath_code,
    password_step,
    wait_for_types,
)


def wrong_code(secret: str) -> str:
    near = {oath_code(secret, current_step() + offset) for offset in range(-10, 11)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def test_five_failures_block_the_user_with_retry_after(gatehouse):
    user = new_user(gatehouse, "erin")
    secret, _, step = enrol_with_oathtool(user)
    password_step(user)
    for _ in range(5):
        assert user.post("/api/v1/session/totp", {"code": wrong_code(secret)}).status_code == 401
    right = oath_code(secret, max(current_step(), step + 1))
    limited = user.post("/api/v1/session/totp", {"code": right})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 200 <= int(limited.headers["Retry-After"]) <= 300
    assert user.http.get(f"{gatehouse.url}/api/v1/tokens").status_code == 401  # still not logged in

    events = wait_for_types(gatehouse, "erin", {"SecondFactorRejected"})
    reasons = [e["additional"].get("reason") for e in events if e["type"] == "SecondFactorRejected"]
    assert reasons.count("invalid_totp") == 5 and "rate_limited" in reasons


def test_ten_failures_from_one_address_block_every_user_there(gatehouse):
    frank = new_user(gatehouse, "frank")
    secret, _, _ = enrol_with_oathtool(frank)
    password_step(frank)
    for _ in range(4):  # with erin's 5 failures: 9 from 127.0.0.1
        assert frank.post("/api/v1/session/totp", {"code": wrong_code(secret)}).status_code == 401
    assert frank.post("/api/v1/session/totp", {"code": wrong_code(secret)}).status_code == 401  # the 10th

    gina = new_user(gatehouse, "gina")
    gina_secret, _, gina_step = enrol_with_oathtool(gina)
    password_step(gina)
    limited = gina.post("/api/v1/session/totp", {"code": oath_code(gina_secret, max(current_step(), gina_step + 1))})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
