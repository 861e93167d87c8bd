"""Event store, projects, roles, releases and files.

Revision ID: uploads_0001
"""
import sqlalchemy as sa
from alembic import op

from gatehouse.eventstore.schema import create_event_store_tables

revision = "uploads_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_event_store_tables(op)
    op.create_table(
        "projects",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("normalized_name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "roles",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
    )
    op.create_table(
        "releases",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("release_key", sa.String(100), primary_key=True),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("requires_python", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "files",
        sa.Column("filename", sa.String(255), primary_key=True),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("packagetype", sa.String(20), nullable=False),
        sa.Column("python_version", sa.String(100), nullable=False),
        sa.Column("path", sa.String(400), nullable=False, unique=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("blake2_256", sa.String(64), nullable=False, unique=True),
        sa.Column("requires_python", sa.Text, nullable=False),
        sa.Column("metadata_sha256", sa.String(64), nullable=False),
        sa.Column("upload_time_us", sa.BigInteger, nullable=False),
        sa.Column("yanked", sa.Boolean, nullable=False),
        sa.Column("yanked_reason", sa.Text, nullable=False),
    )
    op.create_index("ix_files_project_id", "files", ["project_id"])


def downgrade():
    for table in ("files", "releases", "roles", "projects", "processed_events", "outbox", "events"):
        op.drop_table(table)
