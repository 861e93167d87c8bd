"""API tokens as an aggregate: state folded from a token's events, decisions returned as events.
No I/O. Stream: "token-<token_id>"."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, replace

from gatehouse.events.v1 import tokens_pb2 as events
from services.tokens.domain.errors import (
    INVALID_TOKEN_PREFIX, InvalidTokenName, TokenAlreadyRevoked, TokenNotFound,
)
from services.tokens.domain.scope import Scope, documents_for

NAME_MAX = 100
REVOKED_OR_UNKNOWN = "the token has been revoked or does not exist."
NOT_A_TOKEN = "the token is not a Gatehouse API token."
SIGNATURE_INVALID = "the token's signature is invalid."
ACCOUNT_LOCKED = "the account is locked."

# TokenRevoked.reason values (a catalogue: consumers may match on them).
REVOKED_BY_OWNER = "revoked_by_owner"
REVOKED_BY_OPERATOR = "revoked_by_operator"
SINGLE_USE_CONSUMED = "single_use_consumed"
ALREADY_REVOKED = "This API token is revoked; create a new one instead."


@dataclass(frozen=True)
class IssueToken:
    """Command: issue a token to `user_id` with an already validated scope."""

    token_id: str
    user_id: str
    name: str
    scope: Scope


@dataclass(frozen=True)
class TokenState:
    """A token as folded from its stream."""

    token_id: str = ""
    user_id: str = ""
    name: str = ""
    caveats_json: str = ""
    expires_at_us: int = 0
    single_use: bool = False
    revoked: bool = False
    version: int = 0
    # Networks (see network_of) the token has been used from.
    networks: frozenset[str] = frozenset()

    @property
    def exists(self) -> bool:
        return self.version > 0


def stream_of(token_id: str) -> str:
    return f"token-{token_id}"


def sentence(reason: str) -> str:
    """The full refusal sentence callers show, e.g. "Invalid API Token: the token has expired."."""
    return INVALID_TOKEN_PREFIX + reason


def checked_name(name: str) -> str:
    """The token's name without surrounding blanks. Raises InvalidTokenName unless 1-100 characters."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidTokenName(f"The token name must be 1 to {NAME_MAX} characters long.")
    return name


def caveat_documents_of(command: IssueToken) -> list[dict]:
    """The caveat documents the new token's macaroon carries, in order."""
    return documents_for(command.user_id, command.scope)


def issue(command: IssueToken) -> list:
    """The events that issue a token (its root key and secret never appear in them)."""
    expires_at = command.scope.expires_at
    return [
        events.TokenIssued(
            token_id=command.token_id,
            user_id=command.user_id,
            name=command.name,
            caveats_json=json.dumps(caveat_documents_of(command), sort_keys=True, separators=(",", ":")),
            expires_at_us=expires_at * 1_000_000 if expires_at is not None else 0,
            projects=command.scope.projects,
        )
    ]


def rotate(state: TokenState, new_token_id: str) -> tuple[list, list]:
    """Rotation as (events of the old token, events of the new one): the old one is revoked by
    TokenRotated, the new one issued with the very same caveat documents. Raises TokenNotFound
    for a token never issued, TokenAlreadyRevoked for a revoked one."""
    if not state.exists:
        raise TokenNotFound("You have no API token with this id.")
    if state.revoked:
        raise TokenAlreadyRevoked(ALREADY_REVOKED)
    rotated = events.TokenRotated(token_id=state.token_id, user_id=state.user_id, name=state.name,
                                  new_token_id=new_token_id)
    projects = next((d["projects"] for d in json.loads(state.caveats_json) if "projects" in d), [])
    issued = events.TokenIssued(
        token_id=new_token_id, user_id=state.user_id, name=state.name, caveats_json=state.caveats_json,
        expires_at_us=state.expires_at_us, rotated_from=state.token_id, projects=projects,
    )
    return [rotated], [issued]


def report_leak(state: TokenState, url: str, source: str, reporter_key_id: str) -> list:
    """A leak report as events: TokenLeaked revokes the token; a token already revoked records
    nothing (the answer to the reporter is the same either way)."""
    if not state.exists or state.revoked:
        return []
    return [events.TokenLeaked(token_id=state.token_id, user_id=state.user_id, name=state.name,
                               url=url[:2000], source=source[:200], reporter_key_id=reporter_key_id[:200])]


def _single_use(caveats_json: str) -> bool:
    return any(document.get("single_use") is True for document in json.loads(caveats_json or "[]"))


def fold(history: list) -> TokenState:
    """The current state of a token from its events."""
    state = TokenState()
    for event in history:
        if isinstance(event, events.TokenIssued):
            state = replace(state, token_id=event.token_id, user_id=event.user_id, name=event.name,
                            caveats_json=event.caveats_json, expires_at_us=event.expires_at_us,
                            single_use=_single_use(event.caveats_json))
        elif isinstance(event, (events.TokenRevoked, events.TokenRotated, events.TokenLeaked)):
            state = replace(state, revoked=True)
        elif isinstance(event, events.TokenUsed):
            state = replace(state, networks=state.networks | {event.network})
        state = replace(state, version=state.version + 1)
    return state


def revoke(state: TokenState, reason: str) -> list:
    """Revocation as events; revoking a revoked token changes nothing. Raises TokenNotFound for
    a token that was never issued."""
    if not state.exists:
        raise TokenNotFound("You have no API token with this id.")
    if state.revoked:
        return []
    return [events.TokenRevoked(token_id=state.token_id, user_id=state.user_id, reason=reason)]


def network_of(ip_address: str) -> str:
    """The network a client address belongs to for "new network" alerts: IPv4 /24, IPv6 /64
    (an IPv4-mapped IPv6 address counts as IPv4); "" for an unreadable address."""
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return ""
    address = getattr(address, "ipv4_mapped", None) or address
    prefix = 24 if address.version == 4 else 64
    return ipaddress.ip_network(f"{address}/{prefix}", strict=False).with_prefixlen


def after_verification(state: TokenState, refusal: str | None, client_ip: str = "",
                       consume: bool = True) -> tuple[str | None, list]:
    """The final refusal (None: accepted) and the events a verification of an issued token leaves:
    any refusal is recorded (a revoked token is refused whatever else held), the first accepted
    use from a network records TokenUsed, and the first accepted use of a single-use token
    revokes it (unless `consume` is False: the caller consumes it later)."""
    if state.revoked:
        refusal = REVOKED_OR_UNKNOWN
    if refusal is not None:
        rejected = events.TokenRejected(token_id=state.token_id, user_id=state.user_id, reason=sentence(refusal))
        return refusal, [rejected]
    network = network_of(client_ip)
    used = [events.TokenUsed(token_id=state.token_id, user_id=state.user_id, name=state.name, network=network,
                             ip_address=client_ip[:64])] if network and network not in state.networks else []
    if state.single_use and consume:
        return None, used + revoke(state, SINGLE_USE_CONSUMED)
    return None, used


_ENDS_TOKEN = (events.TokenRevoked, events.TokenRotated, events.TokenLeaked)


def _listed_projects(caveats_json: str) -> list[tuple[str, str]]:
    for document in json.loads(caveats_json or "[]"):
        if "projects" in document:
            ids = document.get("project_ids", {})
            return [(project, ids.get(project, "")) for project in document["projects"]]
    return []


def project_events(event, caveats_json: str, name: str) -> list[tuple[str, str, object]]:
    """(project, project id, event) for each project an issued token is limited to, when `event`
    starts the token (ProjectTokenAdded) or ends it (ProjectTokenRemoved); [] otherwise."""
    projects = _listed_projects(caveats_json)
    if isinstance(event, events.TokenIssued):
        return [(project, project_id, events.ProjectTokenAdded(
            token_id=event.token_id, user_id=event.user_id, name=name, project=project, project_id=project_id))
            for project, project_id in projects]
    if isinstance(event, _ENDS_TOKEN):
        return [(project, project_id, events.ProjectTokenRemoved(
            token_id=event.token_id, user_id=event.user_id, name=name, project=project, project_id=project_id,
            reason=type(event).__name__)) for project, project_id in projects]
    return []
