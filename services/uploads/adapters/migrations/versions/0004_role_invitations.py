"""Pending role invitations, and an index for a user's roles (the "my projects" page).

Revision ID: uploads_0004
"""
import sqlalchemy as sa
from alembic import op

revision = "uploads_0004"
down_revision = "uploads_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "role_invitations",
        sa.Column("invitation_id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), nullable=False, index=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("invited_by_username", sa.String(100), nullable=False),
        sa.Column("created_at_us", sa.BigInteger, nullable=False),
        sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_roles_user_id", "roles", ["user_id"])


def downgrade():
    op.drop_index("ix_roles_user_id", table_name="roles")
    op.drop_table("role_invitations")
