"""Where a session may go: second step pending, no second factor, stale login."""

from types import SimpleNamespace

import pytest

from gatehouse.identity.v1 import identity_pb2
from gateway import second_factor
from gateway.keys import SETTINGS

MINUTE_US = 60 * 1_000_000
NOW = 1_000_000 * MINUTE_US


def request(method: str, path: str, reauth_minutes: int = 30):
    settings = SimpleNamespace(reauth_minutes=reauth_minutes, require_2fa=True, origin="http://x")
    return SimpleNamespace(method=method, path=path, app={SETTINGS: settings})


def session(minutes_ago: float, verified: bool = True):
    return identity_pb2.Session(created_at_us=int(NOW - minutes_ago * MINUTE_US), second_factor_verified=verified)


@pytest.mark.parametrize(
    ("method", "path", "minutes_ago"),
    [
        ("POST", "/api/v1/tokens", 31),
        ("POST", "/api/v1/account/recovery-codes", 31),
        ("DELETE", "/api/v1/account/totp", 6),
        ("POST", "/account/two-factor/keys/k1/remove", 6),
    ],
)
def test_sensitive_changes_need_a_recent_login(method, path, minutes_ago):
    with pytest.raises(second_factor.ReauthenticationRequired):
        second_factor.check_fresh_login(request(method, path), session(minutes_ago), NOW)


@pytest.mark.parametrize(
    ("method", "path", "minutes_ago"),
    [
        ("POST", "/api/v1/tokens", 29),
        ("DELETE", "/api/v1/account/totp", 4),
        ("GET", "/api/v1/tokens", 600),
        ("DELETE", "/api/v1/tokens/t1", 600),  # revoking is never made harder
        ("POST", "/account/tokens/t1/revoke", 600),
        ("POST", "/account/two-factor/verify", 600),
        ("POST", "/legacy/", 600),
    ],
)
def test_everything_else_passes(method, path, minutes_ago):
    second_factor.check_fresh_login(request(method, path), session(minutes_ago), NOW)


def test_the_window_is_configurable():
    with pytest.raises(second_factor.ReauthenticationRequired):
        second_factor.check_fresh_login(request("POST", "/api/v1/tokens", reauth_minutes=10), session(11), NOW)


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/account/security-history", "/api/v1/users/a/events"])
async def test_a_pending_second_step_reaches_nothing_else(path):
    with pytest.raises(second_factor.SecondFactorPending):
        await second_factor.enforce(request("GET", path), session(1, verified=False))


@pytest.mark.parametrize("path", ["/api/v1/session", "/api/v1/session/totp", "/account/two-factor/verify",
                                  "/account/logout"])
async def test_a_pending_second_step_reaches_the_login_endpoints(path):
    await second_factor.enforce(request("POST" if path != "/api/v1/session" else "GET", path),
                                session(1, verified=False))
