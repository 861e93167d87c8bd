"""The uploads database: the shared event store plus the read models the Simple API serves."""

import sqlalchemy as sa

from gatehouse.eventstore.store import EventStore

metadata = sa.MetaData()
store = EventStore("uploads", metadata)

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("project_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # Unique: two uploads racing to create one project cannot both succeed.
    sa.Column("normalized_name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    # names.fold_confusable(name): a new name folding like an existing one is too similar.
    sa.Column("folded_name", sa.String(200), nullable=False, server_default="", index=True),
    # Who created it and from where: project creation is rate limited per user and per address.
    sa.Column("created_by_user_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_from_ip", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_projects_creator", "created_by_user_id", "created_at_us"),
    sa.Index("ix_projects_creator_ip", "created_from_ip", "created_at_us"),
)

roles = sa.Table(
    "roles",
    metadata,
    sa.Column("project_id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Index("ix_roles_user_id", "user_id"),
)

# Pending invitations only: answered, revoked or superseded ones are deleted (the events keep them).
role_invitations = sa.Table(
    "role_invitations",
    metadata,
    sa.Column("invitation_id", sa.String(36), primary_key=True),
    sa.Column("project_id", sa.String(36), nullable=False, index=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("invited_by_username", sa.String(100), nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
)

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("project_id", sa.String(36), primary_key=True),
    # canonicalize_version(version): 1.0 and 1.0.0 are one release.
    sa.Column("release_key", sa.String(100), primary_key=True),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("requires_python", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    # PEP 592: installers skip a yanked release unless it is pinned exactly.
    sa.Column("yanked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("yanked_reason", sa.Text, nullable=False, server_default=""),
)

files = sa.Table(
    "files",
    metadata,
    sa.Column("filename", sa.String(255), primary_key=True),
    sa.Column("project_id", sa.String(36), nullable=False, index=True),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("packagetype", sa.String(20), nullable=False),
    sa.Column("python_version", sa.String(100), nullable=False),
    sa.Column("path", sa.String(400), nullable=False, unique=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("md5", sa.String(32), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("blake2_256", sa.String(64), nullable=False, unique=True),
    sa.Column("requires_python", sa.Text, nullable=False),
    sa.Column("metadata_sha256", sa.String(64), nullable=False),
    sa.Column("upload_time_us", sa.BigInteger, nullable=False),
    sa.Column("yanked", sa.Boolean, nullable=False),
    sa.Column("yanked_reason", sa.Text, nullable=False),
    # "published" (on the Simple API), "staged" (maintainers only) or "discarded" (a thrown-away
    # stage's: served to no one, and its filename and digest stay taken).
    sa.Column("status", sa.String(20), nullable=False, server_default="published"),
    sa.Index("ix_files_project_status", "project_id", "status"),
)

# Every filename ever accepted. Rows are never deleted, not even when a file is (file deletion
# does not exist yet; when it comes it removes the `files` row and keeps this one), so a
# filename once used can never be used again.
used_filenames = sa.Table(
    "used_filenames",
    metadata,
    sa.Column("filename", sa.String(255), primary_key=True),
    sa.Column("project_id", sa.String(36), nullable=False),
    sa.Column("first_used_at_us", sa.BigInteger, nullable=False),
)
