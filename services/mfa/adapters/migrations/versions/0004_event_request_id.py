"""The request id of the request that caused each event (events.actor_request_id).

Revision ID: mfa_0004
"""
from alembic import op

from gatehouse.eventstore.schema import add_request_id_column

revision = "mfa_0004"
down_revision = "mfa_0003"
branch_labels = None
depends_on = None


def upgrade():
    add_request_id_column(op)


def downgrade():
    op.drop_column("events", "actor_request_id")
