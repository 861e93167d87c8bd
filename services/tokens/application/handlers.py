"""Use cases of the tokens service: one small async function per command."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import ConcurrencyConflict, actor_from, now_us
from gatehouse.eventstore.unit_of_work import UnitOfWork, UnitOfWorkFactory
from gatehouse.tokens.v1 import tokens_pb2
from services.tokens.adapters import repository
from services.tokens.adapters.disclosure_keys import DisclosureKeys
from services.tokens.adapters.accounts_client import AccountDirectory
from services.tokens.adapters.projects_client import ProjectDirectory
from services.tokens.adapters.hot_path import KnownPresentation, UseRecorder, VerifiedTokens
from services.tokens.adapters.crypto import RootKeyCipher, RootKeyUnreadable, new_root_key
from services.tokens.adapters.macaroons import MacaroonCodec, PresentedToken
from services.tokens.application import messages
from services.tokens.domain import model
from services.tokens.domain import scope as scopes
from services.tokens.domain.caveats import CaveatPipeline, CaveatUnreadable, Presentation, verdict
from services.tokens.domain.caveats import parse as parse_caveat
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
    # Public keys of secret-scanning partners; None: leak reports are refused.
    disclosure_keys: DisclosureKeys | None = None
    # Recently verified tokens in memory and batched last uses (None: every use hits the database).
    cache: VerifiedTokens | None = None
    uses: UseRecorder | None = None
    # Binds listed projects to their ids at issue (None: names only).
    projects: ProjectDirectory | None = None
    # Tells whether a token's owner is locked (None: never; unit tests without identity).
    accounts: AccountDirectory | None = None


async def _owner_locked(deps: Dependencies, user_id: str) -> bool:
    """Whether an operator locked the token owner's account (identity owns that). Raises AccountsUnavailable."""
    return deps.accounts is not None and await deps.accounts.is_locked(user_id)


def forget(deps: Dependencies, token_id: str) -> None:
    """Drops a token whose state changed from the in-memory cache, so it is refused at once."""
    if deps.cache is not None:
        deps.cache.forget(token_id)


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
    scope = await _bound_to_project_ids(deps, scope)
    command = model.IssueToken(str(uuid.uuid4()), owner.user_id, model.checked_name(request.name), scope)
    issued = model.issue(command)
    documents = messages.stored_documents(issued[0].caveats_json)
    root_key = new_root_key()
    secret = deps.codec.mint(command.token_id, root_key, documents)
    sealed = deps.cipher.seal(command.token_id, root_key)

    async def handle(unit: UnitOfWork):
        actor = actor_from(request.context, owner)
        subjects = _subjects(owner.user_id, owner.username)
        await record_token_events(unit, command.token_id, 0, issued, actor, (owner.user_id, owner.username),
                                  issued[0].caveats_json, command.name)
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


async def _bound_to_project_ids(deps: Dependencies, scope: scopes.Scope) -> scopes.Scope:
    """The scope with the ids of its listed projects that exist now. Raises ProjectsUnavailable."""
    if deps.projects is None or not scope.projects:
        return scope
    ids = await deps.projects.ids_of(scope.projects)
    return replace(scope, project_ids=tuple(sorted(ids.items())))


async def record_token_events(unit: UnitOfWork, token_id: str, version: int, new_events: list, actor,
                              owner: tuple[str, str], caveats_json: str, name: str) -> None:
    """Records `new_events` on the token's stream, then, when they start or end a project-scoped
    token, one ProjectTokenAdded/Removed per project with that project as the subject (so the
    project's security log shows it). Raises ConcurrencyConflict."""
    stream = model.stream_of(token_id)
    await unit.record(stream, version, new_events, actor, _subjects(*owner))
    version += len(new_events)
    for event in new_events:
        for project, project_id, project_event in model.project_events(event, caveats_json, name):
            subjects = envelope_pb2.Subjects(user_id=owner[0], username=owner[1], project=project,
                                             project_id=project_id)
            await unit.record(stream, version, [project_event], actor, subjects)
            version += 1


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
            await record_token_events(unit, row.token_id, state.version, revoked, actor,
                                      (row.user_id, row.username), row.caveats_json, row.name)
            await retire(deps, unit, row.token_id, deps.clock())

    await deps.units.run(handle)
    forget(deps, request.token_id)
    log.info("token.revoked", token_id=request.token_id, by_operator=owner.operator)
    return tokens_pb2.RevokeTokenResponse()


async def rotate_token(deps: Dependencies, request: tokens_pb2.RotateTokenRequest) -> tokens_pb2.RotateTokenResponse:
    """A new secret with the same caveats; the old token is revoked in the same transaction
    (TokenRotated). Raises OwnerRequired, TokenNotFound (not the owner's, or no such token) and
    TokenAlreadyRevoked."""
    owner = request.owner
    _require_owner(owner)
    new_token_id, root_key = str(uuid.uuid4()), new_root_key()
    sealed = deps.cipher.seal(new_token_id, root_key)

    async def handle(unit: UnitOfWork):
        row = await repository.find_token(unit.connection, request.token_id)
        if row is None or row.user_id != owner.user_id:
            raise TokenNotFound("You have no API token with this id.")
        state = model.fold(await unit.load(model.stream_of(row.token_id)))
        old_events, new_events = model.rotate(state, new_token_id)
        actor, owner_pair = actor_from(request.context, owner), (row.user_id, row.username)
        await record_token_events(unit, row.token_id, state.version, old_events, actor, owner_pair,
                                  row.caveats_json, row.name)
        await record_token_events(unit, new_token_id, 0, new_events, actor, owner_pair, row.caveats_json, row.name)
        await retire(deps, unit, row.token_id, deps.clock())
        await repository.add_token(
            unit.connection, token_id=new_token_id, user_id=row.user_id, username=row.username, name=row.name,
            caveats_json=row.caveats_json, created_at_us=deps.clock(), expires_at_us=row.expires_at_us,
        )
        await repository.store_root_key(unit.connection, new_token_id, sealed)
        return await repository.find_token(unit.connection, new_token_id)

    row = await deps.units.run(handle)
    forget(deps, request.token_id)
    log.info("token.rotated", token_id=request.token_id, new_token_id=new_token_id)
    documents = messages.stored_documents(row.caveats_json)
    secret = deps.codec.mint(new_token_id, root_key, documents)
    return tokens_pb2.RotateTokenResponse(
        token=_stored_info(row), secret=secret, replaced_token_id=request.token_id
    )


def _refused(reason: str) -> tokens_pb2.VerifyTokenResponse:
    return tokens_pb2.VerifyTokenResponse(valid=False, reason=model.sentence(reason))


async def verify_token(deps: Dependencies, request: tokens_pb2.VerifyTokenRequest) -> tokens_pb2.VerifyTokenResponse:
    """Verifies a presented token against an operation. Never raises for a bad token: answers
    valid=false with a reason sentence ("Invalid API Token: ..."), and records TokenRejected
    when the token is a known one. A single-use token (issued so, or restricted so by its holder)
    is consumed by its first success, unless `defer_consumption`. With `inspect_only` the answer
    is the same but nothing is recorded or consumed, and a refusal of a token whose signature is
    genuine still tells what the token is."""
    response = await _verify_remembered(deps, request)
    if response is not None:
        return response
    try:
        presented = deps.codec.read(request.token)
    except TokenInvalid as refusal:
        return _refused(refusal.reason)
    epoch = deps.cache.epoch if deps.cache is not None else 0
    response, remembered = await deps.units.run(lambda unit: _verify_in(deps, unit, request, presented))
    if response.valid and response.token.revoked:
        # Just consumed (single use): other secrets of the token (the one a holder restricted to
        # single use) must not stay accepted from memory.
        forget(deps, presented.token_id)
    if remembered is not None and deps.cache is not None and deps.uses is not None:
        deps.cache.remember(*remembered, request.token, epoch)  # only once committed
    log.info(
        "token.verified", token_id=presented.token_id, valid=response.valid, inspect_only=request.inspect_only
    )
    return response


def _presentation(request, owner_user_id: str, now: int) -> Presentation:
    operation = request.operation
    return Presentation(
        owner_user_id, operation.project, operation.action, operation.version,
        request.context.ip_address, now / messages.MICROS, operation.project_id,
    )


async def _verify_remembered(deps: Dependencies, request):
    """The answer for a secret that verified moments ago (signature known good, caveats known),
    or None to go the whole way: not remembered, or refused (a refusal is always re-checked
    and recorded in the database)."""
    remembered = deps.cache.presentation(request.token) if deps.cache is not None else None
    if remembered is None:
        return None
    known, entry = remembered
    if model.network_of(request.context.ip_address) not in entry.state.networks:
        return None  # a first use from this network is recorded in the database
    now = deps.clock()
    if verdict(list(known.caveats), _presentation(request, entry.row.user_id, now)) is not None:
        return None
    if await _owner_locked(deps, entry.row.user_id):
        return None  # refused on the whole way
    info = messages.token_info(entry.row, known.summary, list(known.predicates))
    if not request.inspect_only:
        deps.uses.record(known.token_id, now, request.context.ip_address)
        info.last_used_at_us, info.last_used_ip = now, request.context.ip_address
    log.debug("token.verified", token_id=known.token_id, valid=True, inspect_only=request.inspect_only)
    return tokens_pb2.VerifyTokenResponse(valid=True, token=info)


async def _verify_in(deps: Dependencies, unit: UnitOfWork, request, presented: PresentedToken):
    """(the answer, what to remember once committed: (row, state, KnownPresentation) or None)."""
    row = await repository.find_token(unit.connection, presented.token_id)
    if row is None:
        return _refused(model.REVOKED_OR_UNKNOWN), None
    state = model.fold(await unit.load(model.stream_of(row.token_id)))
    if not state.revoked and await _owner_locked(deps, row.user_id):
        # Refused before any caveat is checked, so a single-use token is not consumed.
        return _refused(model.ACCOUNT_LOCKED), None
    now = deps.clock()
    pipeline = CaveatPipeline(_presentation(request, row.user_id, now))
    if state.revoked:
        refusal, genuine = None, request.inspect_only and await _genuine_retired(deps, unit, presented)
    else:
        refusal, genuine = await _check(deps, unit, presented, pipeline)
    summary = scopes.summarize(pipeline.caveats)
    # A holder may add single_use offline: the presented caveats decide, not only the issued ones.
    state = replace(state, single_use=state.single_use or summary.single_use)
    consume = not request.defer_consumption
    refusal, new_events = model.after_verification(state, refusal, request.context.ip_address, consume)
    if refusal is not None:
        if not request.inspect_only:
            # Whoever presented it is unknown: the actor names only the token and the client.
            presenter = common_pb2.Principal(token_id=row.token_id)
            await _record(unit, request, row, state, new_events, principal=presenter)
        return _refusal_of(request, row, presented, refusal, genuine), None
    info = messages.token_info(row, summary, presented.predicates())
    network = model.network_of(request.context.ip_address)
    seen = replace(state, networks=state.networks | {network}) if network and not request.inspect_only else state
    known = KnownPresentation(row.token_id, tuple(pipeline.caveats), tuple(presented.predicates()), summary)
    if not request.inspect_only:
        owner = common_pb2.Principal(user_id=row.user_id, username=row.username, token_id=row.token_id)
        await _record(unit, request, row, state, new_events, principal=owner)
        consumed = await _record_use(deps, unit, row.token_id, state, now, request.context.ip_address, consume)
        info.last_used_at_us, info.last_used_ip, info.revoked = now, request.context.ip_address, consumed
    return tokens_pb2.VerifyTokenResponse(valid=True, token=info), (row, seen, known)


def _refusal_of(request, row, presented: PresentedToken, refusal: str, genuine: bool):
    """The refusal; for introspection of a token whose signature is proven genuine (refused by
    a caveat, e.g. expired, or revoked), also what the token is: owner, caveats, expiry, last use.
    A forged token reveals nothing."""
    response = _refused(refusal)
    if request.inspect_only and genuine:
        readable = [caveat for caveat in map(_readable, presented.predicates()) if caveat is not None]
        info = messages.token_info(row, scopes.summarize(readable), presented.predicates())
        response.token.CopyFrom(info)
    return response


def _readable(predicate: str):
    try:
        return parse_caveat(predicate)
    except CaveatUnreadable:
        return None


async def _record(unit: UnitOfWork, request, row, state: model.TokenState, new_events: list, principal) -> None:
    if new_events:
        actor = actor_from(request.context, principal)
        await record_token_events(unit, row.token_id, state.version, new_events, actor,
                                  (row.user_id, row.username), row.caveats_json, row.name)


async def _check(deps: Dependencies, unit: UnitOfWork, presented: PresentedToken, pipeline) -> tuple[str | None, bool]:
    """(the reason to refuse or None, whether the signature is proven genuine under the token's root key)."""
    sealed = await repository.root_key_of(unit.connection, presented.token_id)
    if sealed is None:
        return model.REVOKED_OR_UNKNOWN, False
    try:
        root_key = deps.cipher.open(presented.token_id, sealed)
    except RootKeyUnreadable:
        # The database or the service key is wrong, not the token: say so in the log, refuse.
        log.error("token.root_key_unreadable", token_id=presented.token_id)
        return model.REVOKED_OR_UNKNOWN, False
    reason = deps.codec.verify(presented, root_key, pipeline)
    # Only a refusal needs the extra chain check (the HMAC chain once more, no caveat work).
    genuine = reason is None or (reason != model.SIGNATURE_INVALID and deps.codec.genuine(presented, root_key))
    return reason, genuine


async def retire(deps: Dependencies, unit: UnitOfWork, token_id: str, now: int) -> bool:
    """Revokes in the read model: the root key is deleted (nothing verifies the token any more)
    and its chain key kept sealed, for introspection only. Returns False when the token was
    already revoked (under concurrency: another transaction got there first)."""
    sealed = await repository.root_key_of(unit.connection, token_id)
    if not await repository.mark_revoked(unit.connection, token_id, now):
        return False
    if sealed is not None:
        try:
            chain_key = deps.codec.chain_key(token_id, deps.cipher.open(token_id, sealed))
        except RootKeyUnreadable:
            log.error("token.root_key_unreadable", token_id=token_id)
            return True
        await repository.store_retired_chain_key(unit.connection, token_id, deps.cipher.seal(_CHAIN + token_id, chain_key))
    return True


# Associated data of a sealed chain key: it never opens as a root key, nor a root key as it.
_CHAIN = "chain:"


async def _genuine_retired(deps: Dependencies, unit: UnitOfWork, presented: PresentedToken) -> bool:
    sealed = await repository.retired_chain_key_of(unit.connection, presented.token_id)
    if sealed is None:
        return False
    try:
        chain_key = deps.cipher.open(_CHAIN + presented.token_id, sealed)
    except RootKeyUnreadable:
        return False
    return deps.codec.chain_holds_from(presented, chain_key)


async def _record_use(deps: Dependencies, unit: UnitOfWork, token_id: str, state: model.TokenState,
                      now: int, client_ip: str, consume: bool = True) -> bool:
    """Stores the last use (batched when a recorder is configured); consumes a single-use
    token unless `consume` is False. Returns whether it was consumed."""
    if deps.uses is None or state.single_use:
        await repository.mark_used(unit.connection, token_id, now, client_ip)
    else:
        deps.uses.record(token_id, now, client_ip)
    if not (state.single_use and consume):
        return False
    if not await retire(deps, unit, token_id, now):
        # Another verification consumed it first: re-run, which now sees it revoked.
        raise ConcurrencyConflict(f"token {token_id} was consumed concurrently")
    return True
