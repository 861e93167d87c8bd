"""Event store and the second-factor read model.

Revision ID: mfa_0001
"""
import sqlalchemy as sa
from alembic import op

from gatehouse.eventstore.schema import create_event_store_tables

revision = "mfa_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_event_store_tables(op)
    op.create_table(
        "second_factors",
        sa.Column("factor_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("last_used_at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_second_factors_user_id", "second_factors", ["user_id"])


def downgrade():
    op.drop_index("ix_second_factors_user_id", "second_factors")
    for table in ("second_factors", "processed_events", "outbox", "events"):
        op.drop_table(table)
