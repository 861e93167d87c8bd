"""A token's scope: the flat view of its caveats the API speaks (the `Caveats` message), how a
requested scope becomes caveat documents at issue, and how presented caveats sum up. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from services.tokens.domain import caveats as cv
from services.tokens.domain.errors import InvalidCaveats


@dataclass(frozen=True)
class Scope:
    """What a token may do; empty fields do not restrict. Times are unix seconds."""

    projects: tuple[str, ...] = ()
    project_pattern: str = ""
    actions: tuple[str, ...] = ()
    not_before: int | None = None
    expires_at: int | None = None
    cidrs: tuple[str, ...] = ()
    version: str = ""
    newer_only: bool = False
    single_use: bool = False
    staging_only: bool = False
    # (normalized name, project id) of listed projects that exist, bound at issue.
    project_ids: tuple[tuple[str, str], ...] = ()


def validated(scope: Scope, now_s: int, max_lifetime_s: int | None = None) -> Scope:
    """The requested scope normalized (PEP 503 names, PEP 440 version, canonical networks, the
    default `upload` action made explicit). Raises InvalidCaveats with a sentence naming the problem."""
    try:
        normalized = replace(
            scope,
            projects=tuple(sorted({cv.canonical_project(name) for name in scope.projects})),
            project_pattern=cv.canonical_pattern(scope.project_pattern) if scope.project_pattern else "",
            actions=tuple(sorted(cv.known_actions(list(scope.actions)))) or cv.DEFAULT_ACTIONS,
            cidrs=tuple(dict.fromkeys(cv.parse_network(c).with_prefixlen for c in scope.cidrs)),
            version=cv.normalized_version(scope.version) if scope.version else "",
        )
    except cv.CaveatUnreadable as error:
        raise InvalidCaveats(str(error)) from error
    _check_times(normalized, now_s, max_lifetime_s)
    return normalized


def _check_times(scope: Scope, now_s: int, max_lifetime_s: int | None) -> None:
    start = scope.not_before if scope.not_before is not None else now_s
    if scope.expires_at is not None and scope.expires_at <= now_s:
        raise InvalidCaveats("The expiry time must be in the future.")
    if scope.expires_at is not None and scope.expires_at <= start:
        raise InvalidCaveats("The expiry time must be after the not-before time.")
    if max_lifetime_s is None:
        return
    if scope.expires_at is None or scope.expires_at - now_s > max_lifetime_s:
        days = max_lifetime_s // 86400
        raise InvalidCaveats(f"The token must expire within {days} days.")


def documents_for(user_id: str, scope: Scope) -> list[dict]:
    """The caveat documents a new token carries, the user binding first. `scope` must be validated."""
    v = {"v": cv.CAVEAT_VERSION}
    documents = [{**v, "user": user_id}]
    if scope.projects and scope.project_ids:
        documents.append({**v, "projects": list(scope.projects), "project_ids": dict(scope.project_ids)})
    elif scope.projects:
        documents.append({**v, "projects": list(scope.projects)})
    if scope.project_pattern:
        documents.append({**v, "project_pattern": scope.project_pattern})
    documents.append({**v, "actions": list(scope.actions or cv.DEFAULT_ACTIONS)})
    times = {"nbf": scope.not_before, "exp": scope.expires_at}
    if any(value is not None for value in times.values()):
        documents.append({**v, **{key: value for key, value in times.items() if value is not None}})
    if scope.cidrs:
        documents.append({**v, "cidrs": list(scope.cidrs)})
    if scope.version:
        documents.append({**v, "version": scope.version})
    documents.extend({**v, flag: True} for flag in cv.FLAGS if getattr(scope, flag))
    return documents


def predicate(document: dict) -> str:
    """The exact caveat text a macaroon carries for a document (compact JSON, sorted keys)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _of(read: list[cv.Caveat], kind: type) -> list:
    return [caveat for caveat in read if isinstance(caveat, kind)]


def _all_of(sets: list[frozenset[str]]) -> tuple[str, ...]:
    return tuple(sorted(frozenset.intersection(*sets))) if sets else ()


def _narrowest_networks(left: tuple, right: tuple) -> tuple:
    # Two CIDR blocks either nest or are disjoint, so their intersection is the smaller one.
    pairs = ((a, b) for a in left for b in right if a.version == b.version and a.overlaps(b))
    return tuple(dict.fromkeys(max(a, b, key=lambda network: network.prefixlen) for a, b in pairs))


def _networks_within(read: list[cv.Caveat]) -> tuple[str, ...]:
    blocks = _of(read, cv.CidrCaveat)
    if not blocks:
        return ()
    networks = blocks[0].networks
    for block in blocks[1:]:
        networks = _narrowest_networks(networks, block.networks)
    return tuple(network.with_prefixlen for network in networks)


def summarize(read: list[cv.Caveat]) -> Scope:
    """One flat view of all caveats a token carries: lists intersected, the narrowest time
    window, flags combined. Informative only: verification checks every caveat itself, and a
    list that narrows to nothing shows as empty here (the caveat documents tell the truth)."""
    validity = _of(read, cv.ValidityCaveat)
    flags = {caveat.flag for caveat in _of(read, cv.FlagCaveat)}
    return Scope(
        projects=_all_of([caveat.projects for caveat in _of(read, cv.ProjectsCaveat)]),
        project_pattern=next((caveat.pattern for caveat in _of(read, cv.ProjectPatternCaveat)), ""),
        actions=_all_of([caveat.actions for caveat in _of(read, cv.ActionsCaveat)]),
        not_before=max((c.not_before for c in validity if c.not_before is not None), default=None),
        expires_at=min((c.expires_at for c in validity if c.expires_at is not None), default=None),
        cidrs=_networks_within(read),
        version=next((caveat.version for caveat in _of(read, cv.VersionCaveat)), ""),
        **{flag: flag in flags for flag in cv.FLAGS},
    )


def read_all(predicates: list[str]) -> list[cv.Caveat]:
    """Caveat texts read back (e.g. a stored, issued token's). Raises CaveatUnreadable."""
    return [cv.parse(text) for text in predicates]
