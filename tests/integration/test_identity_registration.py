"""Registration through the JSON API and the /register page: PyPI's username rules, the
operator's prohibited list, e-mail validity and uniqueness, password strength and the bundled
common-password list, the honeypot; each account gets a verification link by mail."""

from __future__ import annotations

import pytest
import requests

from tests.integration.identity_helpers import mails_to, started_instance, verification_links

STRONG = "violet-lantern-harbour-91"


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    yield from started_instance(tmp_path_factory, nats, GATEHOUSE_PROHIBITED_USERNAMES="admin,Root")


def register(gatehouse, username: str, email: str, password: str = STRONG) -> requests.Response:
    return requests.post(f"{gatehouse.url}/api/v1/users",
                         json={"username": username, "email": email, "password": password}, timeout=30)


def error_code(answer: requests.Response) -> str:
    return answer.json()["error"]["code"]


def test_a_new_user_is_created_unverified_and_mailed_a_link(gatehouse):
    answer = register(gatehouse, "Erin.Dev", "erin@example.org")
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"username": "Erin.Dev", "email": "erin@example.org", "email_verified": False}
    assert len(verification_links(gatehouse, "erin@example.org")) == 1


def test_usernames_are_unique_case_insensitively_and_follow_pypis_rules(gatehouse):
    assert register(gatehouse, "frank", "frank@example.org").status_code == 201
    taken = register(gatehouse, "FRANK", "frank2@example.org")
    assert (taken.status_code, error_code(taken)) == (409, "username_taken")
    for bad in ("-frank", "frank_", "fr@nk", "a" * 51):
        refused = register(gatehouse, bad, "x@example.org")
        assert (refused.status_code, error_code(refused)) == (400, "invalid_username"), bad
    assert register(gatehouse, "a" * 50, "fifty@example.org").status_code == 201


def test_the_operators_prohibited_names_are_refused_in_any_case(gatehouse):
    for name in ("admin", "ROOT"):
        refused = register(gatehouse, name, f"{name}@example.org")
        assert (refused.status_code, error_code(refused)) == (400, "username_prohibited")
        assert "not allowed" in refused.json()["error"]["message"]


def test_e_mail_addresses_are_validated_and_unique(gatehouse):
    assert register(gatehouse, "gina", "gina@example.org").status_code == 201
    again = register(gatehouse, "gina2", "GINA@example.org")
    assert (again.status_code, error_code(again)) == (409, "email_taken")
    malformed = register(gatehouse, "gina3", "gina-at-example.org")
    assert (malformed.status_code, error_code(malformed)) == (400, "invalid_email")


@pytest.mark.parametrize("password, reason", [
    ("short7!", "at least 8"),
    ("x" * 4097, None),  # refused by the gateway's length check before identity
    ("hank12345", "too weak"),  # the username plus digits
    ("correcthorsebatterystaple", "common or breached"),  # zxcvbn likes it; the list does not
])
def test_weak_common_or_oversized_passwords_are_refused(gatehouse, password, reason):
    refused = register(gatehouse, "hank", "hank@example.org", password)
    assert refused.status_code == 400, refused.text
    if reason:
        assert (error_code(refused), reason in refused.json()["error"]["message"]) == ("unacceptable_password", True)
    assert mails_to(gatehouse, "hank@example.org") == []


def test_the_register_page_shows_errors_next_to_their_field(gatehouse):
    page = requests.get(f"{gatehouse.url}/register", timeout=10)
    assert page.status_code == 200
    for field in ("username", "email", "password"):
        assert f'<label for="{field}">' in page.text and f'id="{field}"' in page.text
    refused = requests.post(f"{gatehouse.url}/register", timeout=30,
                            data={"username": "ivy", "email": "ivy@example.org", "password": "ivy12345"})
    assert refused.status_code == 400
    assert 'id="password-error"' in refused.text and "too weak" in refused.text
    assert 'value="ivy@example.org"' in refused.text and 'id="username-error"' not in refused.text
    created = requests.post(f"{gatehouse.url}/register", timeout=30,
                            data={"username": "ivy", "email": "ivy@example.org", "password": STRONG})
    assert created.status_code == 201 and "ivy@example.org" in created.text
    assert len(verification_links(gatehouse, "ivy@example.org")) == 1


def test_a_filled_in_honeypot_creates_nothing(gatehouse):
    trapped = requests.post(f"{gatehouse.url}/register", timeout=30, data={
        "username": "botty", "email": "botty@example.org", "password": STRONG, "homepage": "http://spam.example"})
    assert trapped.status_code == 400
    assert register(gatehouse, "botty", "botty@example.org").status_code == 201  # the name was never taken
