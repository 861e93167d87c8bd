"""Which security events warrant a mail to the account's owner, and what it says. Pure.

`alert_for` maps one event (its type, payload as a dict, and facts the notifier looked up)
to an Alert or None. Rules are keyed by event type; a type with no rule sends nothing.
Some rules wait for events other issues add; they are here so that the mail starts the day
the event does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Payload = Mapping[str, Any]
# Events older than this when first seen (e.g. a notifier deployed on an old stream) are history,
# not news: nobody should receive a year of alerts at once.
MAX_AGE_US = 24 * 3600 * 1_000_000
TOKEN_FOOTER = "\n\nIf this was not you, revoke the token and review your account's security history."
FOOTER = "\n\nIf this was not you, change your password and review your account's security history."


@dataclass(frozen=True)
class Facts:
    """What the notifier found out about the event beyond its payload."""

    ip_address: str = ""
    user_agent: str = ""
    # For a login: whether no earlier successful login of this user came from this IP.
    first_login_from_ip: bool = False
    # The site's public origin, for links in mails.
    origin: str = ""


@dataclass(frozen=True)
class Alert:
    """A mail to the owner of `user_id`: to `to_email` when set (an address the account had,
    such as the primary address it just replaced), else to the account's primary address;
    with `verified_only`, only when that primary address is verified (else nobody)."""

    user_id: str
    subject: str
    text: str
    to_email: str = ""
    verified_only: bool = False


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


def _unless_account_recovery(rule: Rule) -> Rule:
    """The rule, except for factors an account recovery removed: its own mails say so, once."""

    def checked(payload: Payload, facts: Facts) -> Alert | None:
        return None if payload.get("reason") == "account_recovery" else rule(payload, facts)

    return checked


def _token_used(payload: Payload, facts: Facts) -> Alert:
    network = payload.get("network", "") or "an unknown network"
    address = payload.get("ip_address", "") or facts.ip_address
    text = (f"Your API token '{payload.get('name', '')}' was used from the network {network}"
            f"{f' (address {address})' if address else ''}, a network it was never used from before.")
    return Alert(str(payload.get("user_id", "")), "API token used from a new network", text + TOKEN_FOOTER)


def _token_leaked(payload: Payload, facts: Facts) -> Alert:
    # The actor of TokenLeaked is the secret-scanning partner that reported it, not the owner:
    # its address says nothing about the owner's account, so the mail leaves it out.
    where = payload.get("url", "") or "a public place"
    text = (f"Your API token '{payload.get('name', '')}' was found published at {where} and has been "
            "revoked, so it no longer works. Create a new token where you need one, and remove the "
            "published copy.\n\nReview your account's security history for uses of the token before it was revoked.")
    return Alert(str(payload.get("user_id", "")), "API token found in public and revoked", text)


def _email_changed(payload: Payload, facts: Facts) -> Alert:
    # Mailed to the old address: whoever took over the account would read the new one.
    old, new = payload.get("old_email", ""), payload.get("new_email", "")
    text = (f"The primary e-mail address of your account was changed from {old} to {new}{_from(facts)}. "
            "Mail about the account now goes to the new address.")
    return Alert(str(payload.get("user_id", "")), "Primary e-mail address changed", text + FOOTER, to_email=str(old))


RULES: dict[str, Rule] = {
    "LoginSucceeded": _login,
    "TokenIssued": _simple("API token created", lambda p: f"An API token named '{p.get('name', '')}' was created"),
    "TokenUsed": _token_used,
    "TokenLeaked": _token_leaked,
    "SecondFactorAdded": _simple(
        "Second factor added", lambda p: f"A second factor ({p.get('method', '')} {p.get('label', '')}) was added".replace(" )", ")")
    ),
    "SecondFactorRemoved": _unless_account_recovery(_simple(
        "Second factor removed", lambda p: f"A second factor ({p.get('method', '')} {p.get('label', '')}) was removed".replace(" )", ")")
    )),
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
    "EmailChanged": _email_changed,
    "PasswordReset": _simple(
        "Password reset",
        lambda p: "The password of your account was reset through a mailed link and all your sessions were ended",
    ),
    "PasswordChanged": _simple(
        "Password changed", lambda p: "The password of your account was changed and your other sessions were ended"
    ),
}


def alert_for(event_type: str, payload: Payload, facts: Facts, age_us: int = 0) -> Alert | None:
    """The mail one event calls for, or None (no rule, no user, too old to be news)."""
    rule = RULES.get(event_type)
    if rule is None or age_us > MAX_AGE_US:
        return None
    alert = rule(payload, facts)
    return alert if alert is not None and alert.user_id else None


# Rules that mail several users at once (every owner of a project). Kept apart from RULES so
# that the one-recipient rules above stay as they are; `alerts_for` applies both kinds.
MultiRule = Callable[[Payload, Facts], list[Alert]]

POLICY_NAMES = {
    "require_2fa": "collaborators must use two-factor authentication",
    "require_phishing_resistant_2fa": "collaborators must use a phishing-resistant second factor (security key)",
    "require_scoped_tokens": "uploads only with API tokens scoped to the project",
    "require_staged_releases": "uploads go to staged releases",
}


def _policy_weakened(payload: Payload, facts: Facts) -> list[Alert]:
    if not payload.get("weakened"):
        return []
    policy = str(payload.get("policy", ""))
    project = str(payload.get("project_name", ""))
    text = (
        f"The policy \"{POLICY_NAMES.get(policy, policy)}\" was turned off on project '{project}'{_from(facts)}. "
        "You are mailed because you are an owner of the project."
        f"\n\nIf this was not intended, turn the policy back on and review the project's security history."
    )
    subject = f"Policy weakened on project {project}"
    return [Alert(str(user_id), subject, text) for user_id in payload.get("owner_user_ids", [])]


MULTI_RULES: dict[str, MultiRule] = {
    "ProjectPolicyChanged": _policy_weakened,
}


def _register_role_rules() -> None:
    # role_alerts and upload_alerts import this module's types, so their rules join the table
    # once both exist.
    from services.identity.domain import role_alerts, upload_alerts

    MULTI_RULES.update({
        "RoleAdded": role_alerts.role_added,
        "RoleChanged": role_alerts.role_changed,
        "RoleRemoved": role_alerts.role_removed,
        "RoleInvitationCreated": role_alerts.invitation_created,
        "WheelRecordMismatched": upload_alerts.record_mismatched,
    })


_register_role_rules()


def has_rule(event_type: str) -> bool:
    """Whether any rule (one recipient or several) looks at events of this type."""
    return event_type in RULES or event_type in MULTI_RULES


def alerts_for(event_type: str, payload: Payload, facts: Facts, age_us: int = 0) -> list[Alert]:
    """Every mail one event calls for (none when too old to be news); each names a user."""
    if age_us > MAX_AGE_US:
        return []
    single = alert_for(event_type, payload, facts, age_us)
    several = MULTI_RULES[event_type](payload, facts) if event_type in MULTI_RULES else []
    return [alert for alert in [single, *several] if alert is not None and alert.user_id]
