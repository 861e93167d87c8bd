"""Folded project states kept between requests, so that an upload reads only the events recorded
since, not a project's whole history (a project with thousands of releases would otherwise be
read and folded twice per upload).

A stream is append-only, so a kept state at version N plus the events after N is the fold of the
whole stream. A kept state is only a starting point: the events after it are always read in the
request's own transaction, and recording still checks the expected version in the event store.
"""

from __future__ import annotations

from collections import OrderedDict

from services.uploads.domain import model

CAPACITY = 1024


class ProjectStates:
    """The most recently used `capacity` project states, by stream."""

    def __init__(self, capacity: int = CAPACITY):
        self._capacity = capacity
        self._states: OrderedDict[str, model.ProjectState] = OrderedDict()

    async def current(self, unit, stream: str) -> model.ProjectState | None:
        """The state of `stream` as `unit`'s transaction sees it (None for an empty stream)."""
        kept = self._states.get(stream)
        newer = await unit.load(stream, after_version=kept.version if kept else 0)
        state = model.evolve(kept, newer) if kept else model.fold(newer)
        if state is not None:
            self._keep(stream, state)
        return state

    def _keep(self, stream: str, state: model.ProjectState) -> None:
        kept = self._states.get(stream)
        if kept is None or kept.version <= state.version:
            self._states[stream] = state
        self._states.move_to_end(stream)
        while len(self._states) > self._capacity:
            self._states.popitem(last=False)
