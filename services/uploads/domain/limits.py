"""Project and file limits of an upload: project creation rate, project and file size, one sdist
per release, and the window in which a release accepts new files. No I/O: the handlers read the
counts and times and pass them in."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.events.v1 import uploads_pb2 as events

from services.uploads.domain import model
from services.uploads.domain.content import DEFAULT_MAX_FILE_SIZE, describe_limit
from services.uploads.domain.errors import (
    FileTooLarge, InvalidLimit, NotAnOperator, ProjectCreationRateLimited, ProjectTooLarge, ReleaseClosed,
    SdistAlreadyExists,
)

ONE_GIB = 1024 ** 3
DEFAULT_MAX_PROJECT_SIZE = 10 * ONE_GIB
HOUR_US = 3600 * 1_000_000
DAY_US = 24 * HOUR_US


@dataclass(frozen=True)
class UploadRules:
    """The operator's settings for new projects and files (see bootstrap for their variables)."""

    max_project_size: int = DEFAULT_MAX_PROJECT_SIZE
    # Folded names (names.fold_confusable) nobody may register.
    prohibited_project_names: frozenset[str] = frozenset()
    projects_per_user_per_hour: int = 20
    projects_per_ip_per_hour: int = 40
    # A release accepts new files for this many days after it was created.
    release_open_days: int = 14


@dataclass(frozen=True)
class RecentCreations:
    """Projects created in the last hour by one user or from one address, and the oldest's time."""

    count: int
    oldest_us: int


def check_creation_rate(by_user: RecentCreations, by_ip: RecentCreations, rules: UploadRules,
                        now_us: int) -> None:
    """Raises ProjectCreationRateLimited (with the seconds until a slot frees) when the user or
    the client address already created their hourly allowance of projects."""
    for recent, limit, whom in ((by_user, rules.projects_per_user_per_hour, "per user"),
                                (by_ip, rules.projects_per_ip_per_hour, "per address")):
        if recent.count >= limit:
            wait = max(1, (recent.oldest_us + HOUR_US - now_us) // 1_000_000)
            raise ProjectCreationRateLimited(
                f"Too many new projects created: at most {limit} an hour {whom}. "
                f"Try again in {_minutes(wait)}.", retry_after_seconds=int(wait))


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(frozen=True)
class SizeQuota:
    """How many bytes one upload may stream: the file limit and what the project has left."""

    project_name: str
    file_limit: int
    project_limit: int
    project_used: int
    origin: str

    def check(self, size: int) -> None:
        """Raises FileTooLarge or ProjectTooLarge once `size` bytes pass either limit."""
        if size > self.file_limit:
            raise FileTooLarge(f"File too large. Limit for project '{self.project_name}' is "
                               f"{describe_limit(self.file_limit)}. See {self.origin}/help/#file-size-limit "
                               "for more information.")
        if self.project_used + size > self.project_limit:
            raise ProjectTooLarge(
                f"Project size too large. Limit for project '{self.project_name}' total size is "
                f"{describe_size(self.project_limit)}. See {self.origin}/help/#project-size-limit "
                "for more information.")


def describe_size(size: int) -> str:
    """A project size limit as the refusal states it ("10 GB", else as describe_limit does)."""
    return f"{size // ONE_GIB} GB" if size >= ONE_GIB and size % ONE_GIB == 0 else describe_limit(size)


def effective_file_limit(default: int, project_override: int) -> int:
    """The project's own file size limit when an operator set one, else the index default."""
    return project_override or default or DEFAULT_MAX_FILE_SIZE


def check_one_sdist(packagetype: str, release_has_sdist: bool) -> None:
    """Raises SdistAlreadyExists for a second source distribution of one release."""
    if packagetype == "sdist" and release_has_sdist:
        raise SdistAlreadyExists("Only one sdist may be uploaded per release.")


def check_release_open(version: str, created_at_us: int | None, rules: UploadRules, now_us: int) -> None:
    """Raises ReleaseClosed when the release (created at `created_at_us`; None for a new one)
    is older than the window in which files may be added."""
    if created_at_us is None:
        return
    if now_us - created_at_us > rules.release_open_days * DAY_US:
        raise ReleaseClosed(
            f"Release '{version}' was created more than {rules.release_open_days} days ago; "
            "new files can't be added to it. Upload a new version instead."
        )


@dataclass(frozen=True)
class SetLimits:
    """Command: an operator sets a project's own size limits (None: unchanged; 0: the default)."""

    max_file_size: int | None
    max_project_size: int | None


def change_limits(state: model.ProjectState, is_operator: bool, command: SetLimits) -> list:
    """The ProjectLimitsChanged the command records (none when nothing changes).
    Raises NotAnOperator for anyone but an operator, InvalidLimit for a negative size."""
    if not is_operator:
        raise NotAnOperator("Only an index operator can change a project's size limits.")
    for value in (command.max_file_size, command.max_project_size):
        if value is not None and value < 0:
            raise InvalidLimit("A size limit is a number of bytes, 0 or more (0: the index default).")
    file_size = state.max_file_size if command.max_file_size is None else command.max_file_size
    project_size = state.max_project_size if command.max_project_size is None else command.max_project_size
    if (file_size, project_size) == (state.max_file_size, state.max_project_size):
        return []
    return [events.ProjectLimitsChanged(
        project_id=state.project_id, project_name=state.name, max_file_size=file_size,
        max_project_size=project_size, previous_max_file_size=state.max_file_size,
        previous_max_project_size=state.max_project_size)]
