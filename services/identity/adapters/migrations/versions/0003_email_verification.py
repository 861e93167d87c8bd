"""Mailed e-mail verification links (hashes only), single use; an index for login rate limits.

Revision ID: identity_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "email_verifications",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False, index=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
        sa.Column("resent", sa.Boolean, nullable=False),
    )
    # Login rate limits count recent LoginFailed events at every login.
    op.create_index("ix_identity_events_type_time", "events", ["type", "occurred_at_us"])


def downgrade():
    op.drop_index("ix_identity_events_type_time", table_name="events")
    op.drop_table("email_verifications")
