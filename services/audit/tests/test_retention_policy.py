"""Retention per log kind: the settings, the job, and chains that still verify after trimming."""

import asyncio

import pytest
import sqlalchemy as sa

from services.audit.adapters.tables import security_events
from services.audit.application.handlers import verify
from services.audit.domain.retention import DAY_US, RetentionPolicy, kind_of_stream
from services.audit.entrypoints.retention_job import RetentionJob, retention_days, retention_policy
from services.audit.tests.test_retention_and_devices import START, _project_days, engine  # noqa: F401

NOW = START + 4 * DAY_US


async def _streams_left(engine) -> dict[str, int]:  # noqa: F811
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(security_events.c.stream, sa.func.count()).group_by(security_events.c.stream))
        return dict(rows.all())


def test_unset_retention_keeps_everything():
    assert retention_days({}) == 0
    policy = retention_policy({})
    assert policy.keeps_everything and policy.cutoffs(NOW) == {}


def test_per_kind_variables_override_the_default():
    policy = retention_policy({
        "GATEHOUSE_AUDIT_RETENTION_DAYS": "30", "GATEHOUSE_AUDIT_RETENTION_DAYS_PROJECT": "365",
        "GATEHOUSE_AUDIT_RETENTION_DAYS_IP": "0",
    })
    assert (policy.days_for("user"), policy.days_for("project"), policy.days_for("ip")) == (30, 365, 0)
    assert set(policy.cutoffs(NOW)) == {"user", "project"}


@pytest.mark.parametrize("value", ["-1", "a week"])
def test_a_bad_retention_value_is_refused_with_its_name(value):
    with pytest.raises(ValueError, match="GATEHOUSE_AUDIT_RETENTION_DAYS_USER"):
        retention_policy({"GATEHOUSE_AUDIT_RETENTION_DAYS_USER": value})


def test_a_stream_kind_comes_from_its_name():
    assert [kind_of_stream(s) for s in ("user-u1", "token-t1", "project-p1", "ip-ab12")] == [
        "user", "user", "project", "ip"]


async def test_the_job_trims_past_retention_and_the_chains_still_verify(engine):  # noqa: F811
    await _project_days(engine, 4)
    before = await _streams_left(engine)
    removed = await RetentionJob(engine, RetentionPolicy(2)).run_once(NOW)
    after = await _streams_left(engine)
    assert removed == sum(before.values()) // 2
    assert after == {stream: count // 2 for stream, count in before.items()}
    assert await verify(engine) is None


async def test_a_project_override_keeps_project_streams_longer(engine):  # noqa: F811
    await _project_days(engine, 4)
    before = await _streams_left(engine)
    policy = RetentionPolicy(1, {"project": 0})
    await RetentionJob(engine, policy).run_once(NOW + DAY_US)
    after = await _streams_left(engine)
    # user streams are trimmed whole (their retention marks keep them verifiable)
    assert after == {stream: count for stream, count in before.items() if stream.startswith("project-")}
    assert await verify(engine) is None


async def test_a_job_whose_policy_keeps_everything_returns_at_once(engine):  # noqa: F811
    await _project_days(engine, 1)
    before = await _streams_left(engine)
    await asyncio.wait_for(RetentionJob(engine, RetentionPolicy(), interval=0.01).run(), timeout=2)
    assert await _streams_left(engine) == before


async def test_after_retention_a_deleted_newest_event_is_still_found(engine):  # noqa: F811
    await _project_days(engine, 3)
    await RetentionJob(engine, RetentionPolicy(1)).run_once(START + 3 * DAY_US)
    async with engine.begin() as connection:
        newest = sa.select(sa.func.max(security_events.c.version)).where(security_events.c.stream == "token-t1")
        await connection.execute(sa.delete(security_events).where(
            security_events.c.stream == "token-t1", security_events.c.version == newest.scalar_subquery()))
    found = await verify(engine)
    assert found is not None and found.stream == "token-t1" and "missing" in found.problem
