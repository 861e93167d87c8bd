"""Expired, not-yet-valid, revoked and rotated-away tokens are refused by twine uploads, each
with its own reason after "403 Forbidden from <url>"; a rotated token's successor works."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.flow import build_project, twine_upload


def _said(done) -> str:
    return " ".join((done.stdout + done.stderr).split())  # twine wraps long lines


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    files = build_project(tmp_path_factory.mktemp("build"), "refusals", "1.0")
    return [path for path in files if path.suffix == ".whl"]


def _refused(alice, token: str, wheel, reason: str) -> None:
    done = twine_upload(alice.gatehouse, token, wheel)
    assert done.returncode != 0
    expected = f"403 Forbidden from {alice.gatehouse.url}/legacy/ Invalid API Token: {reason}"
    assert expected in _said(done), _said(done)


def test_an_expired_token_is_refused_with_its_expiry(alice, wheel):
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2)
    token = alice.create_token("short-lived", expires_at=_at(expires))["token"]
    time.sleep(max(0.0, (expires - datetime.now(timezone.utc)).total_seconds()) + 0.5)
    _refused(alice, token, wheel, f"the token expired at {_at(expires)}.")


def test_a_token_not_valid_yet_is_refused_with_its_start(alice, wheel):
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    token = alice.create_token("tomorrow", not_before=_at(starts))["token"]
    _refused(alice, token, wheel, f"the token is not valid before {_at(starts)}.")


def test_a_revoked_token_is_refused(alice, wheel):
    token = alice.create_token("revoked")
    answer = alice.http.delete(f"{alice.gatehouse.url}/api/v1/tokens/{token['id']}",
                               headers={"X-CSRF-Token": alice.csrf})
    assert answer.status_code == 200, answer.text
    _refused(alice, token["token"], wheel, "the token has been revoked or does not exist.")


def test_a_rotated_away_token_is_refused_and_its_successor_works(alice, wheel):
    old = alice.create_token("rotating", projects=["refusals"])
    answer = alice.post(f"/api/v1/tokens/{old['id']}/rotate", {})
    assert answer.status_code == 201, answer.text
    new = answer.json()
    assert new["id"] != old["id"] and new["token"] != old["token"] and new["replaces"] == old["id"]
    assert new["caveats"] == old["caveats"]
    _refused(alice, old["token"], wheel, "the token has been revoked or does not exist.")
    done = twine_upload(alice.gatehouse, new["token"], wheel)
    assert done.returncode == 0, _said(done)


def test_rotating_a_revoked_token_is_refused(alice):
    old = alice.create_token("rotate-twice")
    assert alice.post(f"/api/v1/tokens/{old['id']}/rotate", {}).status_code == 201
    again = alice.post(f"/api/v1/tokens/{old['id']}/rotate", {})
    assert again.status_code == 400 and again.json()["error"]["code"] == "token_revoked"


def test_the_account_log_shows_rotation_and_rejections(alice, wheel):
    wanted = {"account:api_token:rotated", "account:api_token:rejected", "account:api_token:removed"}
    events = alice.wait_for_events("users", "alice", wanted, timeout=10)
    assert wanted <= {event["tag"] for event in events}
    rejected = [event for event in events if event["tag"] == "account:api_token:rejected"]
    assert any("expired at" in event["additional"]["reason"] for event in rejected)
