"""Translation between the API's messages and the domain's values (times: API µs, caveats s)."""

from __future__ import annotations

import json

from gatehouse.tokens.v1 import tokens_pb2
from services.tokens.domain import scope as scopes
from services.tokens.domain.scope import Scope

MICROS = 1_000_000


def _seconds_at_most(micros: int) -> int | None:
    return micros // MICROS if micros else None


def _seconds_at_least(micros: int) -> int | None:
    # A not-before time rounds up, so the token never becomes valid early.
    return -(-micros // MICROS) if micros else None


def _micros(seconds: int | None) -> int:
    return seconds * MICROS if seconds is not None else 0


def scope_from(caveats: tokens_pb2.Caveats) -> Scope:
    """The requested scope of an IssueToken request (not validated yet)."""
    return Scope(
        projects=tuple(caveats.projects),
        project_pattern=caveats.project_pattern,
        actions=tuple(caveats.actions),
        not_before=_seconds_at_least(caveats.not_before_us),
        expires_at=_seconds_at_most(caveats.expires_at_us),
        cidrs=tuple(caveats.allowed_cidrs),
        version=caveats.version,
        newer_only=caveats.newer_only,
        single_use=caveats.single_use,
        staging_only=caveats.staging_only,
    )


def caveats_message(scope: Scope) -> tokens_pb2.Caveats:
    """A scope as the API's Caveats message."""
    return tokens_pb2.Caveats(
        projects=scope.projects,
        project_pattern=scope.project_pattern,
        actions=scope.actions,
        not_before_us=_micros(scope.not_before),
        expires_at_us=_micros(scope.expires_at),
        allowed_cidrs=scope.cidrs,
        version=scope.version,
        newer_only=scope.newer_only,
        single_use=scope.single_use,
        staging_only=scope.staging_only,
    )


def stored_documents(caveats_json: str) -> list[str]:
    """The caveat texts of a stored (issued) caveat array, as the macaroon carries them."""
    return [scopes.predicate(document) for document in json.loads(caveats_json)]


def token_info(row, scope: Scope, documents: list[str], **changes) -> tokens_pb2.TokenInfo:
    """A token row as TokenInfo; `changes` override row values (e.g. a use just recorded)."""
    values = {
        "last_used_at_us": row.last_used_at_us,
        "last_used_ip": row.last_used_ip,
        "revoked": row.revoked,
        **changes,
    }
    return tokens_pb2.TokenInfo(
        token_id=row.token_id,
        name=row.name,
        user_id=row.user_id,
        username=row.username,
        caveats=caveats_message(scope),
        created_at_us=row.created_at_us,
        expires_at_us=_micros(scope.expires_at),
        caveat_documents=documents,
        **values,
    )
