"""How long each kind of security log keeps its rows. Pure.

Retention trims whole stream prefixes (so a chain stays verifiable from its retention mark),
so a stream has one kind, read from its name: `project-…` streams feed project logs, `ip-…`
streams (failed logins for unknown usernames) feed IP logs, every other stream (`user-…`,
`token-…`) feeds user logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

USER = "user"
PROJECT = "project"
IP = "ip"
KINDS = (USER, PROJECT, IP)
DAY_US = 86_400 * 1_000_000
_PREFIX_OF_KIND = {PROJECT: "project-", IP: "ip-"}


def kind_of_stream(stream: str) -> str:
    """The kind of log a stream's events live in: "project", "ip" or "user"."""
    for kind, prefix in _PREFIX_OF_KIND.items():
        if stream.startswith(prefix):
            return kind
    return USER


def stream_prefix(kind: str) -> str:
    """The stream-name prefix of `kind` ("" for user streams, which are the rest)."""
    return _PREFIX_OF_KIND.get(kind, "")


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep per log kind; 0 (the default) keeps everything. `overrides` wins over
    `default_days` for its kinds, and an override of 0 keeps that kind whole."""

    default_days: float = 0.0
    overrides: Mapping[str, float] = field(default_factory=dict)

    def days_for(self, kind: str) -> float:
        """The retention of `kind` in days (0: keep everything)."""
        return self.overrides.get(kind, self.default_days)

    def cutoffs(self, now_us: int) -> dict[str, int]:
        """Per kind that is trimmed, the time before which rows go."""
        return {kind: now_us - int(self.days_for(kind) * DAY_US) for kind in KINDS if self.days_for(kind) > 0}

    @property
    def keeps_everything(self) -> bool:
        """Whether no kind is ever trimmed."""
        return all(self.days_for(kind) <= 0 for kind in KINDS)
