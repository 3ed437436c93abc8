"""The store's tables, as SQLAlchemy Core metadata (the live description the code queries).

Two tables:

``records`` (the *head*): one row per id with the current state, so listing 10,000 records reads
one narrow table and never touches documents. ``summary`` and ``search_text`` are denormalised
copies of the current version's summary, rewritten on every new version.

``record_versions``: every version ever saved, immutable; the primary key ``(id, version)``.

JSON columns use the portable ``JSON`` type: TEXT on SQLite, ``json`` on PostgreSQL. ``json``
(not ``jsonb``) is deliberate: it keeps the text as written, so documents come back exactly
(key order, number spelling, ``\\u0000`` in strings), which ``jsonb`` does not guarantee.

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
    Column("content_hash", String(64), nullable=False),
    Column("author", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
