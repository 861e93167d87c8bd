"""Staged releases and yanking: a file's status (published, staged, discarded) and a release's
yanked flag and reason.

Revision ID: uploads_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "uploads_0002"
down_revision = "uploads_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="published"))
        batch.create_index("ix_files_project_status", ["project_id", "status"])
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("yanked", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("yanked_reason", sa.Text, nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("yanked_reason")
        batch.drop_column("yanked")
    with op.batch_alter_table("files") as batch:
        batch.drop_index("ix_files_project_status")
        batch.drop_column("status")
