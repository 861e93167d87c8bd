"""The body of every service's Alembic env.py, written once."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context


def run_env(metadata: sa.MetaData) -> None:
    """Runs the current Alembic command online against the URL `migrate` put in the config."""
    url = context.config.attributes["url"]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
