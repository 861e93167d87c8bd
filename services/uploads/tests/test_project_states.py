"""ProjectStates: a kept state plus the newer events equals the fold of the whole stream."""

from __future__ import annotations

from gatehouse.events.v1 import envelope_pb2
from gatehouse.events.v1 import uploads_pb2 as events
from services.uploads.application.project_states import ProjectStates
from services.uploads.domain import model

STREAM = model.stream_of("p1")


def release(version: str):
    return events.ReleaseCreated(project_id="p1", project_name="demo", version=version)


async def append(units, *new_events) -> None:
    async def handle(unit):
        await unit.record(STREAM, None, list(new_events), envelope_pb2.Actor(), envelope_pb2.Subjects())
    await units.run(handle)


async def current(units, states: ProjectStates):
    async with units() as unit:
        return await states.current(unit, STREAM)


async def full_fold(units):
    async with units() as unit:
        return model.fold(await unit.load(STREAM))


async def test_a_kept_state_is_brought_up_to_date_with_the_newer_events(units):
    states = ProjectStates()
    await append(units, events.ProjectCreated(project_id="p1", name="demo", normalized_name="demo"),
                 events.RoleAdded(project_id="p1", user_id="u1", role=model.OWNER), release("1.0"))
    assert await current(units, states) == await full_fold(units)
    await append(units, release("1.1"), release("2.0"))
    state = await current(units, states)
    assert state == await full_fold(units)
    assert state.version == 5 and set(state.releases) == {"1", "1.1", "2"}


async def test_only_the_events_after_the_kept_version_are_read(units):
    states = ProjectStates()
    await append(units, events.ProjectCreated(project_id="p1", name="demo", normalized_name="demo"))
    await current(units, states)
    await append(units, release("1.0"))
    async with units() as unit:
        loaded = []
        real_load = unit.load

        async def counting_load(stream, after_version=0):
            loaded.append(after_version)
            return await real_load(stream, after_version)

        unit.load = counting_load
        state = await states.current(unit, STREAM)
    assert loaded == [1] and state.releases == {"1": "1.0"}


async def test_an_empty_stream_has_no_state_and_the_oldest_state_is_dropped(units):
    states = ProjectStates(capacity=1)
    assert await current(units, states) is None
    await append(units, events.ProjectCreated(project_id="p1", name="demo", normalized_name="demo"))
    async with units() as unit:
        assert await states.current(unit, "project-other") is None
        assert (await states.current(unit, STREAM)).name == "demo"
    assert list(states._states) == [STREAM]
