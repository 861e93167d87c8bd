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

# Secrets live outside events. TOTP seeds are AES-GCM ciphertext (key from configuration), so a
# dump of this database alone cannot produce codes.
totp_secrets = sa.Table(
    "totp_secrets",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("factor_id", sa.String(36), nullable=False),
    sa.Column("sealed_secret", sa.LargeBinary, nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
)

# An enrolment started but not yet confirmed with a code (replaced by a newer start).
pending_totp = sa.Table(
    "pending_totp",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("sealed_secret", sa.LargeBinary, nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
)

# argon2 hashes of the current set; a used code keeps its row (used_at_us) so reuse is named.
recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    sa.Column("code_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("code_hash", sa.Text, nullable=False),
    sa.Column("used_at_us", sa.BigInteger, nullable=True),
)

# Failed second steps, for the rate limits (client addresses only as keyed hashes).
second_step_failures = sa.Table(
    "second_step_failures",
    metadata,
    sa.Column("failure_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("address_key", sa.String(64), nullable=False, index=True),
    sa.Column("at_us", sa.BigInteger, nullable=False),
)

# WebAuthn credentials: public keys only (nothing here can sign), one row per security key.
security_keys = sa.Table(
    "security_keys",
    metadata,
    sa.Column("key_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("credential_id", sa.String(1400), nullable=False, unique=True),
    sa.Column("label", sa.String(64), nullable=False),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("sign_count", sa.BigInteger, nullable=False),
    sa.Column("passkey", sa.Boolean, nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
)

# Outstanding WebAuthn challenges: deleted when used, refused after 5 minutes.
webauthn_challenges = sa.Table(
    "webauthn_challenges",
    metadata,
    sa.Column("challenge", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("label", sa.String(64), nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
)
