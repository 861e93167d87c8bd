"""The warning a wheel accepted despite RECORD mismatches records (GATEHOUSE_RECORD_MISMATCH=warn).
Pure.

PyPI mails a project's Owners and Maintainers when a wheel's RECORD does not match its
contents. Here the uploads service records WheelRecordMismatched, naming those users, and
identity's notifier sends the mail. The descriptions come from the uploaded archive, so the
event holds a bounded number of them, each of bounded length.
"""

from __future__ import annotations

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain.model import MAINTAINER, OWNER, AddFile, ProjectState, RecordMismatches, Uploader

MAX_LISTED = 20
MAX_LENGTH = 300
ELLIPSIS = "..."


def _shortened(description: str) -> str:
    if len(description) <= MAX_LENGTH:
        return description
    return description[: MAX_LENGTH - len(ELLIPSIS)] + ELLIPSIS


def _collaborators(state: ProjectState | None, uploader: Uploader, role: str) -> list[str]:
    if state is None:  # the upload creates the project: its uploader is the one Owner
        return [uploader.user_id] if role == OWNER else []
    return sorted(user_id for user_id, held in state.roles.items() if held == role)


def mismatch_events(state: ProjectState | None, command: AddFile, uploader: Uploader, file_event) -> list:
    """[WheelRecordMismatched] for a file accepted with RECORD mismatches (command.record_mismatches),
    or [] when it had none. `state` is the project before the upload (None for a new one);
    `file_event` the FileAdded or FileStaged just decided, whose project name and release
    version the warning repeats."""
    mismatches = command.record_mismatches
    if not mismatches:
        return []
    listed = [_shortened(description) for description in mismatches.descriptions[:MAX_LISTED]]
    more = len(mismatches.descriptions) - len(listed) + mismatches.unlisted
    return [events.WheelRecordMismatched(
        project_id=command.project_id, project_name=file_event.project_name, version=file_event.version,
        filename=command.filename, mismatches=listed, more_mismatches=more,
        uploaded_by_user_id=uploader.user_id, uploaded_by_username=uploader.username,
        owner_user_ids=_collaborators(state, uploader, OWNER),
        maintainer_user_ids=_collaborators(state, uploader, MAINTAINER),
        staged=isinstance(file_event, events.FileStaged),
    )]
