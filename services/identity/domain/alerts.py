"""Which security events warrant a mail to the account's owner, and what it says. Pure.

`alert_for` maps one event (its type, payload as a dict, and facts the notifier looked up)
to an Alert or None. Rules are keyed by event type; a type with no rule sends nothing.
Some rules wait for events other issues add (TokenUsed from a new network, EmailChanged,
policy changes); they are here so that the mail starts the day the event does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Payload = Mapping[str, Any]
# Events older than this when first seen (e.g. a notifier deployed on an old stream) are history,
# not news: nobody should receive a year of alerts at once.
MAX_AGE_US = 24 * 3600 * 1_000_000
FOOTER = "\n\nIf this was not you, change your password and review your account's security history."


@dataclass(frozen=True)
class Facts:
    """What the notifier found out about the event beyond its payload."""

    ip_address: str = ""
    user_agent: str = ""
    # For a login: whether no earlier successful login of this user came from this IP.
    first_login_from_ip: bool = False


@dataclass(frozen=True)
class Alert:
    """A mail to the owner of `user_id`."""

    user_id: str
    subject: str
    text: str


Rule = Callable[[Payload, Facts], Alert | None]


def _from(facts: Facts) -> str:
    where = f" from {facts.ip_address}" if facts.ip_address else ""
    device = f" ({facts.user_agent})" if facts.user_agent else ""
    return f"{where}{device}"


def _login(payload: Payload, facts: Facts) -> Alert | None:
    if not facts.first_login_from_ip:
        return None
    text = f"Your account was logged in to{_from(facts)}, an address it was never used from before."
    return Alert(str(payload.get("user_id", "")), "New login to your Gatehouse account", text + FOOTER)


def _simple(subject: str, sentence: Callable[[Payload], str]) -> Rule:
    def rule(payload: Payload, facts: Facts) -> Alert:
        return Alert(str(payload.get("user_id", "")), subject, f"{sentence(payload)}{_from(facts)}.{FOOTER}")

    return rule


RULES: dict[str, Rule] = {
    "LoginSucceeded": _login,
    "TokenIssued": _simple("API token created", lambda p: f"An API token named '{p.get('name', '')}' was created"),
    "TokenUsed": _simple("API token used from a new network", lambda p: "Your API token was used from a new network"),
    "SecondFactorAdded": _simple(
        "Second factor added", lambda p: f"A second factor ({p.get('method', '')} {p.get('label', '')}) was added".replace(" )", ")")
    ),
    "SecondFactorRemoved": _simple(
        "Second factor removed", lambda p: f"A second factor ({p.get('method', '')} {p.get('label', '')}) was removed".replace(" )", ")")
    ),
    "RecoveryCodeUsed": _simple(
        "Recovery code used", lambda p: f"A recovery code was used to log in ({p.get('remaining', 0)} left)"
    ),
    "RecoveryCodesGenerated": _simple(
        "Recovery codes generated", lambda p: f"{p.get('count', 0)} recovery codes were generated for your account"
    ),
    "RecoveryCodesRegenerated": _simple(
        "Recovery codes regenerated",
        lambda p: f"A new set of {p.get('count', 0)} recovery codes was generated; the old codes no longer work",
    ),
    "SecurityKeyCloneSuspected": _simple(
        "Security key may be cloned",
        lambda p: f"Your security key '{p.get('label', '')}' answered with a signature counter that went backwards, "
        "a sign that it may have been cloned; it was refused. Consider removing it",
    ),
    "EmailChanged": _simple("E-mail address changed", lambda p: "The e-mail address of your account was changed"),
}


def alert_for(event_type: str, payload: Payload, facts: Facts, age_us: int = 0) -> Alert | None:
    """The mail one event calls for, or None (no rule, no user, too old to be news)."""
    rule = RULES.get(event_type)
    if rule is None or age_us > MAX_AGE_US:
        return None
    alert = rule(payload, facts)
    return alert if alert is not None and alert.user_id else None
