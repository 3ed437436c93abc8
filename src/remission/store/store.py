"""The versioned document store.

Every save creates a new, immutable version (author, UTC time, reason); nothing is overwritten or
deleted. A batch (:meth:`Store.save_many`) is one transaction: either every record in it is saved
or none is, and a failure leaves the database exactly as it was.
"""

from __future__ import annotations

import builtins
import difflib
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Connection, Engine, Select, and_, bindparam, func, insert, select, update
from sqlalchemy import exc as sa_exc

from remission.exceptions import (
    CaseNotFoundError,
    DuplicateIdError,
    Problem,
    StoreError,
    VersionConflictError,
)
from remission.store.engine import (
    canonical_json,
    database_errors,
    default_url,
    make_engine,
    mask,
    reason_of,
)
from remission.store.migrate import ensure_schema
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
from remission.store.schema import ID_MAX_LENGTH, record_versions, records

_CHUNK = 500  # ids per IN (...) query: far below SQLite's and PostgreSQL's parameter limits


@dataclass(slots=True)
class _Prepared:
    """A validated record with its canonical forms computed (before any database work)."""

    record: RecordIn
    content_hash: str
    summary_key: bytes


@dataclass(slots=True)
class _Head:
    kind: str
    status: str
    version: int
    content_hash: str
    summary: dict[str, Any]


class Store:
    """A versioned store of JSON documents (cases and cohort aggregates) in SQLite or PostgreSQL.

    ``Store()`` opens :func:`default_url`; ``Store("sqlite:///x.sqlite")``, ``Store("x.sqlite")``
    (a bare path is a SQLite file) or ``Store("postgresql://user@host/db")`` open others.
    Opening brings the schema up to date (Alembic). Safe to share between threads; use as a
    context manager or call :meth:`close`.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None, *, echo: bool = False) -> None:
        self._engine: Engine = make_engine(default_url() if url is None else url, echo=echo)
        self._shown = mask(self._engine.url)
        # Reads on PostgreSQL run each statement on its own (autocommit): no BEGIN before it and
        # no ROLLBACK when the connection goes back to the pool, two round trips fewer per read.
        # They see what READ COMMITTED (PostgreSQL's default) shows a statement in a transaction.
        self._reader: Engine = (
            self._engine.execution_options(isolation_level="AUTOCOMMIT")
            if self._engine.dialect.name == "postgresql"
            else self._engine
        )
        self._closed = False
        try:
            with database_errors(f"could not open the store {self._shown}", self._shown):
                ensure_schema(self._engine, self._shown)
        except BaseException:
            self._engine.dispose()
            raise

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        """The store's URL with any password masked."""
        return self._shown

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for health checks and tests; do not write through it)."""
        return self._engine

    @property
    def reader(self) -> Engine:
        """The engine for reads that need no transaction of their own (same pool as
        :attr:`engine`; on PostgreSQL in autocommit, so a read costs one round trip)."""
        return self._reader

    def close(self) -> None:
        """Release every connection. The store cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._shown!r})"

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        self._check_open()
        with (
            database_errors(f"could not {what} from the store {self._shown}", self._shown),
            self._reader.connect() as connection,
        ):
            yield connection

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store {self._shown} is closed")

    # ------------------------------------------------------------------ writing

    def save(
        self,
        record: RecordIn,
        *,
        author: str,
        reason: str,
        expected_version: int | None = None,
    ) -> SaveResult:
        """Save one record as a new version (or report it unchanged).

        ``expected_version`` is the version the caller's edit started from (0 for "this id must
        not exist yet"); if the record is at another version, :class:`VersionConflictError` is
        raised and nothing is saved. ``None`` skips the check.
        """
        expected = None if expected_version is None else {record.id: expected_version}
        return self._save([record], author=author, reason=reason, expected=expected)[0]

    def save_many(
        self,
        records: Sequence[RecordIn],
        *,
        author: str,
        reason: str,
        expected_versions: Mapping[str, int] | None = None,
    ) -> list[SaveResult]:
        """Save a batch in ONE transaction: all records are saved, or none is.

        Results come in the order of ``records``. A record identical to its current version
        (document, summary and status) creates no version (``unchanged=True``), so importing
        the same files twice is harmless. Ids must be unique within the batch
        (:class:`DuplicateIdError` otherwise). ``expected_versions`` maps ids to the version
        the change was made from: if any record has moved on, :class:`VersionConflictError` is
        raised and nothing is saved.
        """
        return self._save(records, author=author, reason=reason, expected=expected_versions)

    def _save(
        self,
        batch: Sequence[RecordIn],
        *,
        author: str,
        reason: str,
        expected: Mapping[str, int] | None,
    ) -> list[SaveResult]:
        self._check_open()
        _check_text("author", author)
        _check_text("reason", reason)
        prepared = _prepare_batch(batch)
        if not prepared:
            return []
        now = datetime.now(UTC)
        ids = [p.record.id for p in prepared]
        what = (
            f"could not save {ids[0]!r} to the store {self._shown}"
            if len(ids) == 1
            else f"could not save the batch of {len(ids)} records to the store {self._shown}"
        )
        with database_errors(what, self._shown):
            try:
                with self._engine.connect() as connection:
                    connection.execution_options(sqlite_begin="IMMEDIATE")
                    with connection.begin():
                        return self._write(connection, prepared, author, reason, expected, now)
            except sa_exc.IntegrityError as e:  # only a concurrent writer can get us here
                raise VersionConflictError(
                    f"{what}: another save of the same record(s) happened at the same moment; "
                    f"nothing was saved, try again ({reason_of(e)})"
                ) from e

    def _write(
        self,
        connection: Connection,
        prepared: list[_Prepared],
        author: str,
        reason: str,
        expected: Mapping[str, int] | None,
        now: datetime,
    ) -> list[SaveResult]:
        heads = _load_heads(connection, [p.record.id for p in prepared])
        results: list[SaveResult] = []
        new_heads: list[dict[str, Any]] = []
        head_updates: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        for p in prepared:
            rec = p.record
            head = heads.get(rec.id)
            current = head.version if head else 0
            if expected is not None and rec.id in expected and expected[rec.id] != current:
                raise VersionConflictError(_conflict_message(rec, expected[rec.id], current))
            if head is not None:
                if head.kind != rec.kind:
                    raise StoreError(
                        f"{rec.id!r} is stored as a {head.kind}; it cannot be saved as a "
                        f"{rec.kind} (nothing was saved)"
                    )
                if (
                    head.content_hash == p.content_hash
                    and head.status == rec.status
                    and canonical_json(head.summary) == p.summary_key
                ):
                    results.append(SaveResult(rec.id, current, unchanged=True))
                    continue
            version = current + 1
            results.append(SaveResult(rec.id, version, unchanged=False))
            versions.append(
                {
                    "id": rec.id,
                    "version": version,
                    "status": rec.status,
                    "document": rec.document,
                    "summary": rec.summary,
                    "report": rec.report,
                    "content_hash": p.content_hash,
                    "author": author,
                    "reason": reason,
                    "created_at": now,
                }
            )
            state = {
                "status": rec.status,
                "current_version": version,
                "content_hash": p.content_hash,
                "updated_at": now,
                "summary": rec.summary,
                "search_text": _search_text(rec.id, rec.summary),
            }
            if head is None:
                new_heads.append({"id": rec.id, "kind": rec.kind, "created_at": now, **state})
            else:
                head_updates.append({"b_id": rec.id, "b_previous": current, **state})
        if new_heads:
            connection.execute(insert(records), new_heads)
        if versions:
            connection.execute(insert(record_versions), versions)
        if head_updates:
            statement = (
                update(records)
                .where(
                    and_(
                        records.c.id == bindparam("b_id"),
                        records.c.current_version == bindparam("b_previous"),
                    )
                )
                .values(
                    status=bindparam("status"),
                    current_version=bindparam("current_version"),
                    content_hash=bindparam("content_hash"),
                    updated_at=bindparam("updated_at"),
                    summary=bindparam("summary"),
                    search_text=bindparam("search_text"),
                )
            )
            updated = connection.execute(statement, head_updates)
            if updated.rowcount not in (-1, len(head_updates)):
                raise VersionConflictError(
                    "another save changed some of these records at the same moment; "
                    "nothing was saved, try again"
                )
        return results

    # ------------------------------------------------------------------ reading

    def get(self, id: str, version: int | None = None) -> StoredRecord:
        """One version of a record (the latest when ``version`` is None).

        Raises :class:`CaseNotFoundError` naming the versions that exist when the version is
        wrong, or similar ids when the id is unknown.
        """
        wanted = records.c.current_version if version is None else version
        statement = (
            select(
                records.c.kind,
                records.c.current_version,
                record_versions.c.version,
                record_versions.c.status,
                record_versions.c.document,
                record_versions.c.summary,
                record_versions.c.author,
                record_versions.c.reason,
                record_versions.c.created_at,
                record_versions.c.content_hash,
                record_versions.c.report,
            )
            .join(record_versions, record_versions.c.id == records.c.id)
            .where(records.c.id == id, record_versions.c.version == wanted)
        )
        with self._read(f"read {id!r}") as connection:
            row = connection.execute(statement).one_or_none()
            if row is None:
                raise CaseNotFoundError(self._missing_version_message(connection, id, version))
        return StoredRecord(
            id=id,
            kind=cast(Kind, row.kind),
            status=cast(Status, row.status),
            version=row.version,
            current_version=row.current_version,
            document=row.document,
            summary=row.summary,
            author=row.author,
            reason=row.reason,
            created_at=row.created_at,
            content_hash=row.content_hash,
            report=row.report,
        )

    def documents(
        self,
        kind: Kind | None = None,
        *,
        status: Status | None = None,
        search: str | None = None,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(id, document)`` of the current version of every record, ordered by id, in one query.

        For analyses over many records (a cohort report), where one :meth:`get` per record would
        cost a round trip each. Filters as in :meth:`list`.
        """
        statement = _filtered(
            select(records.c.id, record_versions.c.document)
            .join(record_versions, record_versions.c.id == records.c.id)
            .where(record_versions.c.version == records.c.current_version),
            kind,
            status,
            search,
        ).order_by(records.c.id)
        with self._read("read documents") as connection:
            rows = connection.execute(statement).all()
        for row in rows:
            yield row.id, row.document

    def history(self, id: str) -> list[VersionInfo]:
        """Every version of a record, oldest first (documents are not loaded)."""
        with self._read(f"read the history of {id!r}") as connection:
            rows = connection.execute(
                select(
                    record_versions.c.version,
                    record_versions.c.status,
                    record_versions.c.author,
                    record_versions.c.reason,
                    record_versions.c.created_at,
                    record_versions.c.content_hash,
                )
                .where(record_versions.c.id == id)
                .order_by(record_versions.c.version)
            ).all()
            if not rows:
                raise CaseNotFoundError(self._not_found_message(connection, id))
            return [
                VersionInfo(
                    version=r.version,
                    status=cast(Status, r.status),
                    author=r.author,
                    reason=r.reason,
                    created_at=r.created_at,
                    content_hash=r.content_hash,
                )
                for r in rows
            ]

    def list(
        self,
        kind: Kind | None = None,
        *,
        status: Status | None = None,
        limit: int | None = None,
        offset: int = 0,
        search: str | None = None,
    ) -> list[ListRow]:
        """Current state of records, ordered by id, from the head table only (fast).

        ``search`` keeps records whose id or summary values contain every word of it
        (case-insensitive substring match).
        """
        if limit is not None and limit < 0:
            raise ValueError("limit must be zero or more")
        if offset < 0:
            raise ValueError("offset must be zero or more")
        statement = _filtered(
            select(
                records.c.id,
                records.c.kind,
                records.c.status,
                records.c.current_version,
                records.c.updated_at,
                records.c.summary,
            ),
            kind,
            status,
            search,
        ).order_by(records.c.id)
        if limit is not None:
            statement = statement.limit(limit)
        if offset:
            statement = statement.offset(offset)
        with self._read("list records") as connection:
            return [
                ListRow(
                    id=r[0], kind=r[1], status=r[2], version=r[3], updated_at=r[4], summary=r[5]
                )
                for r in connection.execute(statement)
            ]

    def summaries(
        self, kind: Kind | None = None, *, status: Status | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The current summary of each record, ordered by id (as saved, nothing added).

        Analyses should usually ask for ``status="final"`` so unreviewed drafts stay out.
        """
        statement = _filtered(select(records.c.summary), kind, status, None).order_by(records.c.id)
        with self._read("read summaries") as connection:
            return list(connection.execute(statement).scalars())

    def count(self, kind: Kind | None = None, *, status: Status | None = None) -> int:
        """How many records (not versions) there are."""
        statement = _filtered(select(func.count()).select_from(records), kind, status, None)
        with self._read("count records") as connection:
            return int(connection.execute(statement).scalar_one())

    def ids(self, kind: Kind | None = None, *, status: Status | None = None) -> builtins.list[str]:
        """Every record id, sorted."""
        statement = _filtered(select(records.c.id), kind, status, None).order_by(records.c.id)
        with self._read("list ids") as connection:
            return list(connection.execute(statement).scalars())

    def reports(
        self, kind: Kind | None = None, *, status: Status | None = None
    ) -> dict[str, tuple[int, dict[str, Any] | None]]:
        """The report data kept with the current version of every record: id -> (version,
        report or None), in one query."""
        statement = _filtered(
            select(records.c.id, records.c.current_version, record_versions.c.report)
            .join(record_versions, record_versions.c.id == records.c.id)
            .where(record_versions.c.version == records.c.current_version),
            kind,
            status,
            None,
        )
        with self._read("read report data") as connection:
            return {row[0]: (row[1], row[2]) for row in connection.execute(statement)}

    def set_reports(self, reports: Mapping[tuple[str, int], dict[str, Any]]) -> int:
        """Replace the report data kept with existing versions, keyed by (id, version), in one
        transaction; returns how many versions were updated.

        Report data is derived from the version's document (see :class:`RecordIn`), so this
        makes no new version and leaves document, summary, author and time as they were; it is
        for data derived again by a newer remission. Each report must be a JSON-able dict.
        """
        rows = []
        for (rid, version), report in reports.items():
            if not isinstance(report, dict):
                raise StoreError(
                    f"the report of {rid!r} version {version} must be a dict, "
                    f"not {type(report).__name__} (nothing was saved)"
                )
            try:
                canonical_json(report)
            except (TypeError, ValueError) as e:
                raise StoreError(
                    f"the report of {rid!r} version {version} is not JSON-serialisable ({e}); "
                    "nothing was saved"
                ) from e
            rows.append({"b_id": rid, "b_version": version, "report": report})
        if not rows:
            return 0
        self._check_open()
        statement = (
            update(record_versions)
            .where(
                and_(
                    record_versions.c.id == bindparam("b_id"),
                    record_versions.c.version == bindparam("b_version"),
                )
            )
            .values(report=bindparam("report"))
        )
        what = f"could not save report data to the store {self._shown}"
        with database_errors(what, self._shown), self._engine.connect() as connection:
            connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                result = connection.execute(statement, rows)
        return int(result.rowcount)

    def existing(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are in the store (e.g. to tell new from updated before an import)."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        with self._read("look up ids") as connection:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                found.update(
                    connection.execute(select(records.c.id).where(records.c.id.in_(chunk)))
                    .scalars()
                    .all()
                )
        return found

    def _missing_version_message(self, connection: Connection, id: str, version: int | None) -> str:
        head = connection.execute(
            select(records.c.kind, records.c.current_version).where(records.c.id == id)
        ).one_or_none()
        if head is None:
            return self._not_found_message(connection, id)
        kind, current = head
        which = "version 1" if current == 1 else f"versions 1 to {current}"
        return f"the {kind} {id!r} has no version {version}; it has {which}"

    def _not_found_message(self, connection: Connection, id: str) -> str:
        message = f"no record with id {id!r} in the store {self._shown}"
        all_ids = connection.execute(select(records.c.id)).scalars().all()
        close = difflib.get_close_matches(id, all_ids, n=3, cutoff=0.75)
        if close:
            message += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
        return message


# ---------------------------------------------------------------------- helpers


def _filtered(
    statement: Select[Any], kind: str | None, status: str | None, search: str | None
) -> Select[Any]:
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        statement = statement.where(records.c.kind == kind)
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        statement = statement.where(records.c.status == status)
    for word in (search or "").casefold().replace("\x00", "").split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(records.c.search_text.like(f"%{escaped}%", escape="\\"))
    return statement


def _load_heads(connection: Connection, ids: list[str]) -> dict[str, _Head]:
    heads: dict[str, _Head] = {}
    for start in range(0, len(ids), _CHUNK):
        statement = select(
            records.c.id,
            records.c.kind,
            records.c.status,
            records.c.current_version,
            records.c.content_hash,
            records.c.summary,
        ).where(records.c.id.in_(ids[start : start + _CHUNK]))
        if connection.dialect.name == "postgresql":
            statement = statement.with_for_update()
        for row in connection.execute(statement):
            heads[row[0]] = _Head(row[1], row[2], row[3], row[4], row[5])
    return heads


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"every save needs a non-empty {name} (got {value!r}); nothing was saved")
    if "\x00" in value:
        raise StoreError(f"the {name} contains a NUL character; nothing was saved")


def _problem(index: int, rec: object, message: str) -> StoreError:
    rid = getattr(rec, "id", None)
    label = f"record {index + 1}" + (f" ({rid!r})" if isinstance(rid, str) else "")
    return StoreError(f"{label}: {message}; nothing was saved")


def _prepare_batch(batch: Sequence[RecordIn]) -> list[_Prepared]:
    prepared: list[_Prepared] = []
    first_seen: dict[str, int] = {}
    for index, rec in enumerate(batch):
        if not isinstance(rec, RecordIn):
            raise _problem(index, rec, f"expected a RecordIn, got {type(rec).__name__}")
        _check_id(index, rec)
        if rec.kind not in KINDS:
            raise _problem(index, rec, f"kind must be one of {', '.join(KINDS)}, not {rec.kind!r}")
        if rec.status not in STATUSES:
            raise _problem(
                index, rec, f"status must be one of {', '.join(STATUSES)}, not {rec.status!r}"
            )
        if rec.id in first_seen:
            raise DuplicateIdError(
                Problem(
                    f"the id {rec.id!r} occurs twice in one batch (records "
                    f"{first_seen[rec.id] + 1} and {index + 1}); nothing was saved",
                    where=rec.id,
                )
            )
        first_seen[rec.id] = index
        for name in ("document", "summary"):
            value = getattr(rec, name)
            if not isinstance(value, dict):
                raise _problem(index, rec, f"the {name} must be a dict, not {type(value).__name__}")
        if rec.report is not None:
            if not isinstance(rec.report, dict):
                raise _problem(
                    index,
                    rec,
                    f"the report must be a dict or None, not {type(rec.report).__name__}",
                )
            try:
                canonical_json(rec.report)
            except (TypeError, ValueError) as e:
                raise _problem(index, rec, f"the report is not JSON-serialisable ({e})") from e
        try:
            document_key = canonical_json(rec.document)
        except (TypeError, ValueError) as e:
            raise _problem(index, rec, f"the document is not JSON-serialisable ({e})") from e
        try:
            summary_key = canonical_json(rec.summary)
        except (TypeError, ValueError) as e:
            raise _problem(index, rec, f"the summary is not JSON-serialisable ({e})") from e
        prepared.append(
            _Prepared(
                record=rec,
                content_hash=hashlib.sha256(document_key).hexdigest(),
                summary_key=summary_key,
            )
        )
    return prepared


def _check_id(index: int, rec: RecordIn) -> None:
    rid = rec.id
    if not isinstance(rid, str) or not rid:
        raise _problem(index, rec, f"the id must be a non-empty string, not {rid!r}")
    if rid != rid.strip():
        raise _problem(index, rec, "the id must not begin or end with spaces")
    if len(rid) > ID_MAX_LENGTH:
        raise _problem(index, rec, f"the id is longer than {ID_MAX_LENGTH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in rid):
        raise _problem(index, rec, "the id must not contain control characters")


def _search_text(id: str, summary: dict[str, Any]) -> str:
    """Lower-cased id and summary values (strings and numbers), one per line, for ``search``."""
    parts: list[str] = [id]
    pending: list[Any] = list(summary.values())
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(repr(value))
    return "\n".join(parts).casefold().replace("\x00", "")


def _conflict_message(rec: RecordIn, expected: int, current: int) -> str:
    if current == 0:
        return (
            f"the {rec.kind} {rec.id!r} is not in the store (your edit started from version "
            f"{expected}); nothing was saved"
        )
    if expected == 0:
        return (
            f"the {rec.kind} {rec.id!r} already exists (version {current}); it was not "
            "overwritten — open it and edit that version instead"
        )
    return (
        f"the {rec.kind} {rec.id!r} was saved by someone else since you opened it: you edited "
        f"version {expected}, the store now has version {current}; nothing was overwritten — "
        "reload it and apply your changes again"
    )
