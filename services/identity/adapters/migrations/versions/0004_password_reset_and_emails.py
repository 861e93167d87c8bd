"""Password reset links (hashes only) and requests (for rate limits); addresses besides the primary.

Revision ID: identity_0004
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0004"
down_revision = "identity_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_resets",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False, index=True),
        sa.Column("password_fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "password_reset_requests",
        sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ip_address", sa.String(64), nullable=False, index=True),
        sa.Column("requested_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "user_emails",
        sa.Column("email_key", sa.String(254), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False, index=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("added_at_us", sa.BigInteger, nullable=False),
    )


def downgrade():
    op.drop_table("user_emails")
    op.drop_table("password_reset_requests")
    op.drop_table("password_resets")
