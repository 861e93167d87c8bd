"""Engines and schema migrations for a service's own database (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gatehouse.eventstore.sqlite_inline import inline_connector

# Execution option marking an engine view whose transactions only read (see `reader`).
READ_ONLY = "gatehouse_read_only"
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def _with_driver(url: str, drivers: dict[str, str]) -> sa.URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    return parsed.set(drivername=drivers[backend])


def _use_immediate_transactions(engine: sa.Engine) -> None:
    # SQLite upgrades a read lock to a write lock lazily and fails at once when another
    # writer got there first; BEGIN IMMEDIATE makes writers wait for the lock instead (the
    # inline connections wait asleep on the event loop, see sqlite_inline).
    # A reader's transaction stays deferred: in WAL mode it reads the last committed snapshot
    # without taking the write lock, so readers and the writer never wait for each other.
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url` (plain `sqlite:///` or `postgresql://` URLs are accepted)."""
    async_url = _with_driver(url, _ASYNC_DRIVERS)
    if async_url.get_backend_name() == "sqlite":
        Path(async_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_url, async_creator=inline_connector(async_url.database))
        _use_immediate_transactions(engine.sync_engine)
        return engine
    return create_async_engine(async_url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def reader(engine: AsyncEngine) -> AsyncEngine:
    """A view of `engine` (same pool) for work that only reads. On SQLite its transactions
    neither take nor wait for the write lock; a write through it may fail at once with
    "database is locked" (OperationalError), so never write through it. On PostgreSQL it
    is the same as `engine`."""
    return engine.execution_options(**{READ_ONLY: True})


def ensure_database(url: str) -> None:
    """Creates the PostgreSQL database `url` names when it does not exist (no-op for SQLite)."""
    sync_url = _with_driver(url, _SYNC_DRIVERS)
    if sync_url.get_backend_name() != "postgresql":
        return
    name = sync_url.database
    admin = sa.create_engine(sync_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                try:
                    connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
                except sa.exc.ProgrammingError as error:
                    # Another replica created it between our check and our CREATE.
                    if "already exists" not in str(error):
                        raise
    finally:
        admin.dispose()


def migrate(url: str, migrations_dir: Path) -> None:
    """Applies the service's Alembic history (in `migrations_dir`) up to head."""
    ensure_database(url)
    sync_url = _with_driver(url, _SYNC_DRIVERS)
    if sync_url.get_backend_name() == "sqlite":
        Path(sync_url.database).parent.mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["url"] = sync_url
    command.upgrade(config, "head")
