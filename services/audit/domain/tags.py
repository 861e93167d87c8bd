"""The catalogue of audit tags: one tag per event type, one sentence per tag.

Tags are shaped `source:subject:action` and, like the events they name, never hold a secret.
Every event type known to gatehouse/eventstore/registry.py must appear here (a unit test
checks it); a type from a newer producer gets `unknown:<Type>` instead of an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Additional = Mapping[str, Any]
Renderer = Callable[[Additional], str]

UNKNOWN_PREFIX = "unknown:"

TAG_OF_EVENT_TYPE: dict[str, str] = {
    "UserCreated": "account:user:created",
    "LoginSucceeded": "account:login:succeeded",
    "LoginFailed": "account:login:failed",
    "SessionEnded": "account:session:ended",
    "TokenIssued": "account:api_token:issued",
    "TokenRevoked": "account:api_token:revoked",
    "TokenRejected": "account:api_token:rejected",
    "TokenRotated": "account:api_token:rotated",
    "TokenLeaked": "account:api_token:removed_leak",
    "TokenUsed": "account:api_token:used_new_network",
    "ProjectTokenAdded": "project:api_token:added",
    "ProjectTokenRemoved": "project:api_token:removed",
    "ProjectCreated": "project:project:created",
    "RoleAdded": "project:role:added",
    "ReleaseCreated": "project:release:created",
    "FileAdded": "file:file:added",
    "UploadRejected": "project:upload:rejected",
    "RecoveryCodesGenerated": "account:recovery_codes:generated",
    "RecoveryCodesRegenerated": "account:recovery_codes:regenerated",
    "RecoveryCodesConfirmed": "account:recovery_codes:confirmed",
    "RecoveryCodeUsed": "account:recovery_codes:used",
    "SecondFactorAdded": "account:two_factor:method_added",
    "SecondFactorRemoved": "account:two_factor:method_removed",
    "SecondFactorAccepted": "account:login:second_factor_succeeded",
    "SecondFactorRejected": "account:login:second_factor_failed",
    "SecurityKeyCloneSuspected": "account:two_factor:clone_suspected",
    "PasskeySignInChanged": "account:two_factor:passkey_changed",
}


def _with_reason(sentence: str, record: Additional) -> str:
    reason = str(record.get("reason", ""))
    if reason and " " not in reason:
        reason = reason.replace("_", " ")  # a code such as invalid_password, not a sentence
    return f"{sentence} ({reason})" if reason else sentence


def _user_created(record: Additional) -> str:
    by_operator = " by an operator" if record.get("created_by") == "operator" else ""
    return f"Account {record.get('username', '')} created{by_operator}"


def _login_succeeded(record: Additional) -> str:
    if record.get("second_factor_required"):
        return "Password accepted; second factor required"
    return "Logged in"


def _method_sentence(what: str, record: Additional) -> str:
    names = {"totp": "Authenticator app", "webauthn": "Security key", "recovery_code": "Recovery code"}
    method = names.get(str(record.get("method", "")), "Second factor")
    label = f" '{record['label']}'" if record.get("label") else ""
    return f"{method}{label} {what}"


def _session_ended(record: Additional) -> str:
    if record.get("reason", "logout") == "logout":
        return "Logged out"
    return _with_reason("Session ended", record)


RENDERERS: dict[str, Renderer] = {
    "account:user:created": _user_created,
    "account:login:succeeded": _login_succeeded,
    "account:login:failed": lambda r: _with_reason("Login failed", r),
    "account:session:ended": _session_ended,
    "account:api_token:issued": lambda r: f"API token '{r.get('name', '')}' issued",
    "account:api_token:revoked": lambda r: _with_reason("API token revoked", r),
    "account:api_token:rejected": lambda r: _with_reason("API token rejected", r),
    "account:api_token:rotated": lambda r: f"API token '{r.get('name', '')}' rotated (replaced by a new secret)",
    "account:api_token:used_new_network": lambda r: (
        f"API token '{r.get('name', '')}' used from a new network {r.get('network', '')}".rstrip()
    ),
    "project:api_token:added": lambda r: (
        f"API token '{r.get('name', '')}' may now act on {r.get('project', 'the project')}"
    ),
    "project:api_token:removed": lambda r: (
        f"API token '{r.get('name', '')}' no longer covers {r.get('project', 'the project')}"
    ),
    "account:api_token:removed_leak": lambda r: (
        f"API token '{r.get('name', '')}' revoked: reported public at {r.get('url', '') or 'an unknown place'}"
    ),
    "project:project:created": lambda r: f"Project {r.get('name', '')} created",
    "project:role:added": lambda r: f"{r.get('username', 'A user')} added as {r.get('role', '')}",
    "project:release:created": lambda r: f"Release {r.get('version', '')} created",
    "file:file:added": lambda r: (
        f"File {r.get('filename', '')} added to release {r.get('version', '')}"
    ),
    "project:upload:rejected": lambda r: _with_reason(f"Upload of {r.get('filename', '')} rejected", r),
    "account:recovery_codes:generated": lambda r: f"{r.get('count', 0)} recovery codes generated",
    "account:recovery_codes:regenerated": lambda r: "Recovery codes regenerated (the old ones no longer work)",
    "account:recovery_codes:confirmed": lambda r: "Recovery codes confirmed as saved (one code burned)",
    "account:recovery_codes:used": lambda r: f"Recovery code used ({r.get('remaining', 0)} left)",
    "account:two_factor:method_added": lambda r: _method_sentence("added", r),
    "account:two_factor:method_removed": lambda r: _method_sentence("removed", r),
    "account:login:second_factor_succeeded": lambda r: _method_sentence("accepted at login", r),
    "account:login:second_factor_failed": lambda r: _with_reason("Second login step failed", r),
    "account:two_factor:passkey_changed": lambda r: (
        f"Passkey sign-in turned {'on' if r.get('enabled') else 'off'} for security key '{r.get('label', '')}'"
    ),
    "account:two_factor:clone_suspected": lambda r: (
        f"Security key '{r.get('label', '')}' may be cloned (its signature counter went backwards)"
    ),
}


def tag_of(event_type: str) -> str:
    """The tag of `event_type`; `unknown:<Type>` for a type this build does not know."""
    return TAG_OF_EVENT_TYPE.get(event_type, f"{UNKNOWN_PREFIX}{event_type}")


def render(tag: str, record: Additional) -> str:
    """One short English sentence for an event with `tag` and payload `record`. Never raises
    for an unknown tag: it names the event type instead."""
    renderer = RENDERERS.get(tag)
    if renderer is None:
        return f"Event {tag.removeprefix(UNKNOWN_PREFIX)}"
    return renderer(record)


# Project policies (set by an Owner in the uploads service). Kept in one block at the end so
# that the catalogue above merges cleanly with other additions.
def _policy_changed(record: Additional) -> str:
    state = "on" if record.get("enabled") else "off"
    weakened = " (weakened: every owner was mailed)" if record.get("weakened") else ""
    return f"Policy {record.get('policy', '')} turned {state}{weakened}"


TAG_OF_EVENT_TYPE["ProjectPolicyChanged"] = "project:policy:changed"
RENDERERS["project:policy:changed"] = _policy_changed


# Account e-mail verification and password changes (identity). Kept in one block so that the
# catalogue above merges cleanly with other additions; `setdefault` keeps an entry another
# block already made for the same tag.
TAG_OF_EVENT_TYPE.setdefault("EmailVerified", "account:email:verified")
TAG_OF_EVENT_TYPE.setdefault("PasswordChanged", "account:password:changed")
RENDERERS.setdefault("account:email:verified", lambda r: f"E-mail address {r.get('email', 'of the account')} verified")
RENDERERS.setdefault("account:password:changed", lambda r: (
    "Password changed" + (f"; {r['sessions_ended']} other sessions ended" if r.get("sessions_ended") else "")
))
