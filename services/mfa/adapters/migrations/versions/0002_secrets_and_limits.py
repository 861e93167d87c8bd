"""TOTP secrets (sealed), pending enrolments, recovery-code hashes and second-step failures.

Revision ID: mfa_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "mfa_0002"
down_revision = "mfa_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "totp_secrets",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("factor_id", sa.String(36), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary, nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pending_totp",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("sealed_secret", sa.LargeBinary, nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("code_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.Text, nullable=False),
        sa.Column("used_at_us", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "second_step_failures",
        sa.Column("failure_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("address_key", sa.String(64), nullable=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_second_step_failures_user_id", "second_step_failures", ["user_id"])
    op.create_index("ix_second_step_failures_address_key", "second_step_failures", ["address_key"])


def downgrade():
    for table in ("second_step_failures", "recovery_codes", "pending_totp", "totp_secrets"):
        op.drop_table(table)
