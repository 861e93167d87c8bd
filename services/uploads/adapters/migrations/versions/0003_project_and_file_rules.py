"""Folded project names and creators (similar names, creation rate) and the registry of used filenames.

Revision ID: uploads_0003
"""
import sqlalchemy as sa
from alembic import op


# names.fold_confusable as of this revision (a migration must not change when the domain does).
_CONFUSABLE = str.maketrans({".": None, "_": None, "-": None, "l": "1", "i": "1", "o": "0"})
revision = "uploads_0003"
down_revision = "uploads_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("folded_name", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("created_by_user_id", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("created_from_ip", sa.String(64), nullable=False, server_default=""))
    projects = sa.table("projects", sa.column("project_id"), sa.column("name"), sa.column("folded_name"))
    connection = op.get_bind()
    for project_id, name in connection.execute(sa.select(projects.c.project_id, projects.c.name)).all():
        connection.execute(sa.update(projects).where(projects.c.project_id == project_id)
                           .values(folded_name=name.lower().translate(_CONFUSABLE)))
    op.create_index("ix_projects_folded_name", "projects", ["folded_name"])
    op.create_index("ix_projects_creator", "projects", ["created_by_user_id", "created_at_us"])
    op.create_index("ix_projects_creator_ip", "projects", ["created_from_ip", "created_at_us"])
    op.create_table(
        "used_filenames",
        sa.Column("filename", sa.String(255), primary_key=True),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("first_used_at_us", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO used_filenames (filename, project_id, first_used_at_us) "
               "SELECT filename, project_id, upload_time_us FROM files")


def downgrade():
    op.drop_table("used_filenames")
    for index in ("ix_projects_creator_ip", "ix_projects_creator", "ix_projects_folded_name"):
        op.drop_index(index, table_name="projects")
    with op.batch_alter_table("projects") as batch:
        for column in ("created_from_ip", "created_by_user_id", "folded_name"):
            batch.drop_column(column)
