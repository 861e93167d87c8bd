"""Event store, users, credentials and sessions.

Revision ID: identity_0001
"""
import sqlalchemy as sa
from alembic import op

from gatehouse.eventstore.schema import create_event_store_tables

revision = "identity_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_event_store_tables(op)
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("username_key", sa.String(50), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False, unique=True),
        sa.Column("email_verified", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "credentials",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(32), nullable=False, unique=True),
        sa.Column("user_id", sa.String(36), nullable=False, index=True),
        sa.Column("second_factor_verified", sa.Boolean, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("last_seen_us", sa.BigInteger, nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
    )


def downgrade():
    for table in ("sessions", "credentials", "users", "processed_events", "outbox", "events"):
        op.drop_table(table)
