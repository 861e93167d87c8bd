"""Password rules: length, the common-password list, and zxcvbn strength with user inputs."""

import pytest

from services.identity.adapters.common_passwords import load_common_passwords
from services.identity.domain import password_rules
from services.identity.domain.errors import UnacceptablePassword

COMMON = password_rules.parse_common_passwords("# a comment\n\nPassword123\ncorrecthorsebatterystaple\n")


def test_the_list_is_parsed_lower_cased_without_comments_or_blank_lines():
    assert COMMON == frozenset({"password123", "correcthorsebatterystaple"})


def test_the_bundled_list_loads_and_holds_well_known_passwords():
    bundled = load_common_passwords()
    assert {"password1", "p@ssw0rd", "correcthorsebatterystaple"} <= bundled
    assert not any(entry.startswith("#") for entry in bundled)


@pytest.mark.parametrize("password", ["CorrectHorseBatteryStaple", "PASSWORD123"])
def test_a_listed_password_is_refused_in_any_case(password):
    with pytest.raises(UnacceptablePassword, match="common or breached"):
        password_rules.check_new_password(password, "rosalind", "r@example.org", COMMON)


@pytest.mark.parametrize("password, message", [("short7!", "at least 8"), ("x" * 4097, "at most 4096")])
def test_length_bounds(password, message):
    with pytest.raises(UnacceptablePassword, match=message):
        password_rules.check_new_password(password, "rosalind", "r@example.org", COMMON)


def test_a_weak_password_is_refused_with_zxcvbns_warning():
    with pytest.raises(UnacceptablePassword, match="too weak"):
        password_rules.check_new_password("qwertyuiop1", "rosalind", "r@example.org", frozenset())


def test_the_username_and_address_count_as_guessable():
    # Strong for a stranger, weak for the account whose name it contains.
    password_rules.check_new_password("rfranklin2024", "someone", "someone@example.org", frozenset())
    with pytest.raises(UnacceptablePassword, match="too weak"):
        password_rules.check_new_password("rfranklin2024", "rfranklin", "rfranklin@example.org", frozenset())


def test_a_strong_unlisted_password_passes_and_long_ones_are_checked_quickly():
    password_rules.check_new_password("violet-lantern-harbour-91", "rosalind", "r@example.org", COMMON)
    password_rules.check_new_password("v" + "x9-" * 1300, "rosalind", "r@example.org", COMMON)
