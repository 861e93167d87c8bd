"""The request id of the request that caused each event (events.actor_request_id).

Revision ID: uploads_0005
"""
from alembic import op

from gatehouse.eventstore.schema import add_request_id_column

revision = "uploads_0005"
down_revision = "uploads_0004"
branch_labels = None
depends_on = None


def upgrade():
    add_request_id_column(op)


def downgrade():
    op.drop_column("events", "actor_request_id")
