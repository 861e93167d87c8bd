"""Mails about uploads an index let through with a warning (rules for alerts.MULTI_RULES). Pure.

With GATEHOUSE_RECORD_MISMATCH=warn the uploads service accepts a wheel whose RECORD does not
match its contents and records WheelRecordMismatched, naming the project's Owners and
Maintainers and the uploader. As PyPI does, each of them is mailed a warning, once, at the
primary address if it is verified: the wheel may be broken for installers, and a stricter
index (or this one, later) refuses such uploads.
"""

from __future__ import annotations

from services.identity.domain.alerts import Alert, Facts, Payload

FOOTER = ("\n\nYou are mailed because you are an Owner or Maintainer of the project, or uploaded the file. "
          "If you did not expect this upload, review the project's security history.")


def _recipients(payload: Payload) -> list[str]:
    everyone = [*payload.get("owner_user_ids", []), *payload.get("maintainer_user_ids", []),
                payload.get("uploaded_by_user_id", "")]
    return [str(user_id) for user_id in dict.fromkeys(everyone) if user_id]


def _listed(payload: Payload) -> str:
    lines = [f"  - {mismatch}" for mismatch in payload.get("mismatches", [])]
    more = int(payload.get("more_mismatches", 0) or 0)
    if more:
        lines.append(f"  - and {more} more mismatch{'es' if more > 1 else ''}")
    return "\n".join(lines)


def _text(payload: Payload) -> str:
    project, filename = payload.get("project_name", ""), payload.get("filename", "")
    uploader = payload.get("uploaded_by_username", "") or "a collaborator"
    where = "a staged release" if payload.get("staged") else "release"
    return (
        f"The wheel {filename} uploaded to project '{project}' ({where} {payload.get('version', '')}) "
        f"by {uploader} has a RECORD file that does not match its contents:\n\n{_listed(payload)}\n\n"
        "This upload was accepted because this index warns rather than refuses; a future upload may "
        "be refused. Installers that check RECORD may reject this wheel. Rebuild it with an up-to-date "
        "build tool, so that RECORD lists every file of the wheel with its correct digest and size, "
        f"and upload the rebuilt wheel under a new version or build number.{FOOTER}"
    )


def record_mismatched(payload: Payload, facts: Facts) -> list[Alert]:
    """Every Owner and Maintainer named in the event and the uploader, once each, at a verified
    primary address only."""
    subject = f"Wheel RECORD mismatch in project {payload.get('project_name', '')}"
    text = _text(payload)
    return [Alert(user_id, subject, text, verified_only=True) for user_id in _recipients(payload)]
