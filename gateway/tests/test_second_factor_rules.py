"""Where a session may go: second step pending, no second factor, stale login."""

from types import SimpleNamespace

import pytest
from aiohttp import web

from gatehouse.identity.v1 import identity_pb2
from gateway import reauthentication, second_factor
from gateway.keys import SETTINGS

MINUTE_US = 60 * 1_000_000
NOW = 1_000_000 * MINUTE_US


def request(method: str, path: str, reauth_minutes: int = 30, headers=None):
    settings = SimpleNamespace(reauth_minutes=reauth_minutes, require_2fa=True, origin="http://x")
    return SimpleNamespace(method=method, path=path, path_qs=path, app={SETTINGS: settings}, headers=headers or {},
                           host="x")


def session(minutes_ago: float, verified: bool = True):
    return identity_pb2.Session(created_at_us=int(NOW - minutes_ago * MINUTE_US), second_factor_verified=verified)


@pytest.mark.parametrize(
    ("method", "path", "minutes_ago"),
    [
        ("POST", "/api/v1/tokens", 31),
        ("POST", "/api/v1/account/recovery-codes", 31),
        ("DELETE", "/api/v1/account/totp", 6),
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


def reauthenticated(login_minutes_ago: float, reauth_minutes_ago: float):
    stale = session(login_minutes_ago)
    stale.reauthenticated_at_us = int(NOW - reauth_minutes_ago * MINUTE_US)
    return stale


def test_a_recent_reauthentication_counts_as_a_recent_login():
    second_factor.check_fresh_login(request("POST", "/api/v1/tokens"), reauthenticated(600, 29), NOW)
    second_factor.check_fresh_login(request("DELETE", "/api/v1/account/totp"), reauthenticated(600, 4), NOW)


def test_an_old_reauthentication_does_not():
    with pytest.raises(second_factor.ReauthenticationRequired, match="POST /api/v1/session/reauthenticate"):
        second_factor.check_fresh_login(request("POST", "/api/v1/tokens"), reauthenticated(600, 31), NOW)


def test_a_stale_page_action_goes_to_the_reauthentication_page_and_back_to_its_form():
    form_post = request("POST", "/account/two-factor/keys/k1/remove",
                        headers={"Referer": "http://x/account/two-factor?tab=keys"})
    with pytest.raises(web.HTTPSeeOther) as redirect:
        second_factor.check_fresh_login(form_post, session(6), NOW)
    assert redirect.value.location == "/account/reauthenticate?next=/account/two-factor%3Ftab%3Dkeys"


def test_a_page_action_posted_from_another_site_comes_back_to_the_account_page():
    form_post = request("POST", "/account/tokens", headers={"Referer": "https://evil.example/account/tokens"})
    with pytest.raises(web.HTTPSeeOther) as redirect:
        second_factor.check_fresh_login(form_post, session(31), NOW)
    assert redirect.value.location == "/account/reauthenticate?next=/account/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/account/two-factor", "/account/two-factor"),
        ("/account/tokens?x=1", "/account/tokens?x=1"),
        ("https://evil.example/", "/account/"),
        ("//evil.example/", "/account/"),
        ("/\\evil.example/", "/account/"),
        ("/\tevil", "/account/"),
        ("javascript:alert(1)", "/account/"),
        ("", "/account/"),
    ],
)
def test_next_is_only_ever_a_path_on_this_site(value, expected):
    assert reauthentication.same_site_path(value) == expected


def test_project_policies_see_the_later_of_login_and_reauthentication():
    from gateway.auth import Caller
    from gateway.routes.api_project_policies import login_facts

    assert login_facts(Caller(principal=None, session=reauthenticated(600, 2))).logged_in_at_us == NOW - 2 * MINUTE_US
    assert login_facts(Caller(principal=None, session=session(3))).logged_in_at_us == NOW - 3 * MINUTE_US
