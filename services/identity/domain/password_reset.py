"""Password reset rules: how many links a user may be mailed, how many requests one address may
make, and what binds a link to the password it replaces. Pure."""

from __future__ import annotations

import hashlib
import hmac

from services.identity.domain.errors import RateLimited

LINK_LIFETIME_US = 6 * 3600 * 1_000_000
LINKS_PER_DAY = 5
DAY_US = 24 * 3600 * 1_000_000
REQUESTS_PER_IP_PER_HOUR = 20
HOUR_US = 3600 * 1_000_000


def may_mail(mailed_times: list[int], now: int) -> bool:
    """Whether another link may be mailed to a user who was mailed links at `mailed_times`
    (beyond LINKS_PER_DAY within 24 hours, requests are answered alike but send nothing)."""
    return sum(1 for t in mailed_times if t > now - DAY_US) < LINKS_PER_DAY


def check_ip_limit(request_times: list[int], now: int) -> None:
    """Raises RateLimited when one client address made REQUESTS_PER_IP_PER_HOUR requests within the hour."""
    recent = sorted(t for t in request_times if t > now - HOUR_US)
    if len(recent) < REQUESTS_PER_IP_PER_HOUR:
        return
    oldest_counted = recent[len(recent) - REQUESTS_PER_IP_PER_HOUR]
    wait = max(1, -(-(oldest_counted + HOUR_US - now) // 1_000_000))
    raise RateLimited(
        f"Too many password reset requests from your address; try again in {wait} seconds.",
        retry_after_seconds=wait,
    )


def fingerprint(password_hash: str) -> str:
    """What binds a link to the password it replaces: the hash is salted, so any password change
    (even to the same password) changes it."""
    return hashlib.sha256(password_hash.encode()).hexdigest()


def same_fingerprint(current: str, stored: str) -> bool:
    """Constant-time comparison of two fingerprints."""
    return hmac.compare_digest(current.encode(), stored.encode())
