"""Sessions remember which second factor their second step used (project policies read it).

Revision ID: identity_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade():
    # Sessions opened before this column existed show "" (unknown): not phishing-resistant.
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("second_factor_method", sa.String(16), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("second_factor_method")
