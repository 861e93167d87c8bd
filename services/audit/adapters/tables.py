"""The audit database: a projection of the event stream, rebuilt at will by replaying it.

The shared event-store tables exist too: `processed_events` is the consumer's tracking table;
`events` and `outbox` stay empty because the audit service records no events of its own.
"""

import sqlalchemy as sa

from gatehouse.eventstore.schema import Position
from gatehouse.eventstore.store import EventStore

metadata = sa.MetaData()
store = EventStore("audit", metadata)

security_events = sa.Table(
    "security_events",
    metadata,
    # Local projection order: "newest first" and cursors are by seq.
    sa.Column("seq", Position, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("tag", sa.String(150), nullable=False, index=True),
    sa.Column("service", sa.String(32), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("stream", sa.String(200), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("occurred_at_us", sa.BigInteger, nullable=False, index=True),
    sa.Column("actor_user_id", sa.String(64), nullable=False),
    sa.Column("actor_username", sa.String(100), nullable=False),
    sa.Column("actor_token_id", sa.String(64), nullable=False),
    sa.Column("actor_ip", sa.String(64), nullable=False, index=True),
    sa.Column("actor_user_agent", sa.Text, nullable=False),
    sa.Column("subject_user_id", sa.String(64), nullable=False),
    sa.Column("subject_username", sa.String(100), nullable=False),
    sa.Column("subject_project", sa.String(200), nullable=False),
    sa.Column("subject_project_id", sa.String(64), nullable=False),
    # The raw payload, so that verify can recompute the hash; `additional` is its JSON.
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("additional", sa.Text, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("chain_ok", sa.Boolean, nullable=False),
    sa.Index("ix_security_events_stream", "service", "stream", "version"),
    sa.Index("ix_security_events_ip_seq", "actor_ip", "seq"),
    sa.Index("ix_security_events_token_seq", "actor_token_id", "seq"),
)

# One row per (log, event): a log page is a range scan of this primary key.
log_entries = sa.Table(
    "log_entries",
    metadata,
    sa.Column("log_key", sa.String(250), primary_key=True),
    sa.Column("seq", Position, primary_key=True, autoincrement=False),
    # Retention removes a trimmed stream's memberships by seq.
    sa.Index("ix_log_entries_seq", "seq"),
)

# username -> user_id, so that a user log can be asked for by name.
audit_users = sa.Table(
    "audit_users",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("username_key", sa.String(100), nullable=False, index=True),
)

# The last projected event of each stream, for the chain check while projecting.
chain_heads = sa.Table(
    "chain_heads",
    metadata,
    sa.Column("service", sa.String(32), primary_key=True),
    sa.Column("stream", sa.String(200), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Where each stream's kept part begins once retention removed older rows: verify starts the
# stream's chain from this (version, hash) instead of from the genesis hash.
retention_marks = sa.Table(
    "retention_marks",
    metadata,
    sa.Column("service", sa.String(32), primary_key=True),
    sa.Column("stream", sa.String(200), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Messages the projector could not handle after several deliveries, acknowledged so that
# they do not hold the consumer back; kept whole for an operator to look at.
parked_events = sa.Table(
    "parked_events",
    metadata,
    sa.Column("id", Position, primary_key=True, autoincrement=True),
    sa.Column("consumer", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(250), nullable=False),
    sa.Column("stream_sequence", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("parked_at_us", sa.BigInteger, nullable=False),
)
