"""The request id of the request that caused each event (events.actor_request_id).

Revision ID: tokens_0003
"""
from alembic import op

from gatehouse.eventstore.schema import add_request_id_column

revision = "tokens_0003"
down_revision = "tokens_0002"
branch_labels = None
depends_on = None


def upgrade():
    add_request_id_column(op)


def downgrade():
    op.drop_column("events", "actor_request_id")
