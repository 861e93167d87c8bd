"""An index on log_entries(seq): retention deletes a trimmed stream's memberships by seq.

Revision ID: audit_0003
"""
from alembic import op

revision = "audit_0003"
down_revision = "audit_0002"
branch_labels = None
depends_on = None


def upgrade():
    # Without it each trimmed stream's DELETE scans every membership of every log.
    op.create_index("ix_log_entries_seq", "log_entries", ["seq"])


def downgrade():
    op.drop_index("ix_log_entries_seq", "log_entries")
