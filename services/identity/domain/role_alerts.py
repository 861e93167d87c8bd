"""Mails about project roles (rules for alerts.MULTI_RULES). Pure.

The uploads service puts the project's owners in each role event (`owner_user_ids`), so these
rules mail every owner, and the collaborator concerned, without asking that service. An
invitation mails the invitee the page where they accept or decline it (they must log in as
themselves there: the link alone grants nothing).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.identity.domain.alerts import Alert, Facts, Payload

OWNER_FOOTER = ("\n\nYou are mailed because you are an owner of the project or the collaborator concerned. "
                "If this was not intended, review the project's collaborators and security history.")


def _recipients(payload: Payload) -> list[str]:
    everyone = [*payload.get("owner_user_ids", []), payload.get("user_id", "")]
    return [str(user_id) for user_id in dict.fromkeys(everyone) if user_id]


def _mail_everyone(payload: Payload, facts: Facts, subject: str, sentence: str) -> list[Alert]:
    where = f" from {facts.ip_address}" if facts.ip_address else ""
    text = f"{sentence}{where}.{OWNER_FOOTER}"
    return [Alert(user_id, subject, text) for user_id in _recipients(payload)]


def role_added(payload: Payload, facts: Facts) -> list[Alert]:
    """Owners and the new collaborator; nobody for a project's creator (no owners yet)."""
    if not payload.get("owner_user_ids"):
        return []
    project, who, role = payload.get("project_name", ""), payload.get("username", ""), payload.get("role", "")
    how = " after accepting an invitation" if payload.get("invitation_id") else ""
    return _mail_everyone(payload, facts, f"New collaborator on project {project}",
                          f"{who} became a {role} of project '{project}'{how}")


def role_changed(payload: Payload, facts: Facts) -> list[Alert]:
    """Owners (before the change) and the collaborator."""
    project, who = payload.get("project_name", ""), payload.get("username", "")
    old, new = payload.get("old_role", ""), payload.get("role", "")
    return _mail_everyone(payload, facts, f"Role changed on project {project}",
                          f"The role of {who} on project '{project}' was changed from {old} to {new}")


def role_removed(payload: Payload, facts: Facts) -> list[Alert]:
    """Owners (before the removal) and the former collaborator."""
    project, who, role = payload.get("project_name", ""), payload.get("username", ""), payload.get("role", "")
    return _mail_everyone(payload, facts, f"Collaborator removed from project {project}",
                          f"{who} is no longer a {role} of project '{project}'")


def _day(time_us: int) -> str:
    return datetime.fromtimestamp(time_us / 1_000_000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def invitation_created(payload: Payload, facts: Facts) -> list[Alert]:
    """The invitee: the link to accept or decline, and when the invitation expires."""
    project, role = payload.get("project_name", ""), payload.get("role", "")
    inviter = payload.get("invited_by_username", "") or "An owner"
    link = f"{facts.origin}/invitations/{payload.get('invitation_id', '')}"
    text = (f"{inviter} invited you to become a {role} of project '{project}'.\n\n"
            f"To accept or decline, log in and open:\n\n{link}\n\n"
            f"The invitation expires on {_day(int(payload.get('expires_at_us', 0)))}. "
            "If you do not want it, decline it or ignore this mail.")
    return [Alert(str(payload.get("user_id", "")), f"Invitation to project {project}", text)]
