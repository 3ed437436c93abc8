"""Which patients a text describes, and what kind of document it is.

A case series names its patients ("Patient 1:", "Case 2.", "P3", "the second patient"); each
patient's sentences run from its label to the next label or to the discussion. Text before the
first label (title, background) is shared by all of them. A text with no patients of its own but
aggregate numbers ("n = 22", "14 patients were included", "median age") is a cohort.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from remission.evidence.numbers import NUMBER, number
from remission.evidence.reading import Reading, Sentence, quick
from remission.evidence.result import DocumentKind
from remission.evidence.table_rows import header_cells, row_label, rule_line

__all__ = ["Layout", "PatientScope", "layout"]

#: A patient label at a sentence start, also after a run-in heading ("Results: The first
#: patient, a 19-year-old man ..."), and the first cell of a table row ("1 | 33 y | M | ...",
#: "P2 | ...") when the header row names the patient column ("Pt | age/sex | ...").
_RUN_IN = r"(?:(?:results?|findings|cases?(?: descriptions?| presentations?)?|patients?(?: and methods)?)\s*:\s*)?"
_LABEL = re.compile(
    rf"^\W{{0,4}}{_RUN_IN}(?P<label>(?:patient|case|pt\.?|subject|child|infant)\s*(?:no\.?\s*)?#?\s*(?P<n>\d{{1,2}}|[IVX]{{1,4}}|[A-H])"
    r"|P(?P<p>\d{1,2}))\b\s*(?:\*\*)?\s*(?:[:.),\-|]|\s+(?:was|is|had|presented|developed|received)\b|\s*(?:\*\*)?\s*$)"
    rf"|^\W{{0,4}}{_RUN_IN}(?:the |in the )?(?P<ord>first|second|third|fourth|fifth|sixth) (?:patient|case|child)\b",
    re.IGNORECASE,
)
_ORD = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
_ROMAN = {
    "I": 1,
    "II": 2,
    "III": 3,
    "IV": 4,
    "V": 5,
    "VI": 6,
    "VII": 7,
    "VIII": 8,
    "IX": 9,
    "X": 10,
}

_COHORT = re.compile(
    r"\bmedian age\b|\bn\s*=\s*\d{1,4}\b"
    rf"|\b(?:included|enrolled|comprised|analy[sz]ed|treated|identified|involved|recruited)\s+(?P<a>{NUMBER})\s+"
    r"(?:consecutive |pediatric |paediatric |adult |evaluable )?(?:patients|children|adults|subjects|cases|infants|adolescents)\b"
    rf"|\b(?P<b>{NUMBER})\s+(?:consecutive |pediatric |paediatric |adult |evaluable )?(?:patients|children|adults|subjects|infants|adolescents)\s+"
    r"(?:with|were|who|received|treated|aged|had|underwent|from)\b",
    re.IGNORECASE,
)
_SINGLE = re.compile(
    r"\b(?:a|an)\s+\d+[- ](?:year|month)[- ]old\b|\b(?:a|an|one|single) (?:\w+ )?(?:patient|case|boy|girl|man|woman)\b"
    r"|\bcase report\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PatientScope:
    """One patient's sentences (usable ones, in order) and the sentences shared by all."""

    label: str | None
    sentences: tuple[Sentence, ...]
    shared: tuple[Sentence, ...] = ()
    header: tuple[str, ...] = ()
    """The column names when the patient is a row of a per-patient table (its first sentence)."""

    @property
    def all(self) -> tuple[Sentence, ...]:
        """Shared sentences first, then the patient's own (document order)."""
        return self.shared + self.sentences


@dataclass(frozen=True)
class Layout:
    kind: DocumentKind
    patients: tuple[PatientScope, ...]
    cohort_sentences: tuple[Sentence, ...]


def _label_number(m: re.Match[str]) -> int | None:
    if m.group("ord"):
        return _ORD[m.group("ord").lower()]
    raw = m.group("n") or m.group("p")
    if raw is None:
        return None
    if raw.isdigit():
        return int(raw)
    if raw.upper() in _ROMAN:
        return _ROMAN[raw.upper()]
    return ord(raw.upper()) - ord("A") + 1


def _labels(reading: Reading) -> list[tuple[int, int, str]]:
    """``(sentence index, patient number, label)`` for each patient label at a sentence start."""
    out: list[tuple[int, int, str]] = []
    for s in reading.sentences:
        m = _LABEL.match(s.text.lstrip())
        if not m:
            continue
        n = _label_number(m)
        if n is None:
            continue
        label = m.group("label") or f"Patient {n}"
        out.append((s.index, n, re.sub(r"\s+", " ", label.strip())))
    # keep the first run of distinct, increasing numbers starting at 1
    kept: list[tuple[int, int, str]] = []
    for item in out:
        if item[1] == len(kept) + 1:
            kept.append(item)
    return kept


def _table(reading: Reading) -> tuple[list[str], list[tuple[int, int]]] | None:
    """The header and ``(sentence index, patient number)`` rows of a per-patient table."""
    sentences = reading.sentences
    for k, s in enumerate(sentences):
        header = header_cells(s) if "|" in s.text else None
        if header is None:
            continue
        rows: list[tuple[int, int]] = []
        for r in sentences[k + 1 :]:
            if rule_line(r):
                continue  # "---|---|---" under a Markdown header
            n = row_label(r, len(header))
            if n != len(rows) + 1:
                break
            rows.append((r.index, n))
        if len(rows) >= 2:
            return header, rows
    return None


_NAMED = re.compile(
    r"\b(?:patients?|pts?\.?|cases?|P)\s*#?\s*(?P<n>\d{1,2})\b(?!\s*(?:%|months?|years?|days?))",
    re.IGNORECASE,
)


def _table_layout(reading: Reading, header: list[str], rows: list[tuple[int, int]]) -> Layout:
    """A series written as a table: each patient is its row and the later sentences that name
    that patient alone ("Patient 1 developed skin GVHD", "In patient 2 the nodules regressed")."""
    sentences = reading.sentences
    first, last = rows[0][0], rows[-1][0]
    # the text above a table introduces the whole series ("Patients received tisagenlecleucel")
    shared = tuple(
        s for s in sentences[:first] if s.usable or s.role in ("background", "narrative")
    )
    later = [s for s in sentences[last + 1 :] if s.role in ("narrative", "results") or s.usable]
    patients: list[PatientScope] = []
    for index, n in rows:
        own = [replace(sentences[index], role="narrative")]
        for s in later:
            named = {int(m.group("n")) for m in _NAMED.finditer(s.text)}
            if named == {n}:
                own.append(replace(s, role="narrative") if s.role != "narrative" else s)
        patients.append(
            PatientScope(label=f"Pt {n}", sentences=tuple(own), shared=shared, header=tuple(header))
        )
    aggregate = tuple(s for s in sentences if s.role == "narrative" or s.usable or s.generic)
    return Layout("case_series", tuple(patients), aggregate)


def layout(reading: Reading) -> Layout:
    """Decide the document kind and each patient's sentences."""
    sentences = reading.sentences
    table = _table(reading) if "|" in reading.text else None
    if table is not None:
        return _table_layout(reading, *table)
    labels = _labels(reading)
    if len(labels) >= 2:
        patients: list[PatientScope] = []
        first = labels[0][0]
        # the preamble of a series speaks of all its patients ("we treated four patients with ...")
        shared = tuple(
            s
            for s in sentences[:first]
            if s.usable
            or (
                s.role == "background"
                and re.search(
                    r"\bwe\b|\bour (?:centre|center|institution|unit)", s.text, re.IGNORECASE
                )
            )
        )
        for k, (start, _n, label) in enumerate(labels):
            stop = labels[k + 1][0] if k + 1 < len(labels) else len(sentences)
            own: list[Sentence] = []
            section = sentences[start].section
            for s in sentences[start:stop]:
                if s.index > start and _ends_patient(s, section):
                    break  # a heading, the discussion or the series summary ends the patient
                # a patient's own paragraph is narrative whatever heading stands above it
                own.append(replace(s, role="narrative") if s.role != "narrative" else s)
            patients.append(PatientScope(label=label, sentences=tuple(own), shared=shared))
        aggregate = tuple(s for s in sentences if s.role == "narrative" or s.usable or s.generic)
        return Layout("case_series", tuple(patients), aggregate)
    narrative = [s for s in sentences if s.role == "narrative"]
    cohort_hits = [s for s in narrative if _cohort_sentence(s)]
    single = any(_SINGLE.search(s.text) for s in narrative)
    if cohort_hits and not single:
        return Layout("cohort", (), tuple(narrative))
    usable = tuple(s for s in sentences if s.usable)
    return Layout("case_report", (PatientScope(label=None, sentences=usable),), ())


_HEADING_LINE = re.compile(r"^\s*[#*]*\s*[A-Z][\w ,&/-]{0,60}\s*[*:]*\s*\n", re.IGNORECASE)
_AGGREGATE = re.compile(
    r"\b(?:of the \d+|all \d+|the (?:\w+ )?patients|these patients|our patients|of them|the series|median|in total|overall)\b",
    re.IGNORECASE,
)


def _ends_patient(s: Sentence, section: str | None) -> bool:
    """A sentence that cannot belong to the patient being read."""
    if s.section != section and s.role != "narrative":
        return True
    text = s.text.strip()
    if (
        _HEADING_LINE.match(s.text.lstrip() + "\n")
        and not re.search(r"[.!?]$", text)
        and len(text.split()) <= 6
    ):
        return True
    return bool(_AGGREGATE.search(s.text)) and not re.search(
        r"\b(?:he|she|his|her)\b", s.text, re.IGNORECASE
    )


_COHORT_HINT = re.compile(
    r"patients|children|adults|subjects|cases|infants|adolescents|median|n\s*=", re.IGNORECASE
)
_COHORT_HINT = quick(_COHORT_HINT, "pcasimn")


def _cohort_sentence(s: Sentence) -> bool:
    if not _COHORT_HINT.search(s.text):
        return False
    for m in _COHORT.finditer(s.text):
        raw = m.group("a") or m.group("b")
        if raw is None:
            return True
        n = number(raw)
        if n is not None and n >= 3:
            return True
    return False
