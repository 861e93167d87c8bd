"""Login rate limits (as PyPI): failures per user, per client IP and globally, in a sliding window. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.identity.domain.errors import RateLimited


@dataclass(frozen=True)
class LoginLimits:
    """At most this many failed logins within `window_seconds`, per scope."""

    per_user: int = 10
    per_ip: int = 10
    global_: int = 1000
    window_seconds: int = 300


@dataclass(frozen=True)
class RecentFailures:
    """Times (microseconds) of failed logins in the window, oldest first, for each scope."""

    user: Sequence[int] = ()
    ip: Sequence[int] = ()
    global_: Sequence[int] = ()


def _wait_seconds(times: Sequence[int], limit: int, window_us: int, now_us: int) -> int:
    """Seconds until fewer than `limit` failures remain in the window (0: not limited)."""
    recent = sorted(time for time in times if now_us - time < window_us)
    if limit <= 0 or len(recent) < limit:
        return 0
    # The window must forget enough failures to leave limit - 1 of them.
    freeing = recent[len(recent) - limit]
    return max(1, -(-(freeing + window_us - now_us) // 1_000_000))


def check(limits: LoginLimits, failures: RecentFailures, now_us: int) -> None:
    """Raises RateLimited (with the longest wait of any exceeded scope) when a login attempt
    must not even be checked."""
    window_us = limits.window_seconds * 1_000_000
    waits = {
        "this account": _wait_seconds(failures.user, limits.per_user, window_us, now_us),
        "your network address": _wait_seconds(failures.ip, limits.per_ip, window_us, now_us),
        "this index": _wait_seconds(failures.global_, limits.global_, window_us, now_us),
    }
    scope, wait = max(waits.items(), key=lambda item: item[1])
    if wait:
        raise RateLimited(
            f"Too many failed logins for {scope}; try again in {wait} seconds.", retry_after_seconds=wait
        )
