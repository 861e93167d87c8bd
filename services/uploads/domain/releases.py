"""What maintainers do to releases after upload: publish or discard a stage, yank or un-yank a
published release (PEP 592). Pure: given a project's state and a command, the events or a refusal.

Publishing is the step a human takes: it needs a session (never an API token) that passed a
second factor and whose login (or re-authentication) is within the re-authentication window,
and the project's management policies apply to it. Discarding and yanking from a session need
the same fresh login; yanking with an API token needs its caveats to allow `yank` (checked by
the tokens service before `decide_yank` runs).
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain import policies
from services.uploads.domain.errors import (
    InvalidYankReason, NotACollaborator, ReauthenticationRequired, ReleaseNotFound, SecondFactorRequired,
    StageNotFound,
)
from services.uploads.domain.model import UPLOAD_ROLES, ProjectState, Stage, release_key

MAX_REASON = 500


@dataclass(frozen=True)
class ReleaseCommand:
    """Command: act on one version. `manager` is a session's caller (None for an API token, which
    the tokens service verified); `fresh_window_us`: how recent the login must be."""

    version: str
    manager: policies.Manager | None
    now_us: int
    fresh_window_us: int
    reason: str = ""


def _check_collaborator(state: ProjectState, user_id: str, username: str, action: str) -> None:
    if state.roles.get(user_id) not in UPLOAD_ROLES:
        raise NotACollaborator(
            f"Only the Owners and Maintainers of project '{state.name}' can {action}; user '{username}' is neither."
        )


def check_session(state: ProjectState, command: ReleaseCommand, action: str) -> None:
    """A session's caller: a collaborator whose login is fresh and who meets the project's
    policies. Raises NotACollaborator, ReauthenticationRequired, ProjectRequiresSecondFactor or
    ProjectRequiresPhishingResistantFactor."""
    manager = command.manager
    _check_collaborator(state, manager.user_id, manager.username, action)
    if command.now_us - manager.logged_in_at_us > command.fresh_window_us:
        minutes = command.fresh_window_us // 60_000_000
        raise ReauthenticationRequired(
            f"To {action}, confirm your password first: this needs a login or re-authentication within the "
            f"last {minutes} minutes (POST /api/v1/session/reauthenticate, or /account/reauthenticate), then retry."
        )
    policies.check_manager(state, state.policies, manager)


def stage_of(state: ProjectState, version: str) -> Stage:
    """The open stage of `version`. Raises StageNotFound."""
    stage = state.stages.get(release_key(version))
    if stage is None:
        raise StageNotFound(f"Nothing is staged for version '{version[:100]}' of project '{state.name}'.")
    return stage


def decide_publish(state: ProjectState, command: ReleaseCommand) -> list:
    """ReleasePublished for the whole stage of the version, from a session whose second factor
    was passed with a fresh login. Raises StageNotFound, SecondFactorRequired (an API token, or
    a session without a second step) or the errors of check_session."""
    manager = command.manager
    if manager is None or not manager.login_method:
        raise SecondFactorRequired(
            "Publishing a staged release needs a person logged in with a second factor (not an API token): "
            "log in with your authenticator app or security key and publish from the project page or the API."
        )
    check_session(state, command, "publish a staged release")
    stage = stage_of(state, command.version)
    key = release_key(stage.version)
    return [events.ReleasePublished(
        project_id=state.project_id, project_name=state.name, version=state.releases.get(key, stage.version),
        filenames=list(stage.filenames), release_created=key not in state.releases,
        requires_python=stage.requires_python, summary=stage.summary,
        created_by_token_id=stage.created_by_token_id,
    )]


def decide_discard(state: ProjectState, command: ReleaseCommand) -> list:
    """StagedReleaseDiscarded for the version's stage (its filenames stay used). Raises
    StageNotFound, SecondFactorRequired (an API token) or the errors of check_session."""
    if command.manager is None:
        raise SecondFactorRequired("Discarding a staged release needs a logged-in person, not an API token.")
    check_session(state, command, "discard a staged release")
    stage = stage_of(state, command.version)
    return [events.StagedReleaseDiscarded(project_id=state.project_id, project_name=state.name,
                                          version=stage.version, filenames=list(stage.filenames))]


def check_reason(reason: str) -> str:
    """The yank reason, stripped. Raises InvalidYankReason when too long or not one line."""
    reason = reason.strip()
    if len(reason) > MAX_REASON or any(ord(character) < 0x20 or ord(character) == 0x7F for character in reason):
        raise InvalidYankReason(f"A yank reason is one line of at most {MAX_REASON} characters.")
    return reason


def _published(state: ProjectState, version: str) -> str:
    key = release_key(version)
    if key not in state.releases:
        raise ReleaseNotFound(f"Project '{state.name}' has no published release '{version[:100]}'.")
    return key


def _check_yanker(state: ProjectState, command: ReleaseCommand, user_id: str, username: str, action: str) -> None:
    if command.manager is not None:
        check_session(state, command, action)
    else:
        _check_collaborator(state, user_id, username, action)


def decide_yank(state: ProjectState, command: ReleaseCommand, user_id: str = "", username: str = "") -> list:
    """ReleaseYanked with the reason; nothing when the release is already yanked for that reason.
    `user_id`/`username`: the token's owner when there is no session. Raises ReleaseNotFound,
    InvalidYankReason, NotACollaborator or the errors of check_session."""
    reason = check_reason(command.reason)
    _check_yanker(state, command, user_id, username, "yank a release")
    key = _published(state, command.version)
    if state.yanked.get(key) == reason:
        return []
    return [events.ReleaseYanked(project_id=state.project_id, project_name=state.name,
                                 version=state.releases[key], reason=reason)]


def decide_unyank(state: ProjectState, command: ReleaseCommand, user_id: str = "", username: str = "") -> list:
    """ReleaseUnyanked; nothing when the release is not yanked. Raises ReleaseNotFound,
    NotACollaborator or the errors of check_session."""
    _check_yanker(state, command, user_id, username, "un-yank a release")
    key = _published(state, command.version)
    if key not in state.yanked:
        return []
    return [events.ReleaseUnyanked(project_id=state.project_id, project_name=state.name,
                                   version=state.releases[key])]
