"""Limits on failed second steps."""

import pytest

from services.mfa.domain import rate_limits
from services.mfa.domain.rate_limits import DEFAULT_LIMITS, US, Limit

NOW = 10_000_000 * US


def seconds_ago(*seconds):
    return [NOW - s * US for s in seconds]


def test_below_every_limit_nothing_is_blocked():
    assert rate_limits.blocked_for(DEFAULT_LIMITS, {"user": seconds_ago(1, 2, 3, 4)}, NOW) is None


def test_five_user_failures_in_five_minutes_block_until_the_oldest_leaves_the_window():
    limit, seconds = rate_limits.blocked_for(DEFAULT_LIMITS, {"user": seconds_ago(10, 20, 30, 40, 100)}, NOW)
    assert limit == Limit("user", 5, 300) and seconds == 200


def test_ten_failures_from_one_address_block_it():
    limit, _ = rate_limits.blocked_for(DEFAULT_LIMITS, {"ip": seconds_ago(*range(1, 11))}, NOW)
    assert limit.scope == "ip"


def test_the_longest_wait_wins():
    failures = {"user": seconds_ago(*range(60, 60 * 21, 60))}  # 20 in the hour, 5 in the last 5 min
    limit, seconds = rate_limits.blocked_for(DEFAULT_LIMITS, failures, NOW)
    assert limit == Limit("user", 20, 3600) and seconds == 3600 - 1200


def test_old_failures_do_not_count():
    assert rate_limits.blocked_for(DEFAULT_LIMITS, {"user": seconds_ago(400, 500, 600, 700, 800)}, NOW) is None


def test_limits_are_configurable():
    assert rate_limits.parse("user:3/60, ip:100/3600s") == (Limit("user", 3, 60), Limit("ip", 100, 3600))
    assert rate_limits.parse("") == DEFAULT_LIMITS


@pytest.mark.parametrize("text", ["user:5", "host:5/300", "user:0/300", "user:x/300"])
def test_malformed_limits_are_refused(text):
    with pytest.raises(ValueError):
        rate_limits.parse(text)
