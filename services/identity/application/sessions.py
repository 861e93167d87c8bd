"""The one lookup every session-bound command starts with: the cookie's session, if it is live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatehouse.eventstore.store import now_us
from services.identity.adapters import repository
from services.identity.domain.errors import SessionInvalid

if TYPE_CHECKING:
    from services.identity.application.handlers import Dependencies


async def live_session(deps: Dependencies, connection, id_hash: str | None,
                       message: str = "You are not logged in."):
    """The session row for `id_hash` when it exists and has not idled out.
    Raises SessionInvalid (with `message`) otherwise."""
    row = await repository.find_session(connection, id_hash) if id_hash else None
    if row is None or now_us() - row.last_seen_us > deps.idle_timeout_us:
        raise SessionInvalid(message)
    return row
