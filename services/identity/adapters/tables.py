"""The identity database: the shared event store plus its read models and secrets."""

import sqlalchemy as sa

from gatehouse.eventstore.store import EventStore

metadata = sa.MetaData()
store = EventStore("identity", metadata)

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("username", sa.String(50), nullable=False),
    sa.Column("username_key", sa.String(50), nullable=False, unique=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("email_key", sa.String(254), nullable=False, unique=True),
    sa.Column("email_verified", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
)

# Password hashes are kept out of events: events travel to NATS and the audit log.
credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    # SHA-256 of the random session id: a database dump cannot be replayed as cookies.
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("session_id", sa.String(32), nullable=False, unique=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    sa.Column("second_factor_verified", sa.Boolean, nullable=False),
    # "totp", "webauthn", "recovery_code", "passkey", or "" before (or without) a second step.
    sa.Column("second_factor_method", sa.String(16), nullable=False, server_default=""),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("last_seen_us", sa.BigInteger, nullable=False),
    sa.Column("ip_address", sa.String(64), nullable=False),
    sa.Column("user_agent", sa.Text, nullable=False),
    # When the user last re-entered their password in this session (0: never); migration 0005.
    sa.Column("reauthenticated_at_us", sa.BigInteger, nullable=False, server_default="0"),
    # New-device check: the second step passed from an unknown IP; waiting for the mailed link.
    sa.Column("new_device_held", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Links mailed to confirm an address: only the SHA-256 of each token's random id is kept.
# A row is deleted when its link is used, so a link works once.
email_verifications = sa.Table(
    "email_verifications",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    # True for a link the user asked for again (these are rate limited), False at registration.
    sa.Column("resent", sa.Boolean, nullable=False),
)

# Mailed password reset links: only the SHA-256 of each token's random id. A link is bound to
# the password it would replace (a fingerprint of its hash), so any password change voids it.
password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    sa.Column("password_fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
)

# Every reset request, known account or not, for the per-IP limit (no user is named: the table
# must not tell which requests matched an account).
password_reset_requests = sa.Table(
    "password_reset_requests",
    metadata,
    sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ip_address", sa.String(64), nullable=False, index=True),
    sa.Column("requested_at_us", sa.BigInteger, nullable=False),
)

# Addresses besides the primary one (which stays in `users`); unique across all accounts.
user_emails = sa.Table(
    "user_emails",
    metadata,
    sa.Column("email_key", sa.String(254), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("verified", sa.Boolean, nullable=False),
    sa.Column("added_at_us", sa.BigInteger, nullable=False),
)

# IPs each account completed a login from (or registered from): the new-device check's memory.
# A read model written with the events of those moments (migration 0006).
known_login_ips = sa.Table(
    "known_login_ips",
    metadata,
    sa.Column("user_id", sa.String(36), primary_key=True),
    sa.Column("ip_address", sa.String(64), primary_key=True),
    sa.Column("first_seen_us", sa.BigInteger, nullable=False),
)

# One pending new-device confirmation per held session; only the SHA-256 of the link's id.
new_device_confirmations = sa.Table(
    "new_device_confirmations",
    metadata,
    sa.Column("session_id_hash", sa.String(64), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    sa.Column("session_id", sa.String(32), nullable=False),
    sa.Column("ip_address", sa.String(64), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    sa.Column("mails_sent", sa.Integer, nullable=False),
    sa.Column("last_sent_us", sa.BigInteger, nullable=False),
)

# Account recoveries (operator-started); the due ones are completed by identity's scheduler.
account_recoveries = sa.Table(
    "account_recoveries",
    metadata,
    sa.Column("recovery_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(36), nullable=False, index=True),
    # "started", "confirmed", "cancelled" or "completed".
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("started_at_us", sa.BigInteger, nullable=False),
    sa.Column("due_at_us", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("ended_at_us", sa.BigInteger, nullable=False, server_default="0"),
)

# The mailed links of a recovery (one identity link, a cancel link per mail); SHA-256 only.
recovery_links = sa.Table(
    "recovery_links",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("recovery_id", sa.String(36), nullable=False, index=True),
    # "confirm" or "cancel".
    sa.Column("purpose", sa.String(8), nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
)

# Login rate limits count recent LoginFailed events (per stream, per IP and overall) at every login.
sa.Index("ix_identity_events_type_time", store.events.c.type, store.events.c.occurred_at_us)
