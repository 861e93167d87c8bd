"""Event store tables (for consumer tracking) and the security-log projection.

Revision ID: audit_0001
"""
import sqlalchemy as sa
from alembic import op

from gatehouse.eventstore.schema import create_event_store_tables

revision = "audit_0001"
down_revision = None
branch_labels = None
depends_on = None

# Written out rather than imported from tables.py: a migration is a frozen record.
Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _create_security_events():
    op.create_table(
        "security_events",
        sa.Column("seq", Position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("tag", sa.String(150), nullable=False, index=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("occurred_at_us", sa.BigInteger, nullable=False, index=True),
        sa.Column("actor_user_id", sa.String(64), nullable=False),
        sa.Column("actor_username", sa.String(100), nullable=False),
        sa.Column("actor_token_id", sa.String(64), nullable=False),
        sa.Column("actor_ip", sa.String(64), nullable=False, index=True),
        sa.Column("actor_user_agent", sa.Text, nullable=False),
        sa.Column("subject_user_id", sa.String(64), nullable=False),
        sa.Column("subject_username", sa.String(100), nullable=False),
        sa.Column("subject_project", sa.String(200), nullable=False),
        sa.Column("subject_project_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("additional", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("chain_ok", sa.Boolean, nullable=False),
        sa.Index("ix_security_events_stream", "service", "stream", "version"),
    )


def upgrade():
    create_event_store_tables(op)
    _create_security_events()
    op.create_table(
        "log_entries",
        sa.Column("log_key", sa.String(250), primary_key=True),
        sa.Column("seq", Position, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "audit_users",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("username_key", sa.String(100), nullable=False, index=True),
    )
    op.create_table(
        "chain_heads",
        sa.Column("service", sa.String(32), primary_key=True),
        sa.Column("stream", sa.String(200), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade():
    for table in ("chain_heads", "audit_users", "log_entries", "security_events"):
        op.drop_table(table)
    for table in ("processed_events", "outbox", "events"):
        op.drop_table(table)
