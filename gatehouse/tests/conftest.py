import pytest

from gatehouse.eventstore.database import create_engine, migrate
from gatehouse.eventstore.store import EventStore
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from services.identity.adapters.tables import metadata, store as identity_store
from services.identity.bootstrap import MIGRATIONS


@pytest.fixture
async def engine(tmp_path):
    """A migrated SQLite database with the shared event-store tables (the identity schema)."""
    url = f"sqlite:///{tmp_path / 'events.db'}"
    migrate(url, MIGRATIONS)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def store() -> EventStore:
    return identity_store


@pytest.fixture
def units(engine, store):
    woken = []
    factory = UnitOfWorkFactory(engine, store, on_commit=lambda: woken.append(1))
    factory.woken = woken
    return factory
