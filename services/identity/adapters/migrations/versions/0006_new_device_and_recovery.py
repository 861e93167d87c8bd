"""New-device check (known login IPs, held sessions, their mailed links) and account recovery.

Revision ID: identity_0006
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0006"
down_revision = "identity_0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("new_device_held", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "known_login_ips",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("ip_address", sa.String(64), primary_key=True),
        sa.Column("first_seen_us", sa.BigInteger, nullable=False),
    )
    # Accounts logged in before this revision keep the IPs of their live verified sessions.
    op.execute(
        "INSERT INTO known_login_ips (user_id, ip_address, first_seen_us) "
        "SELECT user_id, ip_address, MIN(created_at_us) FROM sessions "
        "WHERE second_factor_verified AND ip_address <> '' GROUP BY user_id, ip_address"
    )
    op.create_table(
        "new_device_confirmations",
        sa.Column("session_id_hash", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.String(36), nullable=False, index=True),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
        sa.Column("mails_sent", sa.Integer, nullable=False),
        sa.Column("last_sent_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "account_recoveries",
        sa.Column("recovery_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False, index=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at_us", sa.BigInteger, nullable=False),
            sa.Column("due_at_us", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("ended_at_us", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "recovery_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("recovery_id", sa.String(36), nullable=False, index=True),
        sa.Column("purpose", sa.String(8), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    )


def downgrade():
    op.drop_table("recovery_links")
    op.drop_table("account_recoveries")
    op.drop_table("new_device_confirmations")
    op.drop_table("known_login_ips")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("new_device_held")
