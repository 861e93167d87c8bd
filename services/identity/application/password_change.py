"""Changing one's password: the current one is required, the new one must pass the same rules
as at registration, and every other session of the user ends (the owner is mailed by the
notifier on PasswordChanged)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.store import actor_from
from gatehouse.identity.v1 import identity_pb2
from services.identity.adapters import repository
from services.identity.application import new_passwords
from services.identity.domain import model
from services.identity.domain.errors import UnacceptablePassword, WrongPassword
from services.identity.application.sessions import live_session

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies


async def _session_user(deps: Dependencies, id_hash: str | None):
    async with deps.units() as unit:
        row = await live_session(deps, unit.connection, id_hash)
        user = await repository.find_user(unit.connection, user_id=row.user_id)
        return user, await repository.password_hash_of(unit.connection, user.user_id)


async def change_password(deps: Dependencies, request: identity_pb2.ChangePasswordRequest) -> int:
    """Sets the new password and ends the user's other sessions; answers how many ended.
    Raises SessionInvalid, WrongPassword or UnacceptablePassword."""
    id_hash = deps.session_tokens.id_hash(request.session_token)
    user, stored_hash = await _session_user(deps, id_hash)
    if not await deps.passwords.verify(stored_hash, request.current_password):
        raise WrongPassword("The current password is incorrect.")
    if request.new_password == request.current_password:
        raise UnacceptablePassword("The new password must differ from the current one.")
    await new_passwords.check_new_password(deps.breached_passwords, request.new_password, user.username, user.email)
    new_hash = await deps.passwords.hash(request.new_password)

    async def handle(unit):
        others = await repository.other_sessions(unit.connection, user.user_id, id_hash)
        state = model.fold(await unit.load(model.stream_of(user.user_id)))
        ended = [events.SessionEnded(user_id=user.user_id, session_id=row.session_id, reason="password_changed")
                 for row in others]
        actor = actor_from(request.context, common_pb2.Principal(user_id=user.user_id, username=user.username))
        subjects = envelope_pb2.Subjects(user_id=user.user_id, username=user.username)
        await unit.record(model.stream_of(user.user_id), state.version,
                          [*model.change_password(state, len(others)), *ended], actor, subjects)
        await repository.set_password_hash(unit.connection, user.user_id, new_hash)
        for row in others:
            await repository.remove_session(unit.connection, row.id_hash)
        return len(others)

    return await deps.units.run(handle)
