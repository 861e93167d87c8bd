"""Limits on failed second login steps, per user and per client address. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

US = 1_000_000


@dataclass(frozen=True)
class Limit:
    """At most `attempts` failures by one `scope` ("user" or "ip") within `window_seconds`."""

    scope: str
    attempts: int
    window_seconds: int

    def describe(self) -> str:
        return f"{self.scope}:{self.attempts}/{self.window_seconds}s"


DEFAULT_LIMITS = (
    Limit("user", 5, 300),
    Limit("user", 20, 3600),
    Limit("user", 50, 86400),
    Limit("ip", 10, 300),
    Limit("ip", 50, 3600),
)


def parse(text: str) -> tuple[Limit, ...]:
    """Limits from "user:5/300,ip:10/300,..." (GATEHOUSE_MFA_RATE_LIMITS); the defaults for "".
    Raises ValueError for a malformed entry."""
    if not text.strip():
        return DEFAULT_LIMITS
    limits = []
    for entry in text.split(","):
        scope, _, rule = entry.strip().partition(":")
        attempts, _, window = rule.partition("/")
        if scope not in ("user", "ip") or not attempts.isdigit() or int(attempts) < 1 or not window.rstrip("s").isdigit():
            raise ValueError(f"Malformed rate limit {entry!r}; write e.g. user:5/300")
        limits.append(Limit(scope, int(attempts), int(window.rstrip("s"))))
    return tuple(limits)


def blocked_for(
    limits: Sequence[Limit], failures_by_scope: dict[str, Sequence[int]], now_us: int
) -> tuple[Limit, int] | None:
    """The limit in force and the seconds until another attempt may be checked, or None.

    `failures_by_scope` holds failure times (µs) per scope; a limit blocks when its window
    already holds `attempts` failures, until the oldest of those leaves the window."""
    worst: tuple[Limit, int] | None = None
    for limit in limits:
        window_start = now_us - limit.window_seconds * US
        recent = sorted((t for t in failures_by_scope.get(limit.scope, ()) if t > window_start), reverse=True)
        if len(recent) < limit.attempts:
            continue
        frees_at = recent[limit.attempts - 1] + limit.window_seconds * US
        seconds = max(1, -(-(frees_at - now_us) // US))
        if worst is None or seconds > worst[1]:
            worst = (limit, seconds)
    return worst


def longest_window(limits: Sequence[Limit]) -> int:
    """The longest window in seconds (older failures never matter)."""
    return max((limit.window_seconds for limit in limits), default=0)
