"""Login rate limits: given recent failures per scope, when a login comes, then refused or not."""

import pytest

from services.identity.domain.errors import RateLimited
from services.identity.domain.login_limits import LoginLimits, RecentFailures, check

S = 1_000_000
NOW = 10_000 * S
LIMITS = LoginLimits(per_user=10, per_ip=10, global_=1000, window_seconds=300)


def test_nine_failures_do_not_limit():
    check(LIMITS, RecentFailures(user=[NOW - i * S for i in range(9)]), NOW)


def test_the_tenth_failure_limits_until_the_oldest_leaves_the_window():
    failures = [NOW - 100 * S + i * S for i in range(10)]  # oldest 100 s ago
    with pytest.raises(RateLimited) as refused:
        check(LIMITS, RecentFailures(user=failures), NOW)
    assert refused.value.retry_after_seconds == 200
    assert refused.value.trailers == (("retry-after", "200"),)
    assert "this account" in refused.value.message


def test_failures_older_than_the_window_do_not_count():
    check(LIMITS, RecentFailures(ip=[NOW - 301 * S] * 20 + [NOW - S] * 9), NOW)


def test_each_scope_has_its_own_limit_and_the_longest_wait_wins():
    with pytest.raises(RateLimited, match="network address"):
        check(LIMITS, RecentFailures(ip=[NOW - 10 * S] * 10), NOW)
    with pytest.raises(RateLimited, match="this index") as refused:
        check(LIMITS, RecentFailures(user=[NOW - 250 * S] * 10, global_=[NOW - 10 * S] * 1000), NOW)
    assert refused.value.retry_after_seconds == 290


def test_limits_are_configurable():
    with pytest.raises(RateLimited):
        check(LoginLimits(per_user=2, window_seconds=60), RecentFailures(user=[NOW - S, NOW - 2 * S]), NOW)
