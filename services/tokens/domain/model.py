"""API tokens as an aggregate: state folded from a token's events, decisions returned as events.
No I/O. Stream: "token-<token_id>"."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from gatehouse.events.v1 import tokens_pb2 as events
from services.tokens.domain.errors import INVALID_TOKEN_PREFIX, InvalidTokenName, TokenNotFound
from services.tokens.domain.scope import Scope, documents_for

NAME_MAX = 100
REVOKED_OR_UNKNOWN = "the token has been revoked or does not exist."
NOT_A_TOKEN = "the token is not a Gatehouse API token."
SIGNATURE_INVALID = "the token's signature is invalid."

# TokenRevoked.reason values (a catalogue: consumers may match on them).
REVOKED_BY_OWNER = "revoked_by_owner"
REVOKED_BY_OPERATOR = "revoked_by_operator"
SINGLE_USE_CONSUMED = "single_use_consumed"


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
    single_use: bool = False
    revoked: bool = False
    version: int = 0

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
        )
    ]


def _single_use(caveats_json: str) -> bool:
    return any(document.get("single_use") is True for document in json.loads(caveats_json or "[]"))


def fold(history: list) -> TokenState:
    """The current state of a token from its events."""
    state = TokenState()
    for event in history:
        if isinstance(event, events.TokenIssued):
            state = replace(state, token_id=event.token_id, user_id=event.user_id,
                            single_use=_single_use(event.caveats_json))
        elif isinstance(event, events.TokenRevoked):
            state = replace(state, revoked=True)
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


def after_verification(state: TokenState, refusal: str | None) -> tuple[str | None, list]:
    """The final refusal (None: accepted) and the events a verification of an issued token leaves:
    any refusal is recorded (a revoked token is refused whatever else held), and the first
    accepted use of a single-use token revokes it."""
    if state.revoked:
        refusal = REVOKED_OR_UNKNOWN
    if refusal is not None:
        rejected = events.TokenRejected(token_id=state.token_id, user_id=state.user_id, reason=sentence(refusal))
        return refusal, [rejected]
    if state.single_use:
        return None, revoke(state, SINGLE_USE_CONSUMED)
    return None, []
