"""The project and file rules of an upload that need the read models: a new project's name and
creation rate, the release's sdist and age, and the project's size quota. Run before the bytes
stream in and again in the recording unit of work (the state may have changed meanwhile)."""

from __future__ import annotations

import time

from services.uploads.adapters import repository
from services.uploads.domain import limits, model
from services.uploads.domain.names import check_not_prohibited, check_not_too_similar


def now_us() -> int:
    """The current time in microseconds (the read models' unit)."""
    return time.time_ns() // 1000


async def check_new_project(connection, deps, name: str, uploader: model.Uploader, ip_address: str) -> None:
    """For an upload that would create project `name`: not on the operator's list, not too similar
    to an existing project, and within the creation rate of the user and the address.
    Raises ProhibitedProjectName, ProjectNameTooSimilar or ProjectCreationRateLimited."""
    check_not_prohibited(name, deps.rules.prohibited_project_names)
    similar = await repository.project_folded_like(connection, name)
    check_not_too_similar(name, similar.name if similar else None, deps.origin)
    now = now_us()
    since = now - limits.HOUR_US
    by_user = await repository.recent_creations(connection, since, user_id=uploader.user_id)
    by_ip = (await repository.recent_creations(connection, since, ip_address=ip_address)
             if ip_address else limits.RecentCreations(0, now))
    limits.check_creation_rate(by_user, by_ip, deps.rules, now)


async def check_release_files(connection, deps, state: model.ProjectState, packagetype: str,
                              version: str) -> None:
    """For an existing project: one sdist per release, and no new files on a release older than
    the window. Raises SdistAlreadyExists or ReleaseClosed."""
    created_at = await repository.release_created_at(connection, state.project_id, version)
    limits.check_release_open(version, created_at, deps.rules, now_us())
    if created_at is not None:
        limits.check_one_sdist(packagetype, await repository.release_has_sdist(connection, state.project_id, version))


async def check_project_rules(connection, deps, state: model.ProjectState | None, submission,
                              name_taken: bool | None = None) -> None:
    """The rules for the project the submission goes to: those of a new project, or those of
    the release it adds to. `name_taken` is whether a file of the submission's name exists,
    when the caller already read it in this transaction (None: read it here).
    Raises what check_new_project and check_release_files raise."""
    form = submission.form
    if name_taken is None and state is not None:
        name_taken = await repository.file_named(connection, submission.distribution.filename) is not None
    if state is None:
        await check_new_project(connection, deps, form.name, submission.uploader,
                                submission.header.context.ip_address)
    elif not name_taken:  # when it is taken, the duplicate step answers (identical: "exists")
        await check_release_files(connection, deps, state, submission.distribution.packagetype, form.version)


async def size_quota(connection, deps, state: model.ProjectState | None, name: str) -> limits.SizeQuota:
    """How many bytes this upload may stream: the file size limit and what is left of the
    project's total (an operator's per-project limits win over the defaults)."""
    used = await repository.project_size(connection, state.project_id) if state else 0
    return limits.SizeQuota(
        project_name=state.name if state else name,
        file_limit=limits.effective_file_limit(deps.max_file_size, state.max_file_size if state else 0),
        project_limit=(state.max_project_size if state else 0) or deps.rules.max_project_size,
        project_used=used, origin=deps.origin,
    )
