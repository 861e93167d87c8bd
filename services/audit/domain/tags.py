"""The catalogue of audit tags: one tag per event type, one sentence per tag.

Tags are shaped `source:subject:action` and, like the events they name, never hold a secret.
Every event type known to gatehouse/eventstore/registry.py must appear here (a unit test
checks it); a type from a newer producer gets `unknown:<Type>` instead of an error.

The catalogue covers at least what PyPI records. Where no service emits the event yet, the
entry names the event type it will have (PLANNED_EVENT_TYPES) so that its producer only adds
the protobuf message. PyPI's account-side role tags are the project role events: they land in
the subject user's log as well as in the project's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Additional = Mapping[str, Any]
Renderer = Callable[[Additional], str]

UNKNOWN_PREFIX = "unknown:"

TAG_OF_EVENT_TYPE: dict[str, str] = {
    "UserCreated": "account:user:created",
    "LoginSucceeded": "account:login:success",
    "LoginFailed": "account:login:failure",
    "SessionEnded": "account:session:ended",
    "SessionReauthenticated": "account:session:reauthenticated",
    "UserLocked": "account:user:locked",
    "UserUnlocked": "account:user:unlocked",
    "TokenIssued": "account:api_token:added",
    "TokenRevoked": "account:api_token:removed",
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
    "ReleaseStaged": "project:release:staged",
    "FileStaged": "file:file:staged",
    "StagedReleaseDiscarded": "project:release:stage_discarded",
    "RecoveryCodesGenerated": "account:recovery_codes:generated",
    "RecoveryCodesRegenerated": "account:recovery_codes:regenerated",
    "RecoveryCodesConfirmed": "account:recovery_codes:confirmed",
    "RecoveryCodeUsed": "account:recovery_codes:used",
    "SecondFactorAdded": "account:two_factor:method_added",
    "SecondFactorRemoved": "account:two_factor:method_removed",
    "SecondFactorAccepted": "account:login:success",
    "SecondFactorRejected": "account:login:failure",
    "SecurityKeyCloneSuspected": "account:two_factor:clone_suspected",
    "PasskeySignInChanged": "account:two_factor:passkey_changed",
    "RoleInvitationCreated": "project:role:invite",
    "RoleInvitationDeclined": "project:role:decline_invite",
    "RoleInvitationRevoked": "project:role:revoke_invite",
    "NewDeviceLoginHeld": "account:login:new_device",
    "NewDeviceLoginConfirmed": "account:login:new_device_confirmed",
    "RecoveryStarted": "account:recovery:started",
    "RecoveryConfirmed": "account:recovery:identity_confirmed",
    "RecoveryCancelled": "account:recovery:cancelled",
    "RecoveryCompleted": "account:recovery:completed",
    # Planned: catalogued before their producers emit them (see PLANNED_EVENT_TYPES).
    "PasswordChanged": "account:password:changed",
    "PasswordResetRequested": "account:password:reset_requested",
    "PasswordReset": "account:password:reset",
    "EmailAdded": "account:email:added",
    "EmailRemoved": "account:email:removed",
    "EmailVerified": "account:email:verified",
    "EmailChanged": "account:email:primary_changed",
    "EmailSent": "account:email:sent",
    "RoleChanged": "project:role:changed",
    "RoleRemoved": "project:role:removed",
    "ReleaseYanked": "project:release:yanked",
    "ReleaseUnyanked": "project:release:unyanked",
    "ReleasePublished": "project:release:published_from_stage",
    "ProjectPolicyChanged": "project:policy:changed",
    "FileRemoved": "file:file:removed",
    "ProjectLimitsChanged": "project:limits:changed",
    "WheelRecordMismatched": "file:record:mismatched",
}

# Catalogued event types no service emits yet; a test keeps this list honest.
PLANNED_EVENT_TYPES = frozenset({
    "EmailSent",
    "FileRemoved",
})


def _with_reason(sentence: str, record: Additional) -> str:
    reason = str(record.get("reason", ""))
    if reason and " " not in reason:
        reason = reason.replace("_", " ")  # a code such as invalid_password, not a sentence
    return f"{sentence} ({reason})" if reason else sentence


def _user_created(record: Additional) -> str:
    by_operator = " by an operator" if record.get("created_by") == "operator" else ""
    return f"Account {record.get('username', '')} created{by_operator}"


def _reauthenticated(record: Additional) -> str:
    if record.get("method") == "webauthn":
        return _method_sentence("confirmed for sensitive changes (re-authentication)", record)
    return "Password confirmed for sensitive changes (re-authentication)"


def _login_succeeded(record: Additional) -> str:
    if record.get("purpose") == "reauthenticate":
        return _method_sentence("accepted for re-authentication", record)
    if record.get("method"):
        return _method_sentence("accepted: logged in", record)
    if record.get("second_factor_required"):
        return "Password accepted; second factor required"
    return "Logged in"


def _login_failed(record: Additional) -> str:
    if record.get("purpose") == "reauthenticate":
        return _with_reason(_method_sentence("refused at re-authentication", record), record)
    if record.get("method"):
        return _with_reason(_method_sentence("refused at login", record), record)
    return _with_reason("Login failed", record)


def _method_sentence(what: str, record: Additional) -> str:
    names = {"totp": "Authenticator app", "webauthn": "Security key", "recovery_code": "Recovery code"}
    method = names.get(str(record.get("method", "")), "Second factor")
    label = f" '{record['label']}'" if record.get("label") else ""
    return f"{method}{label} {what}"


def _device(record: Additional) -> str:
    email = f" (a confirmation link was mailed to {record['email']})" if record.get("email") else ""
    return f"Login from a new device held until confirmed by e-mail{email}"


def _recovery_confirmed(record: Additional) -> str:
    due = record.get("due_at_us")
    when = ""
    if due:
        from datetime import datetime, timezone

        when = " until " + datetime.fromtimestamp(int(due) / 1e6, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"Account recovery: identity confirmed by e-mail; waiting{when}"


def _email(what: str, record: Additional) -> str:
    email = record.get("email", "")
    return f"E-mail address {email} {what}" if email else f"E-mail address {what}"


def _primary_email_changed(record: Additional) -> str:
    old, new = record.get("old_email", ""), record.get("new_email", "") or record.get("email", "")
    if old and new:
        return f"Primary e-mail address changed from {old} to {new}"
    return f"Primary e-mail address changed to {new}" if new else "Primary e-mail address changed"


def _role_changed(record: Additional) -> str:
    who = record.get("username", "") or "A user"
    old, new = record.get("old_role", ""), record.get("role", "") or record.get("new_role", "")
    if old and new:
        return f"{who} changed from {old} to {new}"
    return f"{who} now {new}" if new else f"{who}'s role changed"


def _policy_changed(record: Additional) -> str:
    state = "on" if record.get("enabled") else "off"
    weakened = " (weakened: every owner was mailed)" if record.get("weakened") else ""
    return f"Policy {record.get('policy', '')} turned {state}{weakened}"


def _size_limit(value) -> str:
    size = int(value or 0)  # int64 fields arrive as JSON strings
    if size == 0:
        return "the index default"
    return f"{size / 1024 ** 3:g} GiB" if size >= 1024 ** 3 else f"{size / 1024 ** 2:g} MiB"


def _limits_changed(record: Additional) -> str:
    return (f"Size limits set by an operator: {_size_limit(record.get('max_file_size'))} per file, "
            f"{_size_limit(record.get('max_project_size'))} for the project")


def _record_mismatched(record: Additional) -> str:
    count = len(record.get("mismatches", []) or []) + int(record.get("more_mismatches", 0) or 0)
    return (f"File {record.get('filename', '')} accepted although its RECORD does not match its contents "
            f"({count} mismatches; the Owners, Maintainers and uploader were mailed)")


def _session_ended(record: Additional) -> str:
    if record.get("reason", "logout") == "logout":
        return "Logged out"
    return _with_reason("Session ended", record)


RENDERERS: dict[str, Renderer] = {
    "account:user:created": _user_created,
    "account:user:locked": lambda r: _with_reason("Account locked by an operator", r)
    + (f"; {r['sessions_ended']} sessions ended" if r.get("sessions_ended") else ""),
    "account:user:unlocked": lambda r: "Account unlocked by an operator",
    "account:session:reauthenticated": _reauthenticated,
    # PyPI's two login tags: the password step and the second step share them; the record's
    # fields (second_factor_required, method) tell them apart.
    "account:login:success": _login_succeeded,
    "account:login:failure": _login_failed,
    "account:session:ended": _session_ended,
    "account:api_token:added": lambda r: f"API token '{r.get('name', '')}' added",
    "account:api_token:removed": lambda r: _with_reason("API token removed", r),
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
    "project:release:staged": lambda r: f"Release {r.get('version', '')} staged (not visible to installers yet)",
    "file:file:staged": lambda r: f"File {r.get('filename', '')} staged for release {r.get('version', '')}",
    "project:release:stage_discarded": lambda r: (
        f"Staged release {r.get('version', '')} discarded ({len(r.get('filenames', []) or [])} files)"
    ),
    "account:recovery_codes:generated": lambda r: f"{r.get('count', 0)} recovery codes generated",
    "account:recovery_codes:regenerated": lambda r: "Recovery codes regenerated (the old ones no longer work)",
    "account:recovery_codes:confirmed": lambda r: "Recovery codes confirmed as saved (one code burned)",
    "account:recovery_codes:used": lambda r: f"Recovery code used ({r.get('remaining', 0)} left)",
    "account:two_factor:method_added": lambda r: _method_sentence("added", r),
    "account:two_factor:method_removed": lambda r: _method_sentence("removed", r),
    "account:two_factor:passkey_changed": lambda r: (
        f"Passkey sign-in turned {'on' if r.get('enabled') else 'off'} for security key '{r.get('label', '')}'"
    ),
    "account:two_factor:clone_suspected": lambda r: (
        f"Security key '{r.get('label', '')}' may be cloned (its signature counter went backwards)"
    ),
    "account:login:new_device": _device,
    "account:login:new_device_confirmed": lambda r: "Login from a new device confirmed by e-mail",
    "account:recovery:started": lambda r: "Account recovery started by an operator (second factors lost)",
    "account:recovery:identity_confirmed": _recovery_confirmed,
    "account:recovery:cancelled": lambda r: "Account recovery cancelled",
    "account:recovery:completed": lambda r: (
        f"Account recovery completed: {r.get('methods_removed', 0)} second factors removed"
    ),
    "account:password:changed": lambda r: (
        "Password changed" + (f"; {r['sessions_ended']} other sessions ended" if r.get("sessions_ended") else "")
    ),
    "account:password:reset_requested": lambda r: "Password reset requested (a link was e-mailed)",
    "account:password:reset": lambda r: "Password reset through an e-mailed link",
    "account:email:added": lambda r: _email("added", r),
    "account:email:removed": lambda r: _email("removed", r),
    "account:email:verified": lambda r: _email("verified", r),
    "account:email:primary_changed": _primary_email_changed,
    "account:email:sent": lambda r: f"E-mail sent: {r.get('subject', '') or 'a message'}",
    "project:role:changed": _role_changed,
    "project:role:removed": lambda r: (
        f"{r.get('username', '') or 'A user'} removed as {r.get('role', '') or 'collaborator'}"
    ),
    "project:release:yanked": lambda r: _with_reason(f"Release {r.get('version', '')} yanked", r),
    "project:release:unyanked": lambda r: f"Release {r.get('version', '')} no longer yanked",
    "project:release:published_from_stage": lambda r: (
        f"Staged release {r.get('version', '')} published ({len(r.get('filenames', []) or [])} files)"
    ),
    "project:policy:changed": _policy_changed,
    "project:role:invite": lambda r: (
        f"{r.get('username', '') or 'A user'} invited as {r.get('role', '')} by {r.get('invited_by_username', '') or 'an Owner'}"
    ),
    "project:role:decline_invite": lambda r: (
        f"{r.get('username', '') or 'A user'} declined the invitation to become {r.get('role', '')}"
    ),
    "project:role:revoke_invite": lambda r: (
        f"Invitation of {r.get('username', '') or 'a user'} as {r.get('role', '')} revoked"
    ),
    "file:file:removed": lambda r: _with_reason(f"File {r.get('filename', '')} removed", r),
    "project:limits:changed": _limits_changed,
    "file:record:mismatched": _record_mismatched,
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
