"""Leak disclosure: a secret-scanning partner (GitHub's format) reports tokens found in public.

The report is a JSON list of {"token", "type", "url", "source"} signed by the partner. Every
reported string that is a genuine token of ours (its macaroon signature holds under the root
key) is revoked with TokenLeaked, which carries the token's name and the public URL so the
owner can be told. The partner gets the same answer whatever the report held.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.eventstore.store import actor_from
from gatehouse.eventstore.unit_of_work import UnitOfWork
from gatehouse.tokens.v1 import tokens_pb2
from services.tokens.adapters import repository
from services.tokens.adapters.crypto import RootKeyUnreadable
from services.tokens.adapters.macaroons import PresentedToken
from services.tokens.application.handlers import Dependencies, forget, record_token_events, retire
from services.tokens.domain import model
from services.tokens.domain.errors import DisclosureMalformed, DisclosureSignatureInvalid, TokenInvalid

log = structlog.get_logger(__name__)

MAX_REPORT_BYTES = 1024 * 1024
MAX_ITEMS = 1000


@dataclass(frozen=True)
class LeakedItem:
    """One entry of a report."""

    token: str
    url: str
    source: str


def _text(entry: dict, key: str, required: bool = False) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str) or (required and not value):
        raise DisclosureMalformed(f"Each reported item needs '{key}' as a string.")
    return value


def read_report(body: bytes) -> list[LeakedItem]:
    """The items of a report. Raises DisclosureMalformed unless it is a JSON list (at most
    MAX_ITEMS) of objects with a string `token`."""
    if len(body) > MAX_REPORT_BYTES:
        raise DisclosureMalformed("The report is too large.")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise DisclosureMalformed("The report must be a JSON list.") from error
    if not isinstance(document, list) or len(document) > MAX_ITEMS:
        raise DisclosureMalformed(f"The report must be a JSON list of at most {MAX_ITEMS} items.")
    if not all(isinstance(entry, dict) for entry in document):
        raise DisclosureMalformed("Each reported item must be a JSON object.")
    return [LeakedItem(_text(e, "token", True), _text(e, "url"), _text(e, "source")) for e in document]


async def report_leak(deps: Dependencies, request: tokens_pb2.ReportLeakRequest) -> tokens_pb2.ReportLeakResponse:
    """Verifies the reporter's signature, then revokes every genuine reported token (TokenLeaked).
    Raises DisclosureSignatureInvalid (nothing is read or changed) or DisclosureMalformed."""
    keys = deps.disclosure_keys
    if keys is None or not keys.signed(request.body, request.key_id, request.signature):
        log.warning("token.leak_report_refused", key_id=request.key_id[:200])
        raise DisclosureSignatureInvalid("The report's signature does not verify against a configured key.")
    items = read_report(request.body)
    revoked = 0
    for item in items:
        revoked += await _revoke_leaked(deps, request, item)
    # How many were real stays in our log only: the answer must not tell a reporter.
    log.info("token.leak_reported", key_id=request.key_id[:200], items=len(items), revoked=revoked)
    return tokens_pb2.ReportLeakResponse(received=len(items))


async def _revoke_leaked(deps: Dependencies, request, item: LeakedItem) -> int:
    try:
        presented = deps.codec.read(item.token)
    except TokenInvalid:
        return 0
    revoked = await deps.units.run(lambda unit: _revoke_in(deps, unit, request, item, presented))
    forget(deps, presented.token_id)
    return revoked


async def _genuine(deps: Dependencies, unit: UnitOfWork, presented: PresentedToken) -> bool:
    # Only the real secret proves a leak: a forged string naming someone's token id must not revoke it.
    sealed = await repository.root_key_of(unit.connection, presented.token_id)
    if sealed is None:
        return False
    try:
        return deps.codec.genuine(presented, deps.cipher.open(presented.token_id, sealed))
    except RootKeyUnreadable:
        return False


async def _revoke_in(deps: Dependencies, unit: UnitOfWork, request, item: LeakedItem, presented) -> int:
    row = await repository.find_token(unit.connection, presented.token_id)
    if row is None or not await _genuine(deps, unit, presented):
        return 0
    state = model.fold(await unit.load(model.stream_of(row.token_id)))
    leaked = model.report_leak(state, item.url, item.source, request.key_id)
    if not leaked:
        return 0
    actor = actor_from(request.context, common_pb2.Principal())
    await record_token_events(unit, row.token_id, state.version, leaked, actor, (row.user_id, row.username),
                              row.caveats_json, row.name)
    await retire(deps, unit, row.token_id, deps.clock())
    return 1
