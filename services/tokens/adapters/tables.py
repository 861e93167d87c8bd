"""The tokens database: the shared event store plus the token read model and sealed root keys."""

import sqlalchemy as sa

from gatehouse.eventstore.store import EventStore

metadata = sa.MetaData()
store = EventStore("tokens", metadata)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    # The issued caveat documents, a JSON array (the same text as TokenIssued.caveats_json).
    sa.Column("caveats_json", sa.Text, nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    sa.Column("last_used_at_us", sa.BigInteger, nullable=False),
    sa.Column("last_used_ip", sa.String(64), nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Column("revoked_at_us", sa.BigInteger, nullable=False),
)

# Root keys live apart from the metadata and never in events: deleting a row revokes the token
# (nothing can verify it any more) while its history stays in `tokens` and the event store.
root_keys = sa.Table(
    "root_keys",
    metadata,
    sa.Column("token_id", sa.String(36), primary_key=True),
    sa.Column("nonce", sa.LargeBinary, nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
)

# For a revoked token, in place of its root key: the first link of its signature chain (the HMAC
# of its identifier under the root key), sealed. It proves a presented secret genuine for
# introspection ("expired", "revoked": whose token it is) but cannot make the token valid again:
# verification needs the root key, which is gone.
retired_chain_keys = sa.Table(
    "retired_chain_keys",
    metadata,
    sa.Column("token_id", sa.String(36), primary_key=True),
    sa.Column("nonce", sa.LargeBinary, nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
)
