"""The extraction API the command line and the web app share (issue 6).

Read report texts safely, run an extractor, turn results into drafts, write or store them, and
apply review decisions to stored drafts (each decision is a new version of the draft, with who,
when and why). The faces only parse arguments and print.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from remission.api import ImportReport, current_user, get_document, import_documents, record_for
from remission.casefile import Document, dump_document, load_file
from remission.evidence.draft import draft_cases, draft_cohort
from remission.evidence.evaluate import Extractor
from remission.evidence.result import ExtractionResult
from remission.evidence.review import Action, accept_all, decide, finalize
from remission.exceptions import ExtractionError, Problem, ReviewError
from remission.model import Case
from remission.store import SaveResult, Store

__all__ = [
    "MAX_TEXT_BYTES",
    "FileExtraction",
    "ReportText",
    "accept_all_values",
    "drafts_for",
    "extract_files",
    "extract_texts",
    "finalize_draft",
    "get_extractor",
    "load_draft",
    "read_report",
    "read_reports",
    "review_value",
    "save_drafts",
    "text_sha256",
    "text_warnings",
    "write_drafts",
]

#: Report texts larger than this are refused: a full case report or series is well under 200 kB,
#: and a draft keeps its text (the extraction block holds at most 2 million characters).
MAX_TEXT_BYTES = 2_000_000


@dataclass(frozen=True)
class ReportText:
    """A report read from a file: its text and what was odd about reading it."""

    path: str
    text: str
    warnings: tuple[str, ...] = ()


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1e3:.1f} kB"


def _decode(raw: bytes, where: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), ["the file is UTF-16 text; read as such"]
        except UnicodeDecodeError:
            raise ExtractionError(Problem("the file is not readable UTF-16 text", where)) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise ExtractionError(
            Problem(
                f"this is a binary file, not a report text (a NUL byte at position {nul})", where
            )
        )
    try:
        return raw.decode("utf-8-sig"), notes
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise ExtractionError(
            Problem(
                f"the file is neither UTF-8 nor Windows-1252 text (byte 0x{raw[bad]:02x} at "
                f"position {bad}); save it as UTF-8",
                where,
            )
        ) from None
    notes.append(
        f"the file is not UTF-8 (byte 0x{raw[bad]:02x} at position {bad}); it was read as "
        "Windows-1252: check accented letters and symbols"
    )
    return text, notes


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _english_stop_words() -> frozenset[str]:
    """spaCy's English function words (importing spaCy warns about its own dependencies)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from spacy.lang.en.stop_words import STOP_WORDS
    return frozenset(STOP_WORDS)


def text_warnings(text: str) -> list[str]:
    """Caveats about a text before extraction: empty, control characters, not English."""
    out = []
    if not text.strip():
        return ["the text is empty: nothing can be extracted"]
    controls = len(_CONTROL.findall(text))
    if controls > max(10, len(text) // 100):
        out.append(f"the text holds {controls} control characters: is it really a text file?")
    words = [w.lower() for w in _WORD.findall(text[:200_000])]
    if len(words) >= 20:
        english_words = _english_stop_words()
        english = sum(1 for w in words if w in english_words)
        if english / len(words) < 0.05:
            out.append(
                "the text does not look like English (few English function words); the "
                "rule-based extractor reads English only"
            )
    return out


def read_report(path: str | Path, *, max_bytes: int = MAX_TEXT_BYTES) -> ReportText:
    """Read one report text: UTF-8 (with or without BOM), else Windows-1252 with a warning.

    Raises :class:`ExtractionError` for a missing file, a folder, a binary file or one over
    ``max_bytes``.
    """
    p = Path(path)
    where = str(path)
    try:
        if p.is_dir():
            raise ExtractionError(Problem("this is a folder, not a report text", where))
        size = p.stat().st_size
        if size > max_bytes:
            raise ExtractionError(
                Problem(
                    f"the file is {_size(size)}; report texts are limited to {_size(max_bytes)}",
                    where,
                )
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ExtractionError(Problem("no such file", where)) from None
    except PermissionError:
        raise ExtractionError(
            Problem("the file cannot be read (permission denied)", where)
        ) from None
    except OSError as exc:
        raise ExtractionError(Problem(f"the file cannot be read: {exc.strerror}", where)) from None
    if len(raw) > max_bytes:  # grew while we looked
        raise ExtractionError(Problem(f"the file is over {_size(max_bytes)}", where))
    text, notes = _decode(raw, where)
    return ReportText(where, text, tuple(notes + text_warnings(text)))


def read_reports(paths: Iterable[str | Path]) -> list[ReportText]:
    """Read every text first; :class:`ExtractionError` lists every file that cannot be read."""
    texts: list[ReportText] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            texts.append(read_report(path))
        except ExtractionError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ExtractionError(problems)
    return texts


def get_extractor(
    name: str = "rules",
    *,
    llm_url: str | None = None,
    llm_model: str | None = None,
    llm_key: str | None = None,
    llm_timeout: float | None = None,
) -> Extractor:
    """The rule-based extractor (default, needs nothing at run time) or the language-model one.

    The language model is used only when asked for by name; its endpoint, model and key come
    from the arguments, else ``REMISSION_LLM_URL``, ``REMISSION_LLM_MODEL``,
    ``REMISSION_LLM_API_KEY`` (:mod:`remission.evidence.llm`).
    """
    if name == "rules":
        with warnings.catch_warnings():  # spaCy's imports warn about their own dependencies
            warnings.simplefilter("ignore", DeprecationWarning)
            from remission.evidence.extract import RuleExtractor

        return RuleExtractor()
    if name == "llm":
        from remission.evidence.llm import LLMExtractor

        return LLMExtractor.configured(
            url=llm_url, model=llm_model, api_key=llm_key, timeout=llm_timeout
        )
    raise ExtractionError(Problem(f"unknown extractor {name!r}; use 'rules' or 'llm'"))


@dataclass(frozen=True)
class FileExtraction:
    """One input file, its text and what was extracted from it."""

    path: str
    text: str
    result: ExtractionResult


def _no_findings(result: ExtractionResult) -> bool:
    return result.cohort is None and not any(p.values or p.events for p in result.patients)


def extract_texts(
    texts: Sequence[ReportText],
    extractor: Extractor,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[FileExtraction]:
    """Extract each text read by :func:`read_reports`.

    Reading caveats (encoding, an empty or non-English text) and "nothing found" become warnings
    of the result, which the CLI prints; extraction is deterministic.
    """
    out = []
    for n, report in enumerate(texts, 1):
        result = extractor.extract(report.text, file=report.path)
        extra = list(report.warnings)
        if _no_findings(result) and report.text.strip():
            extra.append("no clinical values were found in this text")
        if extra:
            result = result.model_copy(
                update={"warnings": tuple(dict.fromkeys([*result.warnings, *extra]))}
            )
        out.append(FileExtraction(report.path, report.text, result))
        if progress is not None:
            progress(n)
    return out


def extract_files(
    paths: Sequence[str | Path],
    extractor: Extractor | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> list[FileExtraction]:
    """Read every file (all must be readable, else nothing is extracted), then extract each
    (with the rule-based extractor unless another is given)."""
    texts = read_reports(paths)
    return extract_texts(texts, extractor or get_extractor("rules"), progress=progress)


def drafts_for(item: FileExtraction, *, id_prefix: str | None = None) -> list[Document]:
    """The draft documents of one file: a Case per patient, and a cohort draft for counts."""
    docs: list[Document] = list(draft_cases(item.result, item.text, id_prefix=id_prefix))
    if item.result.cohort is not None:
        prefix = f"{id_prefix}-cohort" if id_prefix else None
        cohort = draft_cohort(item.result, item.text, id_prefix=prefix)
        if cohort is not None:
            if any(d.id == cohort.id for d in docs):
                cohort = cohort.model_copy(update={"id": f"{cohort.id[:70]}-cohort"})
            docs.append(cohort)
    return docs


def write_drafts(docs: Iterable[Document], out_dir: str | Path) -> list[Path]:
    """Write each draft as a case file ``<id>.yaml`` in ``out_dir`` (created if needed)."""
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise ExtractionError(Problem("not a folder", str(folder)))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in docs:
        path = folder / f"{doc.id}.yaml"
        path.write_text(dump_document(doc), encoding="utf-8")
        written.append(path)
    return written


def save_drafts(store: Store, docs: Sequence[Document], author: str | None = None) -> ImportReport:
    """Store drafts (one transaction), each as a new version with reason ``extract: draft``."""
    labelled = [
        ((d.extraction.file if isinstance(d, Case) and d.extraction else None) or d.id, d)
        for d in docs
    ]
    return import_documents(store, labelled, author=author, reason="extract: draft")


def load_draft(path: str | Path) -> Case:
    """A draft case file, validated (:class:`ReviewError` when it is a cohort)."""
    doc = load_file(path).document
    if not isinstance(doc, Case):
        raise ReviewError(Problem("a cohort document has no extracted values to review", str(path)))
    return doc


def _stored_case(store: Store, doc_id: str) -> tuple[Case, int]:
    doc, record = get_document(store, doc_id)
    if not isinstance(doc, Case):
        raise ReviewError(Problem("a cohort document has no extracted values to review", doc_id))
    return doc, record.version


def _review_step(
    store: Store,
    doc_id: str,
    change: Callable[[Case], Case],
    *,
    reviewer: str,
    reason: str,
    expected_version: int | None,
) -> tuple[Case, SaveResult]:
    """Load a stored draft, apply one review step, save the result as a new version.

    ``expected_version`` (the version the reviewer saw; default the one just read) guards
    against overwriting someone else's decision (:class:`~remission.exceptions.VersionConflictError`).
    """
    case, version = _stored_case(store, doc_id)
    updated = change(case)
    saved = store.save(
        record_for(updated),
        author=reviewer,
        reason=reason[:500],
        expected_version=version if expected_version is None else expected_version,
    )
    return updated, saved


def review_value(
    store: Store,
    doc_id: str,
    field: str,
    action: Action,
    value: Any = None,
    reviewer: str | None = None,
    expected_version: int | None = None,
    note: str | None = None,
) -> tuple[Case, SaveResult]:
    """Apply one decision to a stored draft and save it as a new version with the reason
    ``review: <action> <field>``."""
    who = reviewer or current_user()
    return _review_step(
        store,
        doc_id,
        lambda case: decide(case, field, action, value=value, reviewer=who, note=note),
        reviewer=who,
        reason=f"review: {action} {field}",
        expected_version=expected_version,
    )


def accept_all_values(
    store: Store,
    doc_id: str,
    reviewer: str | None = None,
    expected_version: int | None = None,
) -> tuple[Case, SaveResult]:
    """Accept every pending value of a stored draft (one new version)."""
    who = reviewer or current_user()
    return _review_step(
        store,
        doc_id,
        lambda case: accept_all(case, reviewer=who),
        reviewer=who,
        reason="review: accept all pending values",
        expected_version=expected_version,
    )


def finalize_draft(
    store: Store,
    doc_id: str,
    reviewer: str | None = None,
    expected_version: int | None = None,
) -> tuple[Case, SaveResult]:
    """Finalise a stored draft whose values are all decided (saved with ``review: finalize``)."""
    who = reviewer or current_user()
    return _review_step(
        store,
        doc_id,
        lambda case: finalize(case, reviewer=who),
        reviewer=who,
        reason="review: finalize",
        expected_version=expected_version,
    )


def text_sha256(text: str) -> str:
    """The SHA-256 an extraction records for its text (UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
