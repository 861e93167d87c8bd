"""Event store, token read model and sealed root keys.

Revision ID: tokens_0001
"""
import sqlalchemy as sa
from alembic import op

from gatehouse.eventstore.schema import create_event_store_tables

revision = "tokens_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_event_store_tables(op)
    op.create_table(
        "tokens",
        sa.Column("token_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("caveats_json", sa.Text, nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
        sa.Column("last_used_at_us", sa.BigInteger, nullable=False),
        sa.Column("last_used_ip", sa.String(64), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("revoked_at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])
    op.create_table(
        "root_keys",
        sa.Column("token_id", sa.String(36), primary_key=True),
        sa.Column("nonce", sa.LargeBinary, nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    )


def downgrade():
    op.drop_table("root_keys")
    op.drop_index("ix_tokens_user_id", "tokens")
    for table in ("tokens", "processed_events", "outbox", "events"):
        op.drop_table(table)
