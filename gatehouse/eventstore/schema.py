"""The tables every service's database has: the event store, its outbox, and consumer tracking.

Each service adds these to its own MetaData (`add_event_store_tables`) and creates them in its
first Alembic migration (`create_event_store_tables`), so the layout is written once.
"""

from __future__ import annotations

import sqlalchemy as sa

# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL wants a 64-bit identity.
Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _event_columns(later_additions: bool = True) -> list[sa.SchemaItem]:
    # The first migrations create the original layout; later columns come with their own
    # migration (add_request_id_column), so `later_additions` is False there.
    later = [_request_id_column()] if later_additions else []
    return [
        sa.Column("position", Position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("occurred_at_us", sa.BigInteger, nullable=False),
        sa.Column("actor_user_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("actor_username", sa.String(100), nullable=False, server_default=""),
        sa.Column("actor_token_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("actor_ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("actor_user_agent", sa.Text, nullable=False, server_default=""),
        *later,
        sa.Column("subject_user_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("subject_username", sa.String(100), nullable=False, server_default=""),
        sa.Column("subject_project", sa.String(200), nullable=False, server_default=""),
        sa.Column("subject_project_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        # The optimistic-concurrency check: two writers cannot both append version N.
        sa.UniqueConstraint("stream", "version", name="uq_events_stream_version"),
    ]


def _request_id_column() -> sa.Column:
    return sa.Column("actor_request_id", sa.String(64), nullable=False, server_default="")


def add_request_id_column(op) -> None:
    """Adds `events.actor_request_id` to a database created before it existed (Alembic)."""
    op.add_column("events", _request_id_column())


def _outbox_columns() -> list[sa.SchemaItem]:
    # A row per event not yet acknowledged by JetStream; deleted once it is.
    return [sa.Column("position", Position, primary_key=True, autoincrement=False)]


def _processed_columns() -> list[sa.SchemaItem]:
    return [
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
    ]


def add_event_store_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    """Declares `events`, `outbox` and `processed_events` on `metadata`."""
    return (
        sa.Table("events", metadata, *_event_columns()),
        sa.Table("outbox", metadata, *_outbox_columns()),
        sa.Table("processed_events", metadata, *_processed_columns()),
    )


def create_event_store_tables(op) -> None:
    """Creates the shared tables from inside an Alembic migration."""
    op.create_table("events", *_event_columns(later_additions=False))
    op.create_index("ix_events_stream", "events", ["stream", "version"])
    op.create_table("outbox", *_outbox_columns())
    op.create_table("processed_events", *_processed_columns())
