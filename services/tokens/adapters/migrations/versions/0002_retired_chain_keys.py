"""Sealed chain keys of revoked tokens (introspection can tell a revoked token is genuine).

Revision ID: tokens_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "tokens_0002"
down_revision = "tokens_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retired_chain_keys",
        sa.Column("token_id", sa.String(36), primary_key=True),
        sa.Column("nonce", sa.LargeBinary, nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    )


def downgrade():
    op.drop_table("retired_chain_keys")
