"""Operators lock and unlock accounts. A locked account cannot log in (any way), every session
of it ends in the same transaction, and the tokens service refuses its API tokens (it asks
identity's GetUser whether the owner is locked, see services/tokens/README.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatehouse.events.v1 import envelope_pb2
from gatehouse.eventstore.store import actor_from
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters import repository
from services.identity.domain import model
from services.identity.domain.errors import OperatorRequired, UserNotFound

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies


def _require_operator(actor) -> None:
    if not actor.operator:
        raise OperatorRequired("Only the index's operators can lock or unlock accounts.")


async def _user_named(unit, username: str) -> identity_pb2.User:
    user = await repository.find_user(unit.connection, username=username) if username else None
    if user is None:
        raise UserNotFound(f"No user is named '{username}'.")
    return user


async def lock_user(deps: Dependencies, request: identity_pb2.LockUserRequest) -> identity_pb2.LockUserResponse:
    """Locks the account and deletes its sessions (one SessionEnded `account_locked` each).
    Raises OperatorRequired, UserNotFound or AccountStateUnchanged (already locked)."""
    _require_operator(request.actor)

    async def handle(unit):
        user = await _user_named(unit, request.username)
        stream = model.stream_of(user.user_id)
        state = model.fold(await unit.load(stream))
        sessions = await repository.sessions_of(unit.connection, user.user_id)
        new_events = model.lock(state, request.reason, [row.session_id for row in sessions])
        subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
        await unit.record(stream, state.version, new_events, actor_from(request.context, request.actor), subjects)
        await repository.set_user_state(unit.connection, user.user_id, "locked")
        for row in sessions:
            await repository.remove_session(unit.connection, row.id_hash)
        user.state = "locked"
        return identity_pb2.LockUserResponse(user=user, sessions_ended=len(sessions))

    return await deps.units.run(handle)


async def unlock_user(deps: Dependencies, request: identity_pb2.UnlockUserRequest) -> identity_pb2.UnlockUserResponse:
    """Unlocks the account. Raises OperatorRequired, UserNotFound or AccountStateUnchanged (not locked)."""
    _require_operator(request.actor)

    async def handle(unit):
        user = await _user_named(unit, request.username)
        stream = model.stream_of(user.user_id)
        state = model.fold(await unit.load(stream))
        subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
        await unit.record(stream, state.version, model.unlock(state), actor_from(request.context, request.actor),
                          subjects)
        await repository.set_user_state(unit.connection, user.user_id, "active")
        user.state = "active"
        return identity_pb2.UnlockUserResponse(user=user)

    return await deps.units.run(handle)
