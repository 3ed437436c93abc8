"""The values that go into and come out of the store.

These are plain, frozen dataclasses: the store knows nothing about what a Case *means*; it keeps
JSON-able documents (a validated Case, a cohort aggregate) and the flat summary other layers
computed from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Kind = Literal["case", "cohort"]
"""What a stored document is: one patient's course, or a cohort-level aggregate."""

Status = Literal["final", "draft"]
"""``draft``: not yet reviewed (e.g. extracted from report text); ``final``: reviewed."""

KINDS: tuple[Kind, ...] = ("case", "cohort")
STATUSES: tuple[Status, ...] = ("final", "draft")


@dataclass(frozen=True, slots=True)
class RecordIn:
    """One document to save.

    ``document`` and ``summary`` must be JSON-able: dicts with string keys whose values are
    dicts, lists, strings, finite numbers, booleans or None (what ``model_dump(mode="json")``
    gives). They come back from the store equal to what went in, key order included.
    ``summary`` is the flat row shown in lists and used by cohort analysis; it is kept beside the
    document so listing never has to read documents. ``report`` (optional, JSON-able too) is
    what was derived for showing this version (the case page's data), kept so showing it needs
    no derivation; it is not part of what makes a save "unchanged".
    """

    id: str
    kind: Kind
    document: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)
    status: Status = "final"
    report: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What a save did to one record.

    ``unchanged`` is True when the content was identical to the current version (same document,
    summary and status): no version was created and ``version`` is the current one.
    """

    id: str
    version: int
    unchanged: bool


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version in a record's history (everything but the document itself)."""

    version: int
    status: Status
    author: str
    reason: str
    created_at: datetime
    content_hash: str
    """SHA-256 (hex) of the document's canonical JSON (sorted keys, compact, UTF-8)."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One version of a record, read back in full.

    ``current_version`` is the latest version at the time of reading: pass it as
    ``expected_version`` when saving an edit, so a concurrent edit is detected, not overwritten.
    """

    id: str
    kind: Kind
    status: Status
    version: int
    current_version: int
    document: dict[str, Any]
    summary: dict[str, Any]
    author: str
    reason: str
    created_at: datetime
    content_hash: str
    report: dict[str, Any] | None = None

    @property
    def is_latest(self) -> bool:
        """Whether this is the current version."""
        return self.version == self.current_version


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of :meth:`Store.list`: the current state of a record, without its document."""

    id: str
    kind: Kind
    status: Status
    version: int
    updated_at: datetime
    summary: dict[str, Any]
