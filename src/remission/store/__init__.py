"""Persistence for remission: documents kept as immutable versions in SQLite or PostgreSQL.

The store holds *documents* (JSON-able dicts: a validated Case, a cohort aggregate) produced by
other layers, each with a flat *summary* for fast listing. It knows no clinical logic. Every save
is a new version with author, UTC time and reason; nothing is overwritten; a batch is all or
nothing. ::

    from remission.store import RecordIn, Store

    with Store("cases.sqlite") as store:
        store.save(RecordIn("pt-001", "case", document, summary), author="ana", reason="import")
        store.get("pt-001").document
"""

from remission.store.engine import default_url
from remission.store.records import (
    KINDS,
    STATUSES,
    Kind,
    ListRow,
    RecordIn,
    SaveResult,
    Status,
    StoredRecord,
    VersionInfo,
)
from remission.store.store import Store

__all__ = [
    "KINDS",
    "STATUSES",
    "Kind",
    "ListRow",
    "RecordIn",
    "SaveResult",
    "Status",
    "Store",
    "StoredRecord",
    "VersionInfo",
    "default_url",
]
