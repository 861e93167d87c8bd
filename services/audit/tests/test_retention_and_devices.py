"""Retention removes old rows but keeps the chains verifiable; user agents in words."""

import pytest
import sqlalchemy as sa

from gatehouse.eventstore.database import create_engine, migrate
from services.audit.adapters.tables import log_entries, retention_marks, security_events
from services.audit.application.handlers import verify
from services.audit.application.integrity import apply_retention
from services.audit.application.projector import project_envelope
from services.audit.bootstrap import MIGRATIONS
from services.audit.domain.devices import describe
from services.audit.domain.retention import DAY_US, RetentionPolicy
from services.audit.tests.factories import Chains, actor, sample_events

START = 1_700_000_000_000_000


@pytest.fixture
async def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate(url, MIGRATIONS)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


async def _project_days(engine, days: int) -> None:
    """The sample events again and again, one round a day, on the same streams."""
    chains = Chains(start_us=START)
    for day in range(days):
        chains._clock = iter(range(START + day * DAY_US, START + (day + 1) * DAY_US, 1_000_000))
        for service, stream, event, subjects in sample_events().values():
            async with engine.begin() as connection:
                await project_envelope(connection, chains.next(service, stream, event, actor(), subjects))


async def _count(engine, table) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(sa.func.count()).select_from(table))).scalar()


async def test_retention_trims_old_rows_and_the_chain_still_verifies(engine):
    await _project_days(engine, 4)
    per_day = len(sample_events())
    removed = await apply_retention(engine, RetentionPolicy(2), now=START + 4 * DAY_US)
    assert removed == 2 * per_day
    assert await _count(engine, security_events) == 2 * per_day
    assert await _count(engine, retention_marks) > 0
    async with engine.connect() as connection:
        orphans = await connection.execute(
            sa.select(sa.func.count()).select_from(log_entries).where(
                log_entries.c.seq.not_in(sa.select(security_events.c.seq))
            )
        )
        assert orphans.scalar() == 0
    assert await verify(engine) is None


async def test_after_retention_an_edited_kept_row_is_still_found(engine):
    await _project_days(engine, 3)
    await apply_retention(engine, RetentionPolicy(1), now=START + 3 * DAY_US)
    async with engine.begin() as connection:
        victim = (await connection.execute(sa.select(security_events.c.event_id).limit(1))).scalar()
        await connection.execute(
            sa.update(security_events).where(security_events.c.event_id == victim).values(actor_ip="10.0.0.66")
        )
    found = await verify(engine)
    assert found is not None and found.event_id == victim


async def test_no_retention_configured_keeps_everything(engine):
    await _project_days(engine, 2)
    assert await apply_retention(engine, RetentionPolicy()) == 0
    assert await _count(engine, security_events) == 2 * len(sample_events())


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        ('pip/24.0 {"installer":{"name":"pip","version":"24.0"},"system":{"name":"Linux"}}', "pip 24.0 on Linux"),
        ("twine/5.1.1 importlib-metadata/7.0 requests/2.31.0 CPython/3.11.4", "twine 5.1.1"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox on Linux"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15", "Safari on macOS"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36 Edg/124.0", "Edge on Windows"),
        ("gatehouse-cli/0.1", "gatehouse-cli 0.1"),
        ("", ""),
    ],
)
def test_user_agents_are_described_in_words(user_agent, words):
    assert describe(user_agent) == words
