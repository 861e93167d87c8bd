"""The mfa database: the shared event store plus the second-factor read model."""

import sqlalchemy as sa

from gatehouse.eventstore.store import EventStore

metadata = sa.MetaData()
store = EventStore("mfa", metadata)

# One row per enrolled factor. The secrets (TOTP seeds, WebAuthn public keys, recovery-code
# hashes) get their own tables with the MFA issue; this is what login needs to know.
second_factors = sa.Table(
    "second_factors",
    metadata,
    sa.Column("factor_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("last_used_at_us", sa.BigInteger, nullable=False),
)
