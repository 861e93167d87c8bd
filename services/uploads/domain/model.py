"""The project aggregate: its state folded from events, who may upload, and what an upload records.

Stream: "project-<project_id>". No I/O here: handlers load the history and record the events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from packaging.utils import canonicalize_version
from packaging.version import Version

from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.domain.content import Digests
from services.uploads.domain.errors import NotACollaborator, VersionNotNewer
from services.uploads.domain.names import check_name_allowed, check_project_name, normalize

OWNER = "Owner"
MAINTAINER = "Maintainer"
UPLOAD_ROLES = frozenset({OWNER, MAINTAINER})
# The project policy that sends every upload to a stage (domain/policies.py lists them all).
REQUIRE_STAGED_RELEASES = "require_staged_releases"


@dataclass(frozen=True)
class Stage:
    """A staged release: files uploaded for one version that installers do not see yet."""

    version: str
    requires_python: str = ""
    summary: str = ""
    created_by_token_id: str = ""
    filenames: tuple[str, ...] = ()


@dataclass(frozen=True)
class Uploader:
    """Who presents the upload, as the tokens service verified it."""

    user_id: str
    username: str
    token_id: str = ""
    staging_only: bool = False
    newer_only: bool = False
    # The token's project caveats as VerifyToken summarised them (project policies read them).
    token_projects: tuple[str, ...] = ()
    token_project_pattern: str = ""
    # The token is consumed by its first upload (the uploads service consumes it just before recording).
    single_use: bool = False


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation nobody has answered or revoked yet (it may have expired)."""

    invitation_id: str
    user_id: str
    username: str
    role: str
    invited_by_username: str
    created_at_us: int
    expires_at_us: int


@dataclass(frozen=True)
class ProjectState:
    """A project as folded from its stream."""

    project_id: str = ""
    name: str = ""
    normalized_name: str = ""
    roles: Mapping[str, str] = field(default_factory=dict)  # user_id -> role
    releases: Mapping[str, str] = field(default_factory=dict)  # release_key -> version
    policies: frozenset[str] = frozenset()  # the names of the policies turned on
    release_tokens: Mapping[str, str] = field(default_factory=dict)  # release_key -> creating token id
    usernames: Mapping[str, str] = field(default_factory=dict)  # user_id -> username of collaborators
    invitations: Mapping[str, PendingInvitation] = field(default_factory=dict)  # by invitation id
    # Size limits an operator set for this project (0: the index defaults).
    max_file_size: int = 0
    max_project_size: int = 0
    stages: Mapping[str, Stage] = field(default_factory=dict)  # release_key -> its open stage
    yanked: Mapping[str, str] = field(default_factory=dict)  # release_key -> reason (PEP 592)
    version: int = 0

    def owners(self) -> list[str]:
        """The user ids of the project's Owners, sorted."""
        return sorted(user_id for user_id, role in self.roles.items() if role == OWNER)


@dataclass(frozen=True)
class RecordMismatches:
    """The RECORD mismatches an operator lets through (GATEHOUSE_RECORD_MISMATCH=warn): the
    first descriptions, and how many more the archive check only counted."""

    descriptions: tuple[str, ...] = ()
    unlisted: int = 0

    def __bool__(self) -> bool:
        return bool(self.descriptions) or self.unlisted > 0


@dataclass(frozen=True)
class AddFile:
    """Command: record an accepted file (and its project and release when they are new)."""

    project_id: str
    name: str
    version: str
    filename: str
    packagetype: str
    python_version: str
    size: int
    digests: Digests
    requires_python: str
    summary: str
    path: str
    metadata_sha256: str
    # A wheel's RECORD mismatches let through as warnings (record_mismatches.py records them).
    record_mismatches: RecordMismatches = RecordMismatches()


def stream_of(project_id: str) -> str:
    """The event stream of a project."""
    return f"project-{project_id}"


def release_key(version: str) -> str:
    """Versions that compare equal (1.0, 1.0.0) are one release, as on PyPI."""
    return canonicalize_version(version)


def _apply(state: ProjectState, event) -> ProjectState:
    if isinstance(event, events.ProjectCreated):
        return replace(state, project_id=event.project_id, name=event.name,
                       normalized_name=event.normalized_name)
    if isinstance(event, (events.RoleAdded, events.RoleChanged, events.RoleRemoved,
                          events.RoleInvitationCreated, events.RoleInvitationDeclined,
                          events.RoleInvitationRevoked)):
        return _apply_role_event(state, event)
    if isinstance(event, events.ReleaseCreated):
        key = release_key(event.version)
        return replace(state, releases={**state.releases, key: event.version},
                       release_tokens={**state.release_tokens, key: event.created_by_token_id})
    if isinstance(event, events.ProjectLimitsChanged):
        return replace(state, max_file_size=event.max_file_size, max_project_size=event.max_project_size)
    if isinstance(event, events.ProjectPolicyChanged):
        changed = state.policies | {event.policy} if event.enabled else state.policies - {event.policy}
        return replace(state, policies=frozenset(changed))
    return _apply_release_event(state, event)


def _without(mapping: Mapping[str, object], key: str) -> dict:
    return {existing: value for existing, value in mapping.items() if existing != key}


def _apply_release_event(state: ProjectState, event) -> ProjectState:
    key = release_key(event.version) if hasattr(event, "version") else ""
    if isinstance(event, events.ReleaseStaged):
        stage = Stage(event.version, event.requires_python, event.summary, event.created_by_token_id)
        return replace(state, stages={**state.stages, key: stage})
    if isinstance(event, events.FileStaged):
        stage = state.stages.get(key, Stage(event.version))
        grown = replace(stage, filenames=(*stage.filenames, event.filename))
        return replace(state, stages={**state.stages, key: grown})
    if isinstance(event, events.ReleasePublished):
        releases = {**state.releases, key: state.releases.get(key, event.version)}
        tokens = {**state.release_tokens, key: state.release_tokens.get(key, event.created_by_token_id)}
        return replace(state, releases=releases, release_tokens=tokens, stages=_without(state.stages, key))
    if isinstance(event, events.StagedReleaseDiscarded):
        return replace(state, stages=_without(state.stages, key))
    if isinstance(event, events.ReleaseYanked):
        return replace(state, yanked={**state.yanked, key: event.reason})
    if isinstance(event, events.ReleaseUnyanked):
        return replace(state, yanked=_without(state.yanked, key))
    return state


def _without_invitations_of(state: ProjectState, user_id: str) -> dict:
    return {key: pending for key, pending in state.invitations.items() if pending.user_id != user_id}


def _apply_role_event(state: ProjectState, event) -> ProjectState:
    if isinstance(event, (events.RoleAdded, events.RoleChanged)):
        return replace(state, roles={**state.roles, event.user_id: event.role},
                       usernames={**state.usernames, event.user_id: event.username},
                       invitations=_without_invitations_of(state, event.user_id))
    if isinstance(event, events.RoleRemoved):
        return replace(state, roles={k: v for k, v in state.roles.items() if k != event.user_id},
                       usernames={k: v for k, v in state.usernames.items() if k != event.user_id})
    if isinstance(event, events.RoleInvitationCreated):
        # A new invitation replaces the user's earlier (expired) one.
        pending = PendingInvitation(event.invitation_id, event.user_id, event.username, event.role,
                                    event.invited_by_username, 0, event.expires_at_us)
        return replace(state, invitations={**_without_invitations_of(state, event.user_id),
                                           event.invitation_id: pending})
    return replace(state, invitations={k: v for k, v in state.invitations.items() if k != event.invitation_id})


def fold(history: list) -> ProjectState | None:
    """The project's current state from its events; None for an empty history."""
    if not history:
        return None
    return evolve(ProjectState(), history)


def evolve(state: ProjectState, new_events: list) -> ProjectState:
    """`state` with `new_events` applied after it."""
    for event in new_events:
        state = replace(_apply(state, event), version=state.version + 1)
    return state


def check_role(state: ProjectState, uploader: Uploader) -> None:
    """Raises NotACollaborator unless the uploader is an Owner or Maintainer of the project."""
    if state.roles.get(uploader.user_id) not in UPLOAD_ROLES:
        raise NotACollaborator(
            f"The user '{uploader.username}' isn't allowed to upload to project '{state.name}'."
        )


def goes_to_stage(state: ProjectState | None, uploader: Uploader) -> bool:
    """Whether an upload lands in a stage rather than on the index: the project requires staged
    releases, or the token may only stage (its `staging_only` caveat)."""
    return uploader.staging_only or (state is not None and REQUIRE_STAGED_RELEASES in state.policies)


def check_newer_caveat(state: ProjectState | None, uploader: Uploader, version: str) -> None:
    """Raises VersionNotNewer when a newer-only token uploads a version not above every release,
    except further files of the latest release when this very token created that release (so
    `twine upload dist/*` can send the sdist after the wheel)."""
    if not uploader.newer_only or state is None or not state.releases:
        return
    latest = max((Version(existing) for existing in state.releases.values()))
    if Version(version) == latest and _created_by(state, uploader, version):
        return
    if Version(version) <= latest:
        raise VersionNotNewer(
            f"This token may only upload versions newer than the latest release of "
            f"'{state.name}' ({latest}); '{version}' is not."
        )


def _created_by(state: ProjectState, uploader: Uploader, version: str) -> bool:
    key = release_key(version)
    stage = state.stages.get(key)
    creator = state.release_tokens.get(key, stage.created_by_token_id if stage else "")
    return bool(uploader.token_id) and creator == uploader.token_id


def authorize(state: ProjectState | None, name: str, uploader: Uploader, version: str) -> None:
    """Whether the uploader may upload `version` of project `name` (None: not created yet).

    Raises InvalidProjectName or ProhibitedProjectName (new project), NotACollaborator or
    VersionNotNewer. (A staging-only token is allowed: its upload goes to a stage.)
    """
    if state is None:
        check_project_name(name)
        check_name_allowed(name)
    else:
        check_role(state, uploader)
    check_newer_caveat(state, uploader, version)


def upload_events(state: ProjectState | None, command: AddFile, uploader: Uploader, staged: bool = False) -> list:
    """The events an accepted file records: ProjectCreated and RoleAdded(Owner) for a new
    project, then ReleaseCreated for a new version and FileAdded; or, for a staged upload,
    ReleaseStaged when the version has no stage yet and FileStaged."""
    new: list = []
    name = state.name if state else command.name
    if state is None:
        new += [
            events.ProjectCreated(project_id=command.project_id, name=command.name,
                                  normalized_name=normalize(command.name),
                                  created_by_user_id=uploader.user_id),
            events.RoleAdded(project_id=command.project_id, project_name=command.name,
                             user_id=uploader.user_id, username=uploader.username, role=OWNER),
        ]
    release = _release_version(state, command.version, staged)
    opens = state is None or release_key(command.version) not in (state.stages if staged else state.releases)
    if opens:
        opened = events.ReleaseStaged if staged else events.ReleaseCreated
        new.append(opened(project_id=command.project_id, project_name=name, version=release,
                          requires_python=command.requires_python, summary=command.summary,
                          created_by_token_id=uploader.token_id))
    new.append(_file_event(events.FileStaged if staged else events.FileAdded, command, name, release))
    return new


def _release_version(state: ProjectState | None, version: str, staged: bool) -> str:
    # A file joins the release it compares equal to (a "1.0.0" wheel joins release "1.0"); a
    # staged file joins that release's spelling too, or its stage's.
    if state is None:
        return version
    key = release_key(version)
    if key in state.releases:
        return state.releases[key]
    stage = state.stages.get(key) if staged else None
    return stage.version if stage else version


def _file_event(event_type, command: AddFile, project_name: str, release: str):
    return event_type(
        project_id=command.project_id, project_name=project_name, version=release,
        filename=command.filename, packagetype=command.packagetype,
        python_version=command.python_version, size=command.size,
        sha256=command.digests.sha256, md5=command.digests.md5,
        blake2_256=command.digests.blake2_256, requires_python=command.requires_python,
        path=command.path, metadata_sha256=command.metadata_sha256,
    )
