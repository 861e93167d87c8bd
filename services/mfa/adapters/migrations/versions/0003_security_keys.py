"""WebAuthn security keys and their outstanding challenges.

Revision ID: mfa_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "mfa_0003"
down_revision = "mfa_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "security_keys",
        sa.Column("key_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("credential_id", sa.String(1400), nullable=False, unique=True),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.BigInteger, nullable=False),
        sa.Column("passkey", sa.Boolean, nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_security_keys_user_id", "security_keys", ["user_id"])
    op.create_table(
        "webauthn_challenges",
        sa.Column("challenge", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
    )


def downgrade():
    op.drop_table("webauthn_challenges")
    op.drop_table("security_keys")
