"""The store's tables, as SQLAlchemy Core metadata (the live description the code queries).

The document tables:

``records`` (the *head*): one row per id with the current state, so listing 10,000 records reads
one narrow table and never touches documents. ``summary`` and ``search_text`` are denormalised
copies of the current version's summary, rewritten on every new version.

``record_versions``: every version ever saved, immutable; the primary key ``(id, version)``.

JSON columns use the portable ``JSON`` type: TEXT on SQLite, ``json`` on PostgreSQL. ``json``
(not ``jsonb``) is deliberate: it keeps the text as written, so documents come back exactly
(key order, number spelling, ``\\u0000`` in strings), which ``jsonb`` does not guarantee.

The web app's tables (migration 0002), holding accounts, not clinical data:

``users``: one row per account: name, role (viewer, editor, admin), the argon2 hash of the
password (never the password), when created and when the password last changed.

``sessions``: signed-in browser sessions. The cookie holds a random token; only its SHA-256 is
stored here, so a copy of the database does not let anyone sign in. Each row has the session's
CSRF token, its user, when it was created, last seen and when it expires.

``audit_events``: what happened that is not a case version: sign-ins (failed ones too, which is
what login rate limiting counts), sign-outs, account changes, refused requests. Case changes are
recorded as case versions (author = the signed-in user), not here.

The migrations in ``migrations/versions`` create the same tables; a test checks they agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

ID_MAX_LENGTH = 200
"""Longest id the store accepts (characters)."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the backend.

    PostgreSQL stores ``timestamp with time zone``; SQLite has no time zone type, so the UTC
    wall time is stored and the zone is put back on reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store only accepts timezone-aware timestamps")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

records = Table(
    "records",
    metadata,
    Column("id", String(ID_MAX_LENGTH), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("search_text", Text, nullable=False),
    Index("ix_records_kind", "kind"),
    # migration 0002: lets "has anything changed?" (count, sum of versions, newest change) be
    # answered from the index alone, for remission.search's in-memory summary index
    Index("ix_records_updated_at_version", "updated_at", "current_version"),
)

record_versions = Table(
    "record_versions",
    metadata,
    Column(
        "id",
        String(ID_MAX_LENGTH),
        ForeignKey("records.id", name="fk_record_versions_id_records"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("document", JSON, nullable=False),
    Column("summary", JSON, nullable=False),
    # what was derived for showing this version (the case page's data); NULL when none was
    Column("report", JSON(none_as_null=True), nullable=True),
    Column("content_hash", String(64), nullable=False),
    Column("author", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

USERNAME_MAX_LENGTH = 64
"""Longest user name (characters)."""

users = Table(
    "users",
    metadata,
    Column("username", String(USERNAME_MAX_LENGTH), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_changed_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "username",
        String(USERNAME_MAX_LENGTH),
        ForeignKey("users.username", name="fk_sessions_username_users", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_sessions_username", "username"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(32), nullable=False),
    Column("username", String(USERNAME_MAX_LENGTH), nullable=True),
    Column("client", String(64), nullable=True),
    Column("detail", Text, nullable=False),
    Index("ix_audit_events_event_username_at", "event", "username", "at"),
)
