"""Fixtures starting real NATS, real services (through the supervisor) and a real database.

With GATEHOUSE_TEST_DATABASE_URL set (as .ci/run does) every instance uses fresh PostgreSQL
databases, dropped afterwards; otherwise SQLite files in the test's temporary directory.
"""

from __future__ import annotations

import os

import pytest
import requests

from tests.integration.flow import Maintainer
from tests.integration.harness import Gatehouse, NatsServer, drop_postgres_databases, postgres_base_url

pytestmark = pytest.mark.integration


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="module")
def nats(tmp_path_factory):
    server = NatsServer(tmp_path_factory.mktemp("nats") / "store")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gatehouse(tmp_path_factory, nats):
    database_url = postgres_base_url()
    instance = Gatehouse(tmp_path_factory.mktemp("gatehouse") / "data", nats.url, database_url)
    instance.start()
    yield instance
    instance.stop()
    if database_url:
        drop_postgres_databases(database_url)


@pytest.fixture(scope="module")
def alice(gatehouse) -> Maintainer:
    """A verified user, created with the operator command, logged in over the JSON API."""
    maintainer = Maintainer(gatehouse, "alice", "alice@example.org", "correct-horse-battery-staple-42")
    maintainer.create_with_cli()
    maintainer.log_in()
    return maintainer


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
