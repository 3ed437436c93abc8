"""The Python API: what the CLI and the web app call, and what a script imports.

Every operation a user can run (validate, import, list, show, history, export, summary, demo)
is one function here over a :class:`~remission.store.Store`; the faces only parse arguments and
print. Imports are all-or-nothing per call: every file is read and validated first, and only when
all of them are sound are they saved, in one transaction.
"""

from __future__ import annotations

import gc
import getpass
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from remission.casefile import (
    Document,
    LoadedFile,
    document_from_data,
    dump_document,
    duplicate_id_problems,
    load_file,
    load_files,
)
from remission.exceptions import (
    CaseFileError,
    CaseNotFoundError,
    DuplicateIdError,
    InputError,
    Problem,
    RemissionError,
)
from remission.model import Case, CaseSummary, CohortAggregate, CohortSummary
from remission.report.case_data import case_report_data
from remission.rules.episodes import grade_case
from remission.rules.summary import summarize, summarize_cohort
from remission.store import ListRow, RecordIn, SaveResult, Store, StoredRecord, VersionInfo

__all__ = [
    "ImportOutcome",
    "ImportReport",
    "RederiveReport",
    "current_user",
    "document_from_record",
    "document_schema",
    "export_document",
    "get_document",
    "history",
    "import_documents",
    "import_files",
    "list_documents",
    "load_documents",
    "prepare_import",
    "record_for",
    "rederive",
    "save_prepared",
    "summarize_document",
    "summary_json",
    "validate_files",
]

Summary = CaseSummary | CohortSummary


def current_user() -> str:
    """Who is saving: ``REMISSION_USER`` if set, else the operating-system user."""
    env = os.environ.get("REMISSION_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def summarize_document(doc: Document) -> Summary:
    """The flat summary of a Case (CaseSummary) or of a cohort aggregate (CohortSummary)."""
    return summarize(doc) if isinstance(doc, Case) else summarize_cohort(doc)


def record_for(doc: Document) -> RecordIn:
    """The store record of a validated document: the document, its summary and, for a Case,
    its report data (:func:`remission.report.case_data.case_report_data`), all as JSON.

    The report data is derived here, once per saved version, so showing a stored case (the web
    app's case page) needs no derivation.
    """
    report: dict[str, Any] | None = None
    if isinstance(doc, Case):
        grading = grade_case(doc)
        case_summary = summarize(doc, grading=grading)
        summary = case_summary.model_dump(mode="json", by_alias=True)
        try:
            report = case_report_data(doc, grading=grading, summary=case_summary)
        except RemissionError:  # shown later, when the case is shown and this is derived again
            report = None
    else:
        summary = summarize_document(doc).model_dump(mode="json", by_alias=True)
    return RecordIn(
        id=doc.id,
        kind=doc.kind,
        document=doc.model_dump(mode="json", by_alias=True, exclude_none=True),
        summary=summary,
        status=doc.status,
        report=report,
    )


def validate_files(paths: Iterable[str | Path]) -> list[LoadedFile]:
    """Read and validate case files; :class:`CaseFileError` lists every problem of every file."""
    return load_files(paths)


@dataclass(frozen=True)
class ImportOutcome:
    id: str
    source: str
    version: int
    action: Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class ImportReport:
    outcomes: list[ImportOutcome]

    @property
    def counts(self) -> dict[str, int]:
        out = {"created": 0, "updated": 0, "unchanged": 0}
        for o in self.outcomes:
            out[o.action] += 1
        return out


def _save_records(
    store: Store, records: Sequence[tuple[str, RecordIn]], *, author: str | None, reason: str
) -> ImportReport:
    existing = store.existing(r.id for _, r in records)
    results: list[SaveResult] = store.save_many(
        [r for _, r in records], author=author or current_user(), reason=reason
    )
    outcomes = []
    for (source, _), res in zip(records, results, strict=True):
        action: Literal["created", "updated", "unchanged"] = (
            "unchanged" if res.unchanged else ("updated" if res.id in existing else "created")
        )
        outcomes.append(ImportOutcome(res.id, source, res.version, action))
    return ImportReport(outcomes)


def import_documents(
    store: Store,
    documents: Sequence[tuple[str, Document]],
    *,
    author: str | None = None,
    reason: str = "import",
) -> ImportReport:
    """Save already-validated documents (labelled by their source) in one transaction."""
    return _save_records(
        store, [(src, record_for(doc)) for src, doc in documents], author=author, reason=reason
    )


@dataclass(frozen=True)
class RederiveReport:
    """What :func:`rederive` found: the documents whose derived data (or normalised form) differ
    from what is stored, those that still match, and those that no longer validate."""

    changed: list[str]
    unchanged: int
    unreadable: list[Problem]
    saved: bool
    reports_refreshed: int = 0


def rederive(
    store: Store,
    *,
    author: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RederiveReport:
    """Derive every current document's summary again with this version's rules, and save as a
    new version each one whose summary (or document, as this version normalises it) differs.

    Summaries are derived when a document is saved and kept for listing and search, so rules
    that changed in a newer remission leave them stale until this is run. The versions say who
    ran it and that nothing but derived data changed (reason ``derived again by remission
    <version>``). Documents that no longer validate are listed and left as they are; all the
    changes are saved in one transaction, refused as a whole if any of those documents was
    saved meanwhile. A case whose summary still matches but whose report data (the case page's)
    was made by another remission version gets this version's in place, without a new version
    (``reports_refreshed``). ``dry_run`` saves nothing. ``progress(done, total)`` as documents
    are read.
    """
    from remission import __version__
    from remission.store.engine import canonical_json

    rows = {row.id: row for row in store.list(status=None)}
    documents = list(store.documents(status=None))
    stored_reports = store.reports(status=None)
    changed: list[RecordIn] = []
    refresh: dict[tuple[str, int], dict[str, Any]] = {}
    unreadable: list[Problem] = []
    unchanged = 0
    for n, (doc_id, data) in enumerate(documents, 1):
        row = rows.get(doc_id)
        where = f"{doc_id} (version {row.version})" if row else doc_id
        try:
            doc = document_from_data(data, where=where)
        except InputError as exc:
            unreadable.extend(exc.problems)
        else:
            record = record_for(doc)
            same = (
                row is not None
                and record.status == row.status
                and canonical_json(record.summary) == canonical_json(row.summary)
                and canonical_json(record.document) == canonical_json(data)
            )
            if same:
                unchanged += 1
                version, stored = stored_reports.get(doc_id, (None, None))
                if version is not None and record.report is not None and stored != record.report:
                    refresh[(doc_id, version)] = record.report
            else:
                changed.append(record)
        if progress is not None:
            progress(n, len(documents))
    if changed and not dry_run:
        store.save_many(
            changed,
            author=author or current_user(),
            reason=f"derived again by remission {__version__}",
            expected_versions={r.id: rows[r.id].version for r in changed if r.id in rows},
        )
    if refresh and not dry_run:
        store.set_reports(refresh)
    return RederiveReport(
        [r.id for r in changed],
        unchanged,
        unreadable,
        saved=bool(changed) and not dry_run,
        reports_refreshed=len(refresh),
    )


#: Below this many files an import runs in one process; above, files are parsed and validated
#: in parallel worker processes (YAML parsing and validation are CPU-bound).
PARALLEL_THRESHOLD = 200


def _prepare(path: str | Path) -> tuple[str, RecordIn | None, list[Problem]]:
    """Read, validate and summarise one file (runs in a worker process for large imports)."""
    try:
        doc = load_file(path).document
    except CaseFileError as exc:
        return str(path), None, exc.problems
    return str(path), record_for(doc), []


def _prepare_all(
    paths: Sequence[str | Path], workers: int | None, progress: Callable[[int], None] | None
) -> list[tuple[str, RecordIn | None, list[Problem]]]:
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(paths) >= PARALLEL_THRESHOLD else 1
    results: list[tuple[str, RecordIn | None, list[Problem]]] = []
    if workers <= 1:
        for n, path in enumerate(paths, 1):
            results.append(_prepare(path))
            if progress is not None:
                progress(n)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    chunk = max(16, min(256, len(paths) // (workers * 8) or 1))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for n, item in enumerate(pool.map(_prepare, paths, chunksize=chunk), 1):
            results.append(item)
            if progress is not None and (n % 50 == 0 or n == len(paths)):
                progress(n)
    return results


def prepare_import(
    paths: Iterable[str | Path],
    *,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> list[tuple[str, RecordIn]]:
    """Read, validate and summarise files for an import, touching no store.

    Every problem of every file, and every id used by two files, is gathered into one
    :class:`CaseFileError`; nothing is returned unless all files are sound.
    """
    prepared = _prepare_all(list(paths), workers, progress)
    problems = [p for _, _, probs in prepared for p in probs]
    problems += duplicate_id_problems(
        [(src, rec.id) for src, rec, _ in prepared if rec is not None]
    )
    if problems:
        if all(p.field == "id" and "also used by" in p.message for p in problems):
            raise DuplicateIdError(problems)
        raise CaseFileError(problems)
    return [(source, record) for source, record, _ in prepared if record is not None]


def save_prepared(
    store: Store,
    prepared: Sequence[tuple[str, RecordIn]],
    *,
    author: str | None = None,
    reason: str = "import",
) -> ImportReport:
    """Save records from :func:`prepare_import` in one transaction."""
    return _save_records(store, prepared, author=author, reason=reason)


def import_files(
    store: Store,
    paths: Iterable[str | Path],
    *,
    author: str | None = None,
    reason: str = "import",
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Validate every file, then save them all in one transaction (or nothing at all).

    ``progress`` is called with the number of files read so far (for a progress bar).
    ``workers``: processes used to read and validate; default one per core for large imports.
    """
    prepared = prepare_import(paths, progress=progress, workers=workers)
    return save_prepared(store, prepared, author=author, reason=reason)


def get_document(
    store: Store, doc_id: str, version: int | None = None
) -> tuple[Document, StoredRecord]:
    """A stored document (validated again against the current schema) and its record."""
    record = store.get(doc_id, version)
    return document_from_record(record), record


def document_from_record(record: StoredRecord) -> Document:
    """The document of a stored version, validated again against the current schema."""
    return document_from_data(record.document, where=f"{record.id} (version {record.version})")


def load_documents(
    store: Store,
    *,
    kind: Literal["case", "cohort"] | None = None,
    status: Literal["final", "draft"] | None = "final",
    search: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Document]:
    """Every current document matching the filters, validated against the current schema.

    Reads them in one query (for cohort analyses); ``progress(done, total)`` is called as they are
    validated.
    """
    rows = list(store.documents(kind, status=status, search=search))
    docs: list[Document] = []
    # Building thousands of documents creates millions of objects that are all kept: the cyclic
    # garbage collector would traverse them again and again (it took 2/3 of the time), so it
    # is paused while they are built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for n, (doc_id, data) in enumerate(rows, 1):
            docs.append(document_from_data(data, where=f"{doc_id} (stored)"))
            if progress is not None and (n % 100 == 0 or n == len(rows)):
                progress(n, len(rows))
    finally:
        if collecting:
            gc.enable()
    return docs


def export_document(store: Store, doc_id: str, version: int | None = None) -> str:
    """YAML of a stored document that re-imports to an identical document."""
    doc, _ = get_document(store, doc_id, version)
    return dump_document(doc)


def history(store: Store, doc_id: str) -> list[VersionInfo]:
    """Every version of a document, oldest first."""
    versions = store.history(doc_id)
    if not versions:
        raise CaseNotFoundError(f"no case with id {doc_id!r} in the store")
    return versions


def list_documents(
    store: Store,
    *,
    kind: Literal["case", "cohort"] | None = None,
    status: Literal["final", "draft"] | None = None,
    search: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ListRow]:
    """Current state of stored documents, with their summaries (no documents are read)."""
    return store.list(kind, status=status, search=search, limit=limit, offset=offset)


_DocumentUnion = Annotated[Case | CohortAggregate, Field(discriminator="kind")]


def document_schema(kind: Literal["case", "cohort", "all"] = "all") -> dict[str, Any]:
    """JSON Schema generated from the model (never written by hand)."""
    if kind == "case":
        schema = Case.model_json_schema(by_alias=True)
    elif kind == "cohort":
        schema = CohortAggregate.model_json_schema(by_alias=True)
    else:
        schema = TypeAdapter(_DocumentUnion).json_schema(by_alias=True)
    schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    schema.setdefault("title", "remission document" if kind == "all" else schema.get("title"))
    return schema


def summary_json(summary: Summary) -> dict[str, Any]:
    return json.loads(summary.model_dump_json(by_alias=True))
