"""Indexes: log_entries(seq), as retention deletes a trimmed stream's memberships by seq;
security_events(actor_token_id, seq), for the token filter newest first.

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
    op.create_index("ix_security_events_token_seq", "security_events", ["actor_token_id", "seq"])


def downgrade():
    op.drop_index("ix_security_events_token_seq", "security_events")
    op.drop_index("ix_log_entries_seq", "log_entries")
