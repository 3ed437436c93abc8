"""Finding stored cases by what their summaries say: the filters of the web list, cohort page and API.

:class:`CaseFilter` names every filter (free text, diagnosis features, therapy, response,
toxicity grade, CNS and other extramedullary involvement, status) and :func:`search_cases`
applies it to the current CaseSummary of every stored document.

Speed: the summaries of all current documents are held in memory per store (about 2 KB each,
20 MB for 10,000) and filtered there; before each search one aggregate query over the head table
(record count, sum of current versions, newest change) tells whether anything was saved since
the last look, and only the changed rows are read again. That check is made at most once every
:data:`CHECK_EVERY` (0.5) seconds per process, and at once after this process committed any write
(:func:`remission.store.engine.commit_count`). So a search costs a scan in memory, whichever
filters are combined, plus at most one small query; several worker processes each keep their own
copy. A save made through this process is seen by its next search; a save made by another
process (another web worker, the CLI) is seen within 0.5 s.

Free text keeps the semantics of ``remission list --search``: every word must occur in the id or
a summary value (case-insensitive), using the store's own ``search_text``.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from remission.casefile import Document, document_from_data
from remission.model.summary import SummarySite
from remission.model.vocab import load_vocabulary, normalize_key
from remission.store import Kind, Status, Store
from remission.store.engine import commit_count
from remission.store.schema import records

__all__ = [
    "CaseFilter",
    "SearchPage",
    "SearchRow",
    "SortKey",
    "documents_matching",
    "matching_ids",
    "search_cases",
]

TherapyClass = Literal[
    "car_t", "bispecific", "antibody_drug_conjugate", "tki", "chemotherapy", "hsct", "other"
]
SortKey = Literal[
    "id", "-id", "age", "-age", "updated", "-updated", "follow_up", "-follow_up", "crs", "-crs"
]
MAX_LIMIT = 500
CHECK_EVERY = 0.5
"""Seconds a search may reuse the last change check (see the module docstring)."""


class CaseFilter(BaseModel):
    """Which stored documents to show. Every filter left empty (None) keeps everything; a filter
    on a summary field keeps only documents whose value is known and matches (unknown never
    matches a filter)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str | None = Field(
        None, max_length=200, description="Words that must all occur in the id or summary."
    )
    kind: Kind | None = Field(None, description="case or cohort (aggregate); None: both.")
    status: Status | None = Field(None, description="final (reviewed) or draft.")
    diagnosis: Literal["B-ALL", "T-ALL", "other"] | None = None
    ph_positive: bool | None = Field(None, description="Philadelphia chromosome positive.")
    therapy_class: TherapyClass | None = Field(
        None, description="An index therapy of this class (car_t, bispecific, ...)."
    )
    agent: str | None = Field(
        None,
        max_length=100,
        description="An index therapy with this agent or product (any synonym: 'tisa-cel', "
        "'Kymriah' and 'tisagenlecleucel' are one).",
    )
    target: Literal["CD19", "CD22", "CD19/CD22"] | None = None
    cell_source: Literal["autologous", "donor_derived"] | None = None
    response: Literal["CR", "CRi", "PR", "NR"] | None = Field(
        None, description="Best response to the index therapies."
    )
    mrd_negative: bool | None = None
    crs_min_grade: int | None = Field(None, ge=0, le=5, description="CRS maximum grade at least.")
    icans_min_grade: int | None = Field(
        None, ge=0, le=5, description="ICANS maximum grade at least."
    )
    cns_involvement: bool | None = Field(
        None, description="CNS involvement at the relapse the index therapy treats."
    )
    extramedullary_site: SummarySite | None = Field(
        None, description="This extramedullary site at the treated relapse."
    )
    prior_hsct: bool | None = None
    bridged_to_hsct: bool | None = None
    relapse_after: bool | None = None
    alive: bool | None = Field(None, description="Alive at the last follow-up.")
    age_min: float | None = Field(None, ge=0, le=130)
    age_max: float | None = Field(None, ge=0, le=130)
    sort: SortKey = "id"
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)

    def is_empty(self) -> bool:
        """Whether no filter (only paging and sorting) is set."""
        return not self.describe(default="")

    def describe(self, default: str = "all stored documents") -> str:
        """The filters in words, for a report title ("Ph+, CAR-T, CRS grade >= 3")."""
        parts: list[str] = []
        for name in type(self).model_fields:
            if name in ("sort", "limit", "offset"):
                continue
            value = getattr(self, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            parts.append(f"{name.replace('_', ' ')}: {value}")
        return "; ".join(parts) or default


@dataclass(frozen=True, slots=True)
class SearchRow:
    """One document as a list shows it: no document, only the current summary."""

    id: str
    kind: Kind
    status: Status
    version: int
    updated_at: datetime
    summary: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results: ``total`` matches in all, ``items`` from ``offset``."""

    total: int
    items: list[SearchRow]
    offset: int
    limit: int


# ------------------------------------------------------------------------------ the index

#: Summary fields filtered by equality, and the CaseFilter field naming each.
_EQUAL_FIELDS: dict[str, str] = {
    "diagnosis": "diagnosis",
    "ph_positive": "ph_positive",
    "response": "response",
    "mrd_negative": "mrd_negative",
    "cns_involvement": "cns_involvement",
    "prior_hsct": "prior_hsct",
    "bridged_to_hsct": "bridged_to_hsct",
    "relapse_after": "relapse_after",
    "alive": "alive_at_last_follow_up",
}
_GRADE_FIELDS: dict[str, str] = {
    "crs_min_grade": "crs_max_grade",
    "icans_min_grade": "icans_max_grade",
}
_THERAPY_FIELDS: dict[str, str] = {
    "therapy_class": "class",
    "target": "target",
    "cell_source": "cell_source",
}
_SORT_FIELDS: dict[str, str] = {
    "age": "age_years",
    "follow_up": "follow_up_months",
    "crs": "crs_max_grade",
}

Key = tuple[str, Any]


@cache
def _agent_key(text: str) -> str:
    """One key per agent or product whatever the synonym (vocabulary term id), else the folded
    text."""
    for name in ("car_t_products", "agents"):
        term = load_vocabulary(name).lookup(text)
        if term is not None:
            return f"{name}:{term.id}"
    return normalize_key(text)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _keys(row: SearchRow) -> Iterator[Key]:
    """Every (filter, value) a row matches; a filter's value is looked up among these."""
    summary = row.summary
    yield ("kind", row.kind)
    yield ("status", row.status)
    for name, field in _EQUAL_FIELDS.items():
        value = summary.get(field)
        if isinstance(value, str | bool):
            yield (name, value)
    for name, field in _GRADE_FIELDS.items():
        grade = summary.get(field)
        if isinstance(grade, int) and not isinstance(grade, bool):
            for at_least in range(0, min(grade, 5) + 1):
                yield (name, at_least)
    for therapy in summary.get("index_therapies") or []:
        if not isinstance(therapy, dict):
            continue
        for name, field in _THERAPY_FIELDS.items():
            if isinstance(therapy.get(field), str):
                yield (name, therapy[field])
        if isinstance(therapy.get("agent"), str):
            yield ("agent", _agent_key(therapy["agent"]))
    for site in summary.get("extramedullary_sites") or []:
        if isinstance(site, str):
            yield ("extramedullary_site", site)


def _bits(positions: Iterable[int], size: int) -> int:
    """A bit set (an int) with the given positions set."""
    buffer = bytearray((size + 7) // 8)
    for p in positions:
        buffer[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(buffer, "little")


def _positions(mask: int, stop: int | None = None) -> list[int]:
    """The set positions of a bit set, ascending (the first ``stop`` of them)."""
    text = bin(mask)[:1:-1]  # bit i is character i
    out: list[int] = []
    i = text.find("1")
    while i != -1 and (stop is None or len(out) < stop):
        out.append(i)
        i = text.find("1", i + 1)
    return out


class _Snapshot:
    """The rows of one moment, with a bit set per (filter, value) for fast combined filters."""

    def __init__(self, rows: dict[str, tuple[SearchRow, str]]) -> None:
        ids = sorted(rows)
        self.rows = [rows[i][0] for i in ids]
        self.texts = [rows[i][1] for i in ids]
        size = len(ids)
        members: dict[Key, list[int]] = {}
        for position, row in enumerate(self.rows):
            for key in _keys(row):
                members.setdefault(key, []).append(position)
        self.masks = {key: _bits(found, size) for key, found in members.items()}
        self.everything = (1 << size) - 1
        self.ages = [_number(r.summary.get("age_years")) for r in self.rows]
        self._orders: dict[str, list[int]] = {}
        self._words: dict[str, int] = {}

    def word_mask(self, word: str) -> int:
        found = self._words.get(word)
        if found is None:
            found = _bits((i for i, t in enumerate(self.texts) if word in t), len(self.texts))
            if len(self._words) > 512:
                self._words.clear()
            self._words[word] = found
        return found

    def age_mask(self, low: float, high: float) -> int:
        return _bits(
            (i for i, a in enumerate(self.ages) if a is not None and low <= a <= high),
            len(self.ages),
        )

    def order(self, sort: str) -> list[int]:
        """Positions in the order of ``sort`` (unknown values last either way)."""
        found = self._orders.get(sort)
        if found is not None:
            return found
        descending = sort.startswith("-")
        name = sort.lstrip("-")
        if name == "id":
            found = list(range(len(self.rows)))
            if descending:
                found.reverse()
        elif name == "updated":
            found = sorted(
                range(len(self.rows)), key=lambda p: self.rows[p].updated_at, reverse=descending
            )
        else:
            field = _SORT_FIELDS[name]
            values = [_number(r.summary.get(field)) for r in self.rows]
            known = [p for p, v in enumerate(values) if v is not None]
            known.sort(key=lambda p: values[p], reverse=descending)  # type: ignore[arg-type,return-value]
            found = known + [p for p, v in enumerate(values) if v is None]
        self._orders[sort] = found
        return found


_Token = tuple[int, int, datetime | None]
_COLUMNS = (
    records.c.id,
    records.c.kind,
    records.c.status,
    records.c.current_version,
    records.c.updated_at,
    records.c.summary,
    records.c.search_text,
)


def _row(r: Any) -> tuple[SearchRow, str]:
    summary = r[5] if isinstance(r[5], dict) else {}
    return SearchRow(r[0], cast(Kind, r[1]), cast(Status, r[2]), r[3], r[4], summary), r[6]


class _SummaryIndex:
    """Every current summary of one store, refreshed from the head table when it changed."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[SearchRow, str]] = {}
        self._snapshot = _Snapshot({})
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self._checked = float("-inf")  # time.monotonic() of the last change check
        self._commits = -1  # commit_count() at the last change check

    def snapshot(self, store: Store) -> _Snapshot:
        now = time.monotonic()
        commits = commit_count()
        if commits == self._commits and now - self._checked < CHECK_EVERY:
            return self._snapshot
        token = _token(store)
        if token == self._token:
            self._checked, self._commits = now, commits
            return self._snapshot
        with self._lock:
            if token != self._token:
                self._refresh(store, token)
            self._checked, self._commits = now, commits
            return self._snapshot

    def _refresh(self, store: Store, token: _Token) -> None:
        previous = self._token
        statement = select(*_COLUMNS)
        if previous is not None and previous[2] is not None:
            statement = statement.where(records.c.updated_at >= previous[2])
            rows = dict(self._rows)
        else:
            rows = {}
        with store.reader.connect() as connection:
            rows.update((r[0], _row(r)) for r in connection.execute(statement))
        count, versions, newest = token
        if len(rows) != count or sum(r.version for r, _ in rows.values()) != versions:
            # A save that began before the last refresh committed after it: read everything.
            with store.reader.connect() as connection:
                rows = {r[0]: _row(r) for r in connection.execute(select(*_COLUMNS))}
            token = (len(rows), sum(r.version for r, _ in rows.values()), newest)
        self._rows = rows
        self._snapshot = _Snapshot(rows)
        self._token = token


def _token(store: Store) -> _Token:
    with store.reader.connect() as connection:
        row = connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(records.c.current_version), 0),
                func.max(records.c.updated_at),
            )
        ).one()
    return int(row[0]), int(row[1]), row[2]


_indexes: weakref.WeakKeyDictionary[Store, _SummaryIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def _index(store: Store) -> _SummaryIndex:
    with _indexes_lock:
        found = _indexes.get(store)
        if found is None:
            found = _indexes[store] = _SummaryIndex()
        return found


# ------------------------------------------------------------------------------ matching


def _mask(snapshot: _Snapshot, f: CaseFilter) -> int:
    mask = snapshot.everything
    plain: list[Key] = []
    if f.kind is not None:
        plain.append(("kind", f.kind))
    if f.status is not None:
        plain.append(("status", f.status))
    for name in (*_EQUAL_FIELDS, *_GRADE_FIELDS, *_THERAPY_FIELDS, "extramedullary_site"):
        value = getattr(f, name)
        if value is not None:
            plain.append((name, value))
    if f.agent is not None and f.agent.strip():
        plain.append(("agent", _agent_key(f.agent)))
    for key in plain:
        mask &= snapshot.masks.get(key, 0)
        if not mask:
            return 0
    for word in (f.q or "").casefold().replace("\x00", "").split():
        mask &= snapshot.word_mask(word)
    if f.age_min is not None or f.age_max is not None:
        low = f.age_min if f.age_min is not None else float("-inf")
        high = f.age_max if f.age_max is not None else float("inf")
        mask &= snapshot.age_mask(low, high)
    return mask


def _matches(store: Store, f: CaseFilter, stop: int | None) -> tuple[int, list[SearchRow]]:
    """(total, the matching rows in the filter's order, the first ``stop`` of them)."""
    snapshot = _index(store).snapshot(store)
    mask = _mask(snapshot, f)
    total = mask.bit_count()
    if f.sort == "id":
        positions = _positions(mask, stop)
    else:
        bits = bin(mask)[:1:-1]  # bit i is character i
        size = len(bits)
        positions = []
        for p in snapshot.order(f.sort):
            if p < size and bits[p] == "1":
                positions.append(p)
                if stop is not None and len(positions) >= stop:
                    break
    return total, [snapshot.rows[p] for p in positions]


def search_cases(store: Store, case_filter: CaseFilter | None = None) -> SearchPage:
    """The page of documents matching ``case_filter`` (all of them when None), and the total."""
    f = case_filter or CaseFilter()
    total, found = _matches(store, f, f.offset + f.limit)
    return SearchPage(total=total, items=found[f.offset :], offset=f.offset, limit=f.limit)


def matching_ids(store: Store, case_filter: CaseFilter | None = None) -> Sequence[str]:
    """Every matching id (no paging), in the filter's order: for cohort analyses and exports."""
    return [row.id for row in _matches(store, case_filter or CaseFilter(), None)[1]]


def documents_matching(store: Store, case_filter: CaseFilter | None = None) -> list[Document]:
    """The current documents matching the filter (paging ignored), validated, in id order: what a
    cohort analysis, report or table export of a filtered list reads. Drafts are left out unless
    the filter asks for ``status="draft"``."""
    f = case_filter or CaseFilter()
    wanted = set(matching_ids(store, f))
    docs: list[Document] = []
    collecting = gc.isenabled()
    gc.disable()  # thousands of long-lived objects: see remission.api.load_documents
    try:
        for doc_id, data in store.documents(f.kind, status=f.status or "final"):
            if doc_id in wanted:
                docs.append(document_from_data(data, where=f"{doc_id} (stored)"))
    finally:
        if collecting:
            gc.enable()
    return docs
