"""Fixtures: a real temporary SQLite database, a file store in tmp_path and a fake tokens service."""

from __future__ import annotations

import pytest

from gatehouse.eventstore.database import create_engine, migrate
from gatehouse.eventstore.unit_of_work import UnitOfWorkFactory
from services.uploads.adapters.storage import LocalFileStore
from services.uploads.adapters.tables import store
from services.uploads.adapters.tokens_client import Verification
from services.uploads.application.handlers import Dependencies
from services.uploads.bootstrap import MIGRATIONS
from services.uploads.domain.model import Uploader

ORIGIN = "https://index.example"
ALICE = Uploader(user_id="u-alice", username="alice", token_id="t-alice")
BOB = Uploader(user_id="u-bob", username="bob", token_id="t-bob")


class FakeTokens:
    """A TokenVerifier answering from a dict of token -> Uploader; records each operation."""

    def __init__(self):
        self.uploaders = {"good-token": ALICE, "bob-token": BOB}
        self.operations = []
        self.deferred = []

    async def verify(self, token, operation, context, defer_consumption=False):
        self.operations.append(operation)
        self.deferred.append(defer_consumption)
        uploader = self.uploaders.get(token)
        if uploader is None:
            return Verification(valid=False, reason="Invalid API Token: the token is not known.")
        return Verification(valid=True, uploader=uploader)


@pytest.fixture
async def units(tmp_path):
    url = f"sqlite:///{tmp_path / 'uploads.db'}"
    migrate(url, MIGRATIONS)
    engine = create_engine(url)
    yield UnitOfWorkFactory(engine, store, on_commit=lambda: None)
    await engine.dispose()


@pytest.fixture
def tokens():
    return FakeTokens()


@pytest.fixture
def deps(units, tokens, tmp_path):
    return Dependencies(units=units, tokens=tokens, files=LocalFileStore(tmp_path / "files"),
                        origin=ORIGIN, max_file_size=64 * 1024)
