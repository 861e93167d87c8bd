"""Use cases of the tokens service: one small async function per command."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import ConcurrencyConflict, actor_from, now_us
from gatehouse.eventstore.unit_of_work import UnitOfWork, UnitOfWorkFactory
from gatehouse.tokens.v1 import tokens_pb2
from services.tokens.adapters import repository
from services.tokens.adapters.crypto import RootKeyCipher, RootKeyUnreadable, new_root_key
from services.tokens.adapters.macaroons import MacaroonCodec, PresentedToken
from services.tokens.application import messages
from services.tokens.domain import model
from services.tokens.domain import scope as scopes
from services.tokens.domain.caveats import CaveatPipeline, Presentation
from services.tokens.domain.errors import OwnerRequired, TokenInvalid, TokenNotFound

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Dependencies:
    units: UnitOfWorkFactory
    cipher: RootKeyCipher
    codec: MacaroonCodec
    # None: tokens may live forever (PyPI's default); otherwise the longest lifetime allowed.
    max_lifetime_s: int | None = None
    clock: Callable[[], int] = now_us


def _subjects(user_id: str, username: str) -> envelope_pb2.Subjects:
    return envelope_pb2.Subjects(user_id=user_id, username=username)


def _require_owner(owner: common_pb2.Principal) -> None:
    if not owner.user_id:
        raise OwnerRequired("The request does not say whose tokens to act on.")


async def issue_token(deps: Dependencies, request: tokens_pb2.IssueTokenRequest) -> tokens_pb2.IssueTokenResponse:
    """Issues a token; the secret is in the answer only. Raises OwnerRequired, InvalidTokenName
    or InvalidCaveats."""
    owner = request.owner
    _require_owner(owner)
    now = deps.clock()
    scope = scopes.validated(messages.scope_from(request.caveats), now // messages.MICROS, deps.max_lifetime_s)
    command = model.IssueToken(str(uuid.uuid4()), owner.user_id, model.checked_name(request.name), scope)
    issued = model.issue(command)
    documents = messages.stored_documents(issued[0].caveats_json)
    root_key = new_root_key()
    secret = deps.codec.mint(command.token_id, root_key, documents)
    sealed = deps.cipher.seal(command.token_id, root_key)

    async def handle(unit: UnitOfWork):
        actor = actor_from(request.context, owner)
        subjects = _subjects(owner.user_id, owner.username)
        await unit.record(model.stream_of(command.token_id), 0, issued, actor, subjects)
        await repository.add_token(
            unit.connection, token_id=command.token_id, user_id=owner.user_id, username=owner.username,
            name=command.name, caveats_json=issued[0].caveats_json, created_at_us=now,
            expires_at_us=issued[0].expires_at_us,
        )
        await repository.store_root_key(unit.connection, command.token_id, sealed)
        return await repository.find_token(unit.connection, command.token_id)

    row = await deps.units.run(handle)
    log.info("token.issued", token_id=command.token_id, user_id=owner.user_id)
    info = messages.token_info(row, scope, documents)
    return tokens_pb2.IssueTokenResponse(token=info, secret=secret)


async def list_tokens(deps: Dependencies, request: tokens_pb2.ListTokensRequest) -> tokens_pb2.ListTokensResponse:
    """The owner's tokens, newest first, revoked ones included, never a secret. Raises OwnerRequired."""
    _require_owner(request.owner)
    async with deps.units() as unit:
        rows = await repository.tokens_of(unit.connection, request.owner.user_id)
    return tokens_pb2.ListTokensResponse(tokens=[_stored_info(row) for row in rows])


def _stored_info(row) -> tokens_pb2.TokenInfo:
    documents = messages.stored_documents(row.caveats_json)
    return messages.token_info(row, scopes.summarize(scopes.read_all(documents)), documents)


async def revoke_token(deps: Dependencies, request: tokens_pb2.RevokeTokenRequest) -> tokens_pb2.RevokeTokenResponse:
    """Revokes one of the owner's tokens at once (its root key is deleted); revoking twice is
    harmless. An operator principal may revoke anyone's token. Raises OwnerRequired, and
    TokenNotFound when the owner has no such token (whether someone else has is not told)."""
    owner = request.owner
    if not owner.operator:
        _require_owner(owner)

    async def handle(unit: UnitOfWork):
        row = await repository.find_token(unit.connection, request.token_id)
        if row is None or (row.user_id != owner.user_id and not owner.operator):
            raise TokenNotFound("You have no API token with this id.")
        state = model.fold(await unit.load(model.stream_of(row.token_id)))
        reason = model.REVOKED_BY_OWNER if row.user_id == owner.user_id else model.REVOKED_BY_OPERATOR
        revoked = model.revoke(state, reason)
        if revoked:
            actor = actor_from(request.context, owner)
            await unit.record(model.stream_of(row.token_id), state.version, revoked, actor,
                              _subjects(row.user_id, row.username))
            await repository.mark_revoked(unit.connection, row.token_id, deps.clock())

    await deps.units.run(handle)
    log.info("token.revoked", token_id=request.token_id, by_operator=owner.operator)
    return tokens_pb2.RevokeTokenResponse()


def _refused(reason: str) -> tokens_pb2.VerifyTokenResponse:
    return tokens_pb2.VerifyTokenResponse(valid=False, reason=model.sentence(reason))


async def verify_token(deps: Dependencies, request: tokens_pb2.VerifyTokenRequest) -> tokens_pb2.VerifyTokenResponse:
    """Verifies a presented token against an operation. Never raises for a bad token: answers
    valid=false with a reason sentence ("Invalid API Token: ..."), and records TokenRejected
    when the token is a known one. A single-use token is consumed by its first success.
    With `inspect_only` the answer is the same but nothing is recorded or consumed."""
    try:
        presented = deps.codec.read(request.token)
    except TokenInvalid as refusal:
        return _refused(refusal.reason)
    response = await deps.units.run(lambda unit: _verify_in(deps, unit, request, presented))
    log.info(
        "token.verified", token_id=presented.token_id, valid=response.valid, inspect_only=request.inspect_only
    )
    return response


async def _verify_in(deps: Dependencies, unit: UnitOfWork, request, presented: PresentedToken):
    row = await repository.find_token(unit.connection, presented.token_id)
    if row is None:
        return _refused(model.REVOKED_OR_UNKNOWN)
    state = model.fold(await unit.load(model.stream_of(row.token_id)))
    now = deps.clock()
    operation = request.operation
    pipeline = CaveatPipeline(Presentation(
        row.user_id, operation.project, operation.action, operation.version,
        request.context.ip_address, now / messages.MICROS,
    ))
    refusal = None if state.revoked else await _check(deps, unit, presented, pipeline)
    refusal, new_events = model.after_verification(state, refusal)
    if refusal is not None:
        if not request.inspect_only:
            # Whoever presented it is unknown: the actor names only the token and the client.
            presenter = common_pb2.Principal(token_id=row.token_id)
            await _record(unit, request, row, state, new_events, principal=presenter)
        return _refused(refusal)
    info = messages.token_info(row, scopes.summarize(pipeline.caveats), presented.predicates())
    if not request.inspect_only:
        owner = common_pb2.Principal(user_id=row.user_id, username=row.username, token_id=row.token_id)
        await _record(unit, request, row, state, new_events, principal=owner)
        consumed = await _record_use(unit, row.token_id, state, now, request.context.ip_address)
        info.last_used_at_us, info.last_used_ip, info.revoked = now, request.context.ip_address, consumed
    return tokens_pb2.VerifyTokenResponse(valid=True, token=info)


async def _record(unit: UnitOfWork, request, row, state: model.TokenState, new_events: list, principal) -> None:
    if new_events:
        actor = actor_from(request.context, principal)
        stream = model.stream_of(row.token_id)
        await unit.record(stream, state.version, new_events, actor, _subjects(row.user_id, row.username))


async def _check(deps: Dependencies, unit: UnitOfWork, presented: PresentedToken, pipeline) -> str | None:
    sealed = await repository.root_key_of(unit.connection, presented.token_id)
    if sealed is None:
        return model.REVOKED_OR_UNKNOWN
    try:
        root_key = deps.cipher.open(presented.token_id, sealed)
    except RootKeyUnreadable:
        # The database or the service key is wrong, not the token: say so in the log, refuse.
        log.error("token.root_key_unreadable", token_id=presented.token_id)
        return model.REVOKED_OR_UNKNOWN
    return deps.codec.verify(presented, root_key, pipeline)


async def _record_use(unit: UnitOfWork, token_id: str, state: model.TokenState, now: int, client_ip: str) -> bool:
    """Stores the last use; consumes a single-use token. Returns whether it was consumed."""
    await repository.mark_used(unit.connection, token_id, now, client_ip)
    if not state.single_use:
        return False
    if not await repository.mark_revoked(unit.connection, token_id, now):
        # Another verification consumed it first: re-run, which now sees it revoked.
        raise ConcurrencyConflict(f"token {token_id} was consumed concurrently")
    return True
