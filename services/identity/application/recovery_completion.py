"""Completing account recoveries whose waiting period is over.

A scheduler in the identity process looks for due recoveries every
GATEHOUSE_RECOVERY_CHECK_SECONDS (60). The due time is stored, so a restart loses nothing: the
next look after start-up completes what fell due meanwhile. A recovery is first marked
"completing" (no longer cancellable), then mfa removes the factors (idempotent), then identity
ends the sessions and records RecoveryCompleted; a crash in between is finished on the next
look, which finds "completing" rows too.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import structlog

from gatehouse.common.v1 import common_pb2
from gatehouse.events.v1 import identity_pb2 as events
from gatehouse.eventstore.store import actor_from, now_us
from services.identity.adapters import recoveries, repository
from services.identity.application import recovery

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies

log = structlog.get_logger(__name__)
SCHEDULER = common_pb2.RequestContext(user_agent="gatehouse identity: account recovery scheduler")


async def complete_due(deps: Dependencies) -> int:
    """Completes every recovery that is due; answers how many. Raises grpc errors from mfa
    (the recovery stays "completing" and is retried on the next look)."""
    async with deps.units() as unit:
        due = await recoveries.due(unit.connection, now_us())
    for row in due:
        await _complete(deps, row.recovery_id)
    return len(due)


async def _complete(deps: Dependencies, recovery_id: str) -> None:
    async def mark(unit):
        row = await recoveries.find(unit.connection, recovery_id)
        if row is None or row.state not in ("confirmed", "completing"):
            return None
        await recoveries.set_state(unit.connection, recovery_id, "completing")
        return row.user_id

    user_id = await deps.units.run(mark)
    if user_id is None:  # cancelled meanwhile
        return
    removed = await deps.second_factors.reset(user_id, SCHEDULER)
    user, addresses = await deps.units.run(lambda unit: _record_completion(unit, recovery_id, removed))
    if user is None:
        return
    log.info("identity.recovery_completed", user_id=user.user_id, recovery_id=recovery_id, methods_removed=removed)
    for address, _ in addresses:
        await recovery.send(deps, address, "Account recovery completed", (
            f"Hello {user.username},\n\nevery second factor of your Gatehouse account was removed, as the account "
            "recovery announced. Log in with your password and set up two-factor authentication again."
        ))


async def _record_completion(unit, recovery_id: str, removed: int):
    row = await recoveries.find(unit.connection, recovery_id)
    if row is None or row.state != "completing":
        return None, []
    user = await repository.find_user(unit.connection, user_id=row.user_id)
    sessions = await repository.sessions_of(unit.connection, user.user_id)
    ended = [events.SessionEnded(user_id=user.user_id, session_id=s.session_id, reason="account_recovery")
             for s in sessions]
    completed = events.RecoveryCompleted(user_id=user.user_id, recovery_id=recovery_id, methods_removed=removed,
                                         sessions_ended=len(sessions))
    for event in (completed, *ended):
        await recovery.record(unit, user, event, actor_from(SCHEDULER))
    for session in sessions:
        await repository.remove_session(unit.connection, session.id_hash)
    await recoveries.set_state(unit.connection, recovery_id, "completed", ended_at_us=now_us())
    await recoveries.delete_links(unit.connection, recovery_id)
    return user, await recovery.addresses_of(unit.connection, user)


class RecoveryScheduler:
    """Runs complete_due every `interval` seconds until stopped; a failed look is logged and
    retried at the next one."""

    def __init__(self, deps: Dependencies, interval: float):
        self._deps = deps
        self._interval = interval
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        """Looks for due recoveries until stop() is called."""
        while not self._stopped.is_set():
            try:
                await complete_due(self._deps)
            except Exception as error:  # noqa: BLE001 - a look that failed (mfa down) is retried
                log.warning("identity.recovery_check_failed", error=str(error))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), self._interval)

    async def stop(self) -> None:
        """Ends the loop after the look in flight."""
        self._stopped.set()
