"""The instance stores its data where it was told: SQLite files, or one PostgreSQL database per service."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.settings import SERVICES


def test_each_service_has_its_own_database_on_the_chosen_backend(gatehouse, alice):
    sqlite_files = {service: (gatehouse.data_dir / f"{service}.db").exists() for service in SERVICES}
    if not gatehouse.database_url:
        assert all(sqlite_files.values()), sqlite_files
        return
    assert not any(sqlite_files.values()), sqlite_files
    base, _, name = gatehouse.database_url.rpartition("/")
    engine = sa.create_engine(f"{base}/{name}_identity".replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        users = connection.execute(sa.text("SELECT username FROM users")).scalars().all()
        streams = connection.execute(sa.text("SELECT count(*) FROM events")).scalar()
    engine.dispose()
    assert "alice" in users and streams > 0
