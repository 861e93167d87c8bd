"""The e-mail gate: an unverified session reaches only verification and log-out; the API
answers 403, pages redirect; a verified session is left to the other rules."""

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from gatehouse.identity.v1 import identity_pb2
from gateway.email_verification import EmailNotVerified, enforce


def _session(verified: bool) -> identity_pb2.Session:
    return identity_pb2.Session(user=identity_pb2.User(email="ruth@example.org", email_verified=verified))


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/session"), ("DELETE", "/api/v1/session"), ("POST", "/account/logout"),
    ("GET", "/account/verify-email"), ("POST", "/account/verify-email/resend"),
    ("POST", "/api/v1/account/email/verification"),
])
def test_an_unverified_session_reaches_verification_and_log_out(method, path):
    assert enforce(make_mocked_request(method, path), _session(False)) is True


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/api/v1/account/totp", "/api/v1/sessionx"])
def test_an_unverified_session_gets_403_on_the_api(path):
    with pytest.raises(EmailNotVerified, match="ruth@example.org") as refused:
        enforce(make_mocked_request("GET", path), _session(False))
    assert refused.value.status == 403


@pytest.mark.parametrize("path", ["/", "/account/", "/account/two-factor", "/projects/demo/"])
def test_an_unverified_session_is_redirected_from_pages(path):
    with pytest.raises(web.HTTPSeeOther) as redirect:
        enforce(make_mocked_request("GET", path), _session(False))
    assert redirect.value.location == "/account/verify-email"


def test_a_verified_session_is_left_to_the_other_rules():
    assert enforce(make_mocked_request("GET", "/api/v1/tokens"), _session(True)) is False
