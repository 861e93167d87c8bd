"""Who may read which security log. Pure rules; the project check's answer is passed in."""

from __future__ import annotations

from gatehouse.audit.v1 import audit_pb2
from gatehouse.common.v1 import common_pb2
from services.audit.domain.errors import NotAllowedToReadLog

NOT_ALLOWED = "You are not allowed to read this security log."
READ_AUDIT = "read-audit"


def reads_own_log(caller: common_pb2.Principal, username: str) -> bool:
    """Whether `username` names the caller (case-insensitively); never true for empty names."""
    return bool(username) and bool(caller.username) and username.casefold() == caller.username.casefold()


def needs_project_check(caller: common_pb2.Principal, log_filter: audit_pb2.EventFilter) -> bool:
    """Whether only the uploads service's project access check can let the caller in."""
    if caller.operator or reads_own_log(caller, log_filter.user):
        return False
    return bool(log_filter.project)


def authorize(
    caller: common_pb2.Principal, log_filter: audit_pb2.EventFilter, project_allowed: bool
) -> None:
    """Raises NotAllowedToReadLog unless the caller is an operator, reads their own user log,
    or may read the filtered project's log (`project_allowed`).

    With both a user and a project filter the answer is the intersection of the two logs,
    a subset of each, so being allowed either one is enough.
    """
    if caller.operator or reads_own_log(caller, log_filter.user):
        return
    if log_filter.project and project_allowed:
        return
    raise NotAllowedToReadLog(NOT_ALLOWED)
