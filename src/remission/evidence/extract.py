"""Report text -> :class:`ExtractionResult`: the rule-based extractor ("rules 1", issue 6).

Steps: refuse what is not a report (binary, empty, not English, nothing clinical) with a warning
and an empty draft; clean the text (:mod:`.clean`); read it once with the medspaCy pipeline
(:mod:`.pipeline`, :mod:`.reading`); decide the document kind and each patient's sentences
(:mod:`.segment`); find the index therapies (:mod:`.therapies`), then every CaseSummary field
(:mod:`.demographics`, :mod:`.disease`, :mod:`.outcomes`), cohort counts (:mod:`.cohort_counts`)
and timeline events (:mod:`.events`). Every value keeps its evidence in the original text.
Deterministic: the same text always gives the same result.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from typing import Any

from pydantic import ValidationError

from remission.evidence.clean import CleanText, clean
from remission.evidence.cohort_counts import find_cohort, find_series_facts
from remission.evidence.demographics import find_age, find_sex
from remission.evidence.disease import find_disease, series_diagnosis
from remission.evidence.events import build_events
from remission.evidence.outcomes import find_outcomes
from remission.evidence.pipeline import process
from remission.evidence.reading import Found, Reading, chunks, quick, read
from remission.evidence.result import DocumentKind, ExtractionResult, PatientResult
from remission.evidence.segment import PatientScope, layout
from remission.evidence.table_rows import read_row
from remission.evidence.therapies import plan_index
from remission.model.evidence import ExtractedValue
from remission.model.summary import CaseSummary, CohortSummary

__all__ = ["EXTRACTOR_NAME", "MAX_CHARS", "RuleExtractor", "extract_text"]

EXTRACTOR_NAME = "rules 1"

#: Characters of cleaned text read from one input; a case report or series is far shorter.
MAX_CHARS = 300_000

_SUMMARY_ORDER = tuple(CaseSummary.model_fields)
#: Function words of English prose (a report has several in every sentence).
_COMMON_WORDS = frozenset(
    [
        "the",
        "of",
        "and",
        "in",
        "with",
        "was",
        "were",
        "a",
        "an",
        "to",
        "after",
        "for",
        "is",
        "on",
        "by",
        "at",
        "he",
        "she",
        "his",
        "her",
        "patient",
        "patients",
        "which",
        "from",
        "had",
        "has",
        "this",
    ]
)
_CLINICAL = re.compile(
    r"leuk(?:a)?emi|lymphoblastic|\bALL\b|\bCAR[- ]?T\b|chimeric antigen|blinatumomab|inotuzumab|transplant|HSCT|remission|relaps"
    r"|cel\b|leucel\b|\bCRS\b|\bICANS\b|cytokine release|\bMRD\b",
    re.IGNORECASE,
)
_CLINICAL = quick(_CLINICAL, "lacbithrm")


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _refusal(text: str) -> str | None:
    """Why the text cannot be a report (``None`` when it may be one)."""
    if not text.strip():
        return "the text is empty"
    sample = text[:200_000]
    controls = len(_CONTROL.findall(sample))
    if (
        "\x00" in sample
        or controls > len(sample) * 0.005
        or sample.count("\ufffd") > len(sample) * 0.01
    ):
        return "the input looks binary (NUL or control characters), not report text"
    letters = re.findall(r"[A-Za-z]+", sample[:20_000])  # the language shows in the first pages
    words = len(letters)
    if words < 5:
        return "the text has no English words to read"
    common = sum(1 for w in letters if w.lower() in _COMMON_WORDS)
    if common < max(2, 0.04 * words):
        return "the text does not look like English; only English reports are read"
    if not _CLINICAL.search(sample):
        return "the text says nothing about leukaemia or its treatment; nothing was extracted"
    return None


def _truncate(cleaned: CleanText, limit: int) -> CleanText:
    if len(cleaned.text) <= limit:
        return cleaned
    # cut at a paragraph break near the limit so no sentence is split
    cut = cleaned.text.rfind("\n", 0, limit)
    cut = cut if cut > limit // 2 else limit
    return CleanText(
        original=cleaned.original,
        text=cleaned.text[:cut],
        clean_starts=cleaned.clean_starts,
        original_starts=cleaned.original_starts,
        dropped=cleaned.dropped,
    )


def _values(found: list[Found]) -> tuple[dict[str, Found], list[ExtractedValue]]:
    by_field: dict[str, Found] = {}
    for f in found:
        by_field.setdefault(f.field, f)
    values = [
        ExtractedValue(field=f.field, value=f.value, evidence=f.evidence)
        for f in sorted(by_field.values(), key=lambda f: _field_rank(f.field))
    ]
    return by_field, values


def _field_rank(field: str) -> tuple[int, str]:
    base = field.split("[", 1)[0].split(".", 1)[0]
    return (_SUMMARY_ORDER.index(base) if base in _SUMMARY_ORDER else len(_SUMMARY_ORDER), field)


def _summary(by_field: dict[str, Found]) -> tuple[CaseSummary, list[str]]:
    """The CaseSummary of the values found; a value the schema rejects is dropped with a warning."""
    data: dict[str, Any] = {}
    therapies = sorted(
        (f for k, f in by_field.items() if k.startswith("index_therapies[")),
        key=lambda f: int(f.field[len("index_therapies[") : -1]),
    )
    for key, f in by_field.items():
        if not key.startswith("index_therapies["):
            data[key] = f.value
    if therapies:
        data["index_therapies"] = [f.value for f in therapies]
    notes: list[str] = []
    while True:
        try:
            return CaseSummary.model_validate(data), notes
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err.get("loc")}
            if not bad or not bad & set(data):
                return CaseSummary(), [*notes, f"summary rejected: {exc.error_count()} problems"]
            for key in bad & set(data):
                notes.append(
                    f"{key}: the value found ({data.pop(key)!r}) is not a valid {key}; left empty"
                )


def _patient(
    reading: Reading, scope: PatientScope, shared: list[Found] | None = None
) -> tuple[PatientResult, list[str]]:
    plan = plan_index(reading, scope)
    found: list[Found] = []
    if scope.header:  # a table row: what its cells state comes first
        found.extend(read_row(reading, list(scope.header), scope.sentences[0]))
    found.extend(find_age(reading, scope, plan))
    found.extend(find_sex(reading, scope))
    found.extend(find_disease(reading, scope, plan))
    found.extend(plan.found)
    found.extend(find_outcomes(reading, scope, plan))
    found.extend(
        shared or ()
    )  # what the series says of all its patients, when the patient's own text is silent
    by_field, values = _values(found)
    summary, notes = _summary(by_field)
    kept = [
        v
        for v in values
        if v.field.split("[", 1)[0] in summary.model_fields_set
        or v.field.startswith("index_therapies")
    ]
    events = build_events(reading, plan, by_field)
    return PatientResult(
        label=scope.label, summary=summary, values=tuple(kept), events=events
    ), notes


def _cohort(
    reading: Reading, sentences: tuple[Any, ...], n_described: int
) -> tuple[CohortSummary | None, list[ExtractedValue]]:
    found = find_cohort(reading, sentences)
    by_field, values = _values(found)
    if "n_patients" not in by_field or by_field["n_patients"].value < n_described:
        return None, []
    if n_described and "median_age_years" not in by_field and len(by_field) < 3:
        return None, []  # "3 of 3 responded" only restates the patients described
    data = {k: f.value for k, f in by_field.items()}
    try:
        cohort = CohortSummary.model_validate(data)
    except ValidationError:
        return None, []
    return cohort, [v.model_copy(update={"field": f"cohort.{v.field}"}) for v in values]


def extract_text(text: str, *, file: str | None = None) -> ExtractionResult:
    """Extract a draft from one report's text. Never raises on bad text: it warns instead."""
    if not isinstance(text, str):
        raise TypeError(f"extract_text reads text (str), not {type(text).__name__}")
    sha = _sha(text)
    refusal = _refusal(text)
    if refusal is not None:
        return ExtractionResult(
            file=file,
            kind="case_report",
            extractor=EXTRACTOR_NAME,
            text_sha256=sha,
            warnings=(refusal,),
        )
    messages: list[str] = []
    cleaned = clean(text)
    if len(cleaned.text) > MAX_CHARS:
        messages.append(
            f"the text has {len(cleaned.text):,} characters after cleaning; only the first "
            f"{MAX_CHARS:,} were read (a case report or series is far shorter)"
        )
        cleaned = _truncate(cleaned, MAX_CHARS)
    pieces = chunks(cleaned.text)
    with warnings.catch_warnings():
        # medspaCy keeps an empty token Matcher beside its phrase and regex matchers (spaCy W036)
        warnings.filterwarnings("ignore", message=r"\[W036\]")
        docs = process([piece for _, piece in pieces])
    reading = read(cleaned, [(offset, doc) for (offset, _), doc in zip(pieces, docs, strict=True)])
    lay = layout(reading)
    patients: list[PatientResult] = []
    shared: list[Found] = []
    if lay.kind == "case_series":
        shared = find_series_facts(reading, lay.cohort_sentences)
        diagnosis = series_diagnosis(
            reading, tuple(s for s in reading.sentences if s.role == "narrative")
        )
        # else the disease the title or background names for the series ("... for B-ALL
        # relapsing after transplantation", "relapse is the main cause of death in B-ALL")
        shared += diagnosis or series_diagnosis(
            reading, tuple(s for s in reading.sentences if s.role in ("background", "title"))
        )
    for scope in lay.patients:
        result, notes = _patient(reading, scope, shared)
        patients.append(result)
        messages.extend(f"{scope.label or 'patient'}: {n}" for n in notes)
    cohort: CohortSummary | None = None
    cohort_values: list[ExtractedValue] = []
    if lay.kind in ("cohort", "case_series"):
        cohort, cohort_values = _cohort(reading, lay.cohort_sentences, len(patients))
    kind: DocumentKind = lay.kind
    if kind == "cohort" and cohort is None:
        messages.append("the text reads as a cohort, but no patient count was found")
    return ExtractionResult(
        file=file,
        kind=kind,
        extractor=EXTRACTOR_NAME,
        text_sha256=sha,
        patients=tuple(patients),
        cohort=cohort,
        cohort_values=tuple(cohort_values),
        warnings=tuple(messages),
    )


class RuleExtractor:
    """The rule-based extractor behind the common extractor contract (``name``, ``extract``)."""

    name = EXTRACTOR_NAME

    def extract(self, text: str, file: str | None = None) -> ExtractionResult:
        return extract_text(text, file=file)
