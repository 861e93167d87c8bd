"""An (IP, seq) index, retention marks (where each stream's kept part begins) and parked (unprojectable) messages.

Revision ID: audit_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

Position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    # An IP's log (operators' `audit query --ip`) newest first is then a range scan.
    op.create_index("ix_security_events_ip_seq", "security_events", ["actor_ip", "seq"])
    op.create_table(
        "retention_marks",
        sa.Column("service", sa.String(32), primary_key=True),
        sa.Column("stream", sa.String(200), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "parked_events",
        sa.Column("id", Position, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(250), nullable=False),
        sa.Column("stream_sequence", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("parked_at_us", sa.BigInteger, nullable=False),
    )


def downgrade():
    op.drop_table("parked_events")
    op.drop_table("retention_marks")
    op.drop_index("ix_security_events_ip_seq", "security_events")
