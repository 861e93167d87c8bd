"""Caveats: the versioned JSON documents a token's macaroon carries, and the checks behind them.

Pure: reading, checking and combining caveats; the macaroon signature chain itself lives in
adapters/macaroons.py. Every caveat is one JSON object with "v": 1 and exactly one known
layout of keys (README.md lists them); anything else is refused, because a caveat the
verifier does not understand could be a restriction the holder relies on.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import datetime, timezone
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import translate
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

CAVEAT_VERSION = 1
KNOWN_ACTIONS = ("upload", "create-project", "yank", "manage-roles", "read-audit")
# PyPI's behaviour: a token issued without an actions caveat may upload, and an upload may
# create the project it names (the uploads service asks for `create-project` then); beyond PyPI,
# it may also yank and un-yank releases of the projects it covers (issue 8).
DEFAULT_ACTIONS = ("create-project", "upload", "yank")
# An upload that creates its project is an upload too: both actions must be allowed.
REQUIRED_ACTIONS = {"create-project": ("upload", "create-project")}
# Actions that upload a release (version pins apply to them).
UPLOADING_ACTIONS = ("upload", "create-project")
FLAGS = ("single_use", "staging_only", "newer_only")
# PEP 508 names; the pattern alphabet is the same plus '*' (no '?' or '[...]' surprises).
PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
PROJECT_PATTERN = re.compile(r"^[A-Za-z0-9._*-]{1,100}$")

# The longest caveat we read; a list of many project names fits easily.
MAX_CAVEAT_CHARS = 4096
UNREADABLE_REASON = "the token has a caveat this server does not understand."
ONLY_UPLOAD_REASON = "the token may only be used for uploads and yanking."

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CaveatUnreadable(ValueError):
    """A caveat (or a requested caveat value) this server does not accept; the message is a sentence."""


@dataclass(frozen=True)
class Presentation:
    """What a token is presented for: its owner (from the token record), the operation, and
    where and when it comes from."""

    owner_user_id: str
    project: str = ""
    action: str = ""
    version: str = ""
    client_ip: str = ""
    now_s: float = 0.0
    project_id: str = ""  # empty: the project does not exist (yet)


@dataclass(frozen=True)
class UserCaveat:
    user_id: str


@dataclass(frozen=True)
class ProjectsCaveat:
    projects: frozenset[str]  # PEP 503 normalized
    # (normalized name, project id) for the projects that existed at issue: a project deleted
    # and re-created under the same name has another id and is not covered.
    ids: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProjectPatternCaveat:
    pattern: str  # PEP 503 normalized; '*' matches any run of characters


@dataclass(frozen=True)
class ActionsCaveat:
    actions: frozenset[str]


@dataclass(frozen=True)
class ValidityCaveat:
    not_before: int | None  # unix seconds
    expires_at: int | None


@dataclass(frozen=True)
class CidrCaveat:
    networks: tuple[Network, ...]


@dataclass(frozen=True)
class VersionCaveat:
    version: str  # PEP 440 normalized


@dataclass(frozen=True)
class FlagCaveat:
    flag: str  # one of FLAGS


Caveat = (
    UserCaveat | ProjectsCaveat | ProjectPatternCaveat | ActionsCaveat | ValidityCaveat
    | CidrCaveat | VersionCaveat | FlagCaveat
)


# --- values shared by reading caveats and validating requested ones ---------------------------


def canonical_project(name: str) -> str:
    """The PEP 503 form of a project name. Raises CaveatUnreadable for an invalid name."""
    if not isinstance(name, str) or not PROJECT_NAME.match(name):
        raise CaveatUnreadable(f"'{_shown(name)}' is not a valid project name.")
    return canonicalize_name(name)


def canonical_pattern(pattern: str) -> str:
    """The PEP 503 form of a name pattern. Raises CaveatUnreadable for characters outside
    letters, digits, '.', '_', '-' and '*'."""
    if not isinstance(pattern, str) or not PROJECT_PATTERN.match(pattern):
        raise CaveatUnreadable(
            f"'{_shown(pattern)}' is not a valid project pattern: use letters, digits, '.', '_', '-' and '*'."
        )
    return canonicalize_name(pattern)


def pattern_matches(pattern: str, canonical_name: str) -> bool:
    """Whether a normalized project name matches a normalized pattern ('*' is the only wildcard)."""
    # The alphabet check above leaves '*' as the only fnmatch metacharacter.
    return re.fullmatch(translate(pattern), canonical_name) is not None


def known_actions(actions: list[str]) -> frozenset[str]:
    """The actions as a set. Raises CaveatUnreadable naming the first unknown action."""
    for action in actions:
        if action not in KNOWN_ACTIONS:
            raise CaveatUnreadable(
                f"'{_shown(action)}' is not a known action; use {', '.join(KNOWN_ACTIONS)}."
            )
    return frozenset(actions)


def parse_network(text: str) -> Network:
    """An IPv4 or IPv6 network ("10.0.0.0/8", "::1/128", a bare address is one host).
    Raises CaveatUnreadable for anything else."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except (TypeError, ValueError) as error:
        raise CaveatUnreadable(f"'{_shown(text)}' is not a valid IP network (CIDR).") from error


def normalized_version(text: str) -> str:
    """The PEP 440 normal form of a version. Raises CaveatUnreadable for an invalid version."""
    try:
        return str(Version(text))
    except (TypeError, InvalidVersion) as error:
        raise CaveatUnreadable(f"'{_shown(text)}' is not a valid version (PEP 440).") from error


def _shown(value: Any) -> str:
    # Client-supplied text goes into reasons and events: keep it short and on one line.
    return str(value)[:100].replace("\n", " ")


# --- reading documents -----------------------------------------------------------------------


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise CaveatUnreadable("A caveat value must be a non-empty string.")
    return value


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise CaveatUnreadable("A caveat value must be a list of strings.")
    return [_string(item) for item in value]


def _seconds(document: dict, key: str) -> int | None:
    value = document.get(key)
    if value is None and key not in document:
        return None
    if type(value) is not int or value < 0:  # bool is an int subclass: refuse it
        raise CaveatUnreadable("A caveat time must be whole unix seconds.")
    return value


def _read_flag(document: dict) -> FlagCaveat:
    (flag,) = set(document) - {"v"}
    if document[flag] is not True:
        raise CaveatUnreadable(f"The caveat '{flag}' must be true.")
    return FlagCaveat(flag)


def _read_projects_with_ids(document: dict) -> ProjectsCaveat:
    names = frozenset(canonical_project(name) for name in _strings(document["projects"]))
    ids = document["project_ids"]
    if not isinstance(ids, dict) or not set(ids) <= names:
        raise CaveatUnreadable("'project_ids' must map listed project names to ids.")
    return ProjectsCaveat(names, tuple(sorted((name, _string(value)) for name, value in ids.items())))


def _read_validity(document: dict) -> ValidityCaveat:
    return ValidityCaveat(_seconds(document, "nbf"), _seconds(document, "exp"))


_READERS: dict[frozenset[str], Callable[[dict], Caveat]] = {
    frozenset({"user"}): lambda d: UserCaveat(_string(d["user"])),
    frozenset({"projects"}): lambda d: ProjectsCaveat(
        frozenset(canonical_project(name) for name in _strings(d["projects"]))
    ),
    frozenset({"projects", "project_ids"}): lambda d: _read_projects_with_ids(d),
    frozenset({"project_pattern"}): lambda d: ProjectPatternCaveat(canonical_pattern(d["project_pattern"])),
    frozenset({"actions"}): lambda d: ActionsCaveat(known_actions(_strings(d["actions"]))),
    frozenset({"nbf"}): _read_validity,
    frozenset({"exp"}): _read_validity,
    frozenset({"nbf", "exp"}): _read_validity,
    frozenset({"cidrs"}): lambda d: CidrCaveat(tuple(parse_network(c) for c in _strings(d["cidrs"]))),
    frozenset({"version"}): lambda d: VersionCaveat(normalized_version(_string(d["version"]))),
    **{frozenset({flag}): _read_flag for flag in FLAGS},
}


def parse(predicate: str) -> Caveat:
    """Reads one caveat document. Raises CaveatUnreadable unless it is a known v1 layout with
    well-formed values."""
    if len(predicate) > MAX_CAVEAT_CHARS:
        raise CaveatUnreadable("A caveat is too long.")
    try:
        document = json.loads(predicate)
    except (ValueError, RecursionError) as error:  # deep nesting exhausts the decoder's stack
        raise CaveatUnreadable("A caveat must be a JSON object.") from error
    if not isinstance(document, dict) or type(document.get("v")) is not int:
        raise CaveatUnreadable("A caveat must be a JSON object with an integer 'v'.")
    if document["v"] != CAVEAT_VERSION:
        raise CaveatUnreadable(f"Caveat version {document['v']} is not supported.")
    reader = _READERS.get(frozenset(document) - {"v"})
    if reader is None:
        raise CaveatUnreadable(f"Unknown caveat layout {sorted(document)}.")
    return reader(document)


# --- checks: each answers None when the caveat holds, else the reason ----------------------


def check_user(caveat: UserCaveat, presented: Presentation) -> str | None:
    if caveat.user_id == presented.owner_user_id:
        return None
    return "the token is bound to a different user."


def _project_reason(presented: Presentation, allows: Callable[[str], bool]) -> str | None:
    if not presented.project:
        # Account-level: a project-scoped token may authenticate but not act on the account.
        if not presented.action:
            return None
        return "the token is limited to certain projects and cannot be used for account-level actions."
    if allows(canonicalize_name(presented.project)):
        return None
    return f"the token is not valid for project '{_shown(presented.project)}'."


def check_projects(caveat: ProjectsCaveat, presented: Presentation) -> str | None:
    reason = _project_reason(presented, lambda name: name in caveat.projects)
    if reason is not None or not presented.project:
        return reason
    bound = dict(caveat.ids).get(canonicalize_name(presented.project))
    if bound is not None and bound != presented.project_id:
        return (f"the token is not valid for project '{_shown(presented.project)}': it was issued for an "
                "earlier project of that name.")
    return None


def check_project_pattern(caveat: ProjectPatternCaveat, presented: Presentation) -> str | None:
    return _project_reason(presented, lambda name: pattern_matches(caveat.pattern, name))


def check_actions(caveat: ActionsCaveat, presented: Presentation) -> str | None:
    for action in REQUIRED_ACTIONS.get(presented.action, (presented.action,)):
        if action and action not in caveat.actions:
            return f"the token does not allow the action '{_shown(action)}'."
    return None


def check_validity(caveat: ValidityCaveat, presented: Presentation) -> str | None:
    if caveat.not_before is not None and presented.now_s < caveat.not_before:
        return f"the token is not valid before {rfc3339(caveat.not_before)}."
    if caveat.expires_at is not None and presented.now_s >= caveat.expires_at:
        return f"the token expired at {rfc3339(caveat.expires_at)}."
    return None


def rfc3339(seconds: int) -> str:
    """Unix seconds as an RFC 3339 UTC time, e.g. 2026-11-01T00:00:00Z."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_addresses(text: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The client's address, plus its IPv4 form when it is IPv4-mapped IPv6 (a dual-stack socket)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return []
    mapped = getattr(address, "ipv4_mapped", None)
    return [address, mapped] if mapped else [address]


def check_cidrs(caveat: CidrCaveat, presented: Presentation) -> str | None:
    addresses = client_addresses(presented.client_ip)
    if not addresses:
        return "the token is limited to certain networks and the client's address is unknown."
    if any(address in network for address in addresses for network in caveat.networks):
        return None
    return f"the token is not valid from the address {addresses[0]}."


def check_version(caveat: VersionCaveat, presented: Presentation) -> str | None:
    if presented.action not in UPLOADING_ACTIONS:
        return None
    try:
        if normalized_version(presented.version) == caveat.version:
            return None
    except CaveatUnreadable:
        pass
    return f"the token is only valid for uploading version {caveat.version}."


def check_flag(caveat: FlagCaveat, presented: Presentation) -> str | None:
    # single_use is enforced by the service after verification (it needs the database);
    # staging_only and newer_only by the uploads service, which owns releases.
    return None


_CHECKS: dict[type, Callable[[Any, Presentation], str | None]] = {
    UserCaveat: check_user,
    ProjectsCaveat: check_projects,
    ProjectPatternCaveat: check_project_pattern,
    ActionsCaveat: check_actions,
    ValidityCaveat: check_validity,
    CidrCaveat: check_cidrs,
    VersionCaveat: check_version,
    FlagCaveat: check_flag,
}


def check(caveat: Caveat, presented: Presentation) -> str | None:
    """The reason `caveat` refuses `presented`, or None when it holds."""
    return _CHECKS[type(caveat)](caveat, presented)


def check_implicit_actions(caveats: list[Caveat], presented: Presentation) -> str | None:
    """A token with no actions caveat at all may only upload (creating the project it uploads
    to, as on PyPI), yank, or merely authenticate."""
    if any(isinstance(caveat, ActionsCaveat) for caveat in caveats):
        return None
    if presented.action in ("", *DEFAULT_ACTIONS):
        return None
    return ONLY_UPLOAD_REASON


def verdict(caveats: list[Caveat], presented: Presentation) -> str | None:
    """The first reason any of `caveats` (already read, signature already checked) refuses
    `presented`, including rules spanning caveats; None when all hold."""
    for caveat in caveats:
        reason = check(caveat, presented)
        if reason is not None:
            return reason
    return check_implicit_actions(caveats, presented)


class CaveatPipeline:
    """The general-caveat callback for a macaroon verifier: reads and checks each caveat against
    one presentation, keeps the caveats it read and the first reason to refuse. Never raises."""

    def __init__(self, presented: Presentation):
        self.presented = presented
        self.caveats: list[Caveat] = []
        self.first_failure: str | None = None

    def __call__(self, predicate: str) -> bool:
        reason = self._reason(predicate)
        if reason is not None and self.first_failure is None:
            self.first_failure = reason
        return reason is None

    def _reason(self, predicate: str) -> str | None:
        try:
            caveat = parse(predicate)
        except CaveatUnreadable:
            return UNREADABLE_REASON
        self.caveats.append(caveat)
        return check(caveat, self.presented)

    def verdict(self) -> str | None:
        """The first reason to refuse (including rules spanning caveats), or None when all hold."""
        if self.first_failure is not None:
            return self.first_failure
        return check_implicit_actions(self.caveats, self.presented)
