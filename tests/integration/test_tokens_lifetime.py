"""An operator's maximum token lifetime (GATEHOUSE_TOKEN_MAX_LIFETIME_DAYS) is enforced, and
the web form's expiry presets (default: one year) create tokens that expire accordingly."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.harness import Gatehouse, drop_postgres_databases, postgres_base_url

MAX_DAYS = 100


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    """An instance whose operator allows tokens to live at most MAX_DAYS days."""
    database_url = postgres_base_url()
    previous = os.environ.get("GATEHOUSE_TOKEN_MAX_LIFETIME_DAYS")
    os.environ["GATEHOUSE_TOKEN_MAX_LIFETIME_DAYS"] = str(MAX_DAYS)
    instance = Gatehouse(tmp_path_factory.mktemp("gatehouse") / "data", nats.url, database_url)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()
        if previous is None:
            os.environ.pop("GATEHOUSE_TOKEN_MAX_LIFETIME_DAYS", None)
        else:
            os.environ["GATEHOUSE_TOKEN_MAX_LIFETIME_DAYS"] = previous
        if database_url:
            drop_postgres_databases(database_url)


def _in_days(days: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_token_without_expiry_or_beyond_the_maximum_is_refused(alice):
    for body in ({"name": "forever"}, {"name": "too-long", "expires_at": _in_days(MAX_DAYS + 5)}):
        answer = alice.post("/api/v1/tokens", body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["message"] == f"The token must expire within {MAX_DAYS} days."


def test_a_token_within_the_maximum_is_issued(alice):
    token = alice.create_token("fine", expires_at=_in_days(MAX_DAYS - 1))
    assert token["expires_at"]


def _form(alice, **fields):
    return alice.http.post(f"{alice.gatehouse.url}/account/tokens",
                           data={"csrf_token": alice.csrf, "name": "from-the-form", **fields})


def test_the_web_form_offers_presets_defaulting_to_one_year(alice):
    page = alice.http.get(f"{alice.gatehouse.url}/account/").text
    assert re.search(r'<option value="365" selected>in one year</option>', page)
    refused = _form(alice)  # one year is beyond this operator's maximum
    assert refused.status_code == 400 and f"within {MAX_DAYS} days" in refused.text


def test_a_preset_within_the_maximum_creates_a_token_expiring_then(alice):
    answer = _form(alice, expires_in_days="30")
    assert answer.status_code == 200, answer.text
    listed = alice.http.get(f"{alice.gatehouse.url}/api/v1/tokens").json()["tokens"]
    expires = datetime.fromisoformat(listed[0]["expires_at"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(timezone.utc) + timedelta(days=30))) < timedelta(minutes=5)
