"""The user's security log (GET /api/v1/users/{u}/events) names every failed login step with its
reason (a wrong password too), and every passed second step with its method and key label."""

from __future__ import annotations

from tests.integration.audit_helpers import wait_until
from tests.integration.mfa_helpers import current_step, enrol_with_oathtool, new_user, oath_code, password_step

FAILED, PASSED = "account:login:failure", "account:login:success"


def test_failure_reasons_and_the_passing_method_are_in_the_users_events(gatehouse):
    user = new_user(gatehouse, "olive")
    secret, codes, step = enrol_with_oathtool(user)
    password_step(user)
    wrong = next(c for c in ("000000", "111111", "222222") if c not in
                 {oath_code(secret, current_step() + offset) for offset in range(-10, 11)})
    assert user.post("/api/v1/session/totp", {"code": wrong}).json()["error"]["code"] == "invalid_totp"
    right_step = max(current_step(), step + 1)
    assert user.post("/api/v1/session/totp", {"code": oath_code(secret, right_step)}).status_code == 200

    password_step(user)
    replayed = user.post("/api/v1/session/totp", {"code": oath_code(secret, right_step)})
    assert replayed.json()["error"]["code"] == "replayed_totp"
    invalid = user.post("/api/v1/session/recovery-code", {"code": "aaaa-bbbb-cccc-dddd"})
    assert invalid.json()["error"]["code"] == "invalid_recovery_code"
    assert user.post("/api/v1/session/recovery-code", {"code": codes[0]}).status_code == 200
    password_step(user)
    burned = user.post("/api/v1/session/recovery-code", {"code": codes[0]})
    assert burned.json()["error"]["code"] == "burned_recovery_code"
    wrong_password = user.http.post(f"{gatehouse.url}/api/v1/session",
                                    json={"username": "olive", "password": "not-her-passphrase"})
    assert wrong_password.status_code == 401
    user.last_totp_step = right_step
    user.log_in()

    wanted = {"invalid_totp", "replayed_totp", "invalid_recovery_code", "burned_recovery_code"}

    def logged():
        events = user.events("users", "olive", limit=500)
        reasons = {event["additional"].get("reason") for event in events if event["tag"] == FAILED}
        return events if wanted <= reasons else None

    events = wait_until(logged, timeout=10)
    assert any(e["tag"] == "account:login:failure" and e["additional"].get("reason") == "invalid_password"
               for e in events)
    passed = [(e["additional"].get("method"), e["additional"].get("label", "")) for e in events if e["tag"] == PASSED]
    assert ("totp", "Authenticator app") in passed
    assert "recovery_code" in {method for method, _ in passed}
