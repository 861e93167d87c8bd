"""When each session last re-entered its password (re-authentication, "sudo mode").

Revision ID: identity_0005
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0005"
# Re-point to identity_0004 when merged after the branch that adds it.
down_revision = "identity_0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("reauthenticated_at_us", sa.BigInteger, nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("reauthenticated_at_us")
