"""Per-patient table rows: a case series written as a flattened table, one row per patient.

Congress abstracts and pasted PDF tables put a series in rows whose cells are separated by
``|``, under a header row that names the columns::

    Pt | age/sex | prior HSCT | relapse | CRS | ICANS | best response | outcome
    1 | 33-yr-old M | haplo | first, marrow only | grade 1 | none | MRD-negative CR | alive, CR, 12 mo

A cell means what its column says, so a bare "grade 1" is the CRS grade in the CRS column and
"none" is grade 0 in the ICANS column. :func:`header_cells` recognises the header row (its first
cell names the patient column, at least three other cells); :func:`row_label` the first cell of a
row ("1", "P2", "Pt 3", "#4", "A"); :func:`read_row` turns one row into field values, each with
its cell as evidence. The field meanings are those of DESIGN.md ("CaseSummary") and
``corpus/GUIDELINES.md``; column names are matched by the words clinicians use for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from remission.evidence.numbers import age_years, find_ages, ordinal
from remission.evidence.reading import Found, Reading, Sentence
from remission.model.vocab import load_vocabulary

__all__ = ["header_cells", "read_row", "row_label", "rule_line"]

#: The first cell of a header row: the patient column.
_PATIENT_COLUMN = re.compile(
    r"^\W{0,4}(?:pts?\.?|patients?|case|no\.?|#|id|subject|n°)\s*$", re.IGNORECASE
)
#: The first cell of a patient row: "1", "P2", "Pt 3", "Patient 4", "#5", "A", "Case 2".
_ROW_LABEL = re.compile(
    r"^\W{0,4}(?:(?:pt\.?|patient|case|#|no\.?)\s*#?\s*|P)?(?P<n>\d{1,2}|[A-H])\s*$", re.IGNORECASE
)
#: Columns by the words in their header (first match wins, in this order).
_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("age_sex", r"\bage\b.*\bsex\b|\bsex\b.*\bage\b|\bage\s*/\s*gender|\bgender\s*/\s*age"),
        ("age", r"\bage\b"),
        ("sex", r"\bsex\b|\bgender\b"),
        (
            "prior_hsct",
            r"\b(?:prior|previous|earlier|pre)[- ]?(?:allo[- ]?)?(?:hsct|sct|hct|bmt|transplant)",
        ),
        (
            "bridge",
            r"\b(?:bridg\w*|consolidat\w*|subsequent|post[- ]?car[- ]?t?)\b.*(?:hsct|sct|hct|transplant)",
        ),
        ("crs", r"\bcrs\b|cytokine release"),
        ("icans", r"\bicans\b|neurotox\w*|\bnt\b"),
        ("gvhd", r"\bgv?hd\b"),
        ("mrd", r"\bmrd\b"),
        ("response", r"\bresponse\b|\bbest\b|\bremission\b|day[- ]?28|\bd28\b"),
        ("relapse", r"\brelapse\b|\bdisease status\b|\bstatus at\b|\bline\b"),
        ("outcome", r"\boutcome\b|\bstatus\b|\bfollow[- ]?up\b|\bf/?u\b|\blast\b"),
    )
)
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_NONE = re.compile(r"^\W*(?:none|no|nil|absent|0|-|—|–|n)\W*$", re.IGNORECASE)
_GRADE = re.compile(r"^\W*(?:(?:grade|gr\.?|G)\s*)?(?P<g>[0-5]|IV|V|I{1,3})\b", re.IGNORECASE)
_SEX = re.compile(
    r"(?-i:\b(?P<m>M)\b|\b(?P<f>F)\b)|\b(?P<m2>male|man|boy)\b|\b(?P<f2>female|woman|girl)\b",
    re.IGNORECASE,
)
_RESPONSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "NR",
        re.compile(
            r"\bno (?:response|remission)\b|\bnon[- ]?respon\w*|\bNR\b|\brefractory\b|\bPD\b|\bSD\b|\bprogress\w*",
            re.IGNORECASE,
        ),
    ),
    (
        "CRi",
        re.compile(
            r"\bCR[ih]\b|\bMLFS\b|incomplete (?:count|blood|haematolog\w*|hematolog\w*) recovery",
            re.IGNORECASE,
        ),
    ),
    ("CR", re.compile(r"\bCR\b|\bcomplete (?:remission|response)\b|\bremission\b", re.IGNORECASE)),
    ("PR", re.compile(r"\bPR\b|\bpartial\b", re.IGNORECASE)),
)
_MRD_NEG = re.compile(
    r"\bMRD[- ]?(?:neg\w*|-(?!\w))|\bMRD\s+(?:undetectable|negative)", re.IGNORECASE
)
_MRD_POS = re.compile(r"\bMRD[- ]?(?:pos\w*|\+)|\bMRD\s+(?:positive|detectable)", re.IGNORECASE)
#: An MRD column's cell: "negative", "neg", "<0.01%", "undetectable"; "positive", "0.08%".
_MRD_CELL_NEG = re.compile(
    r"\bneg\w*|\bundetect\w*|\bnot detected\b|<\s*(?:0\.01|10)", re.IGNORECASE
)
_MRD_CELL_POS = re.compile(r"\bpos\w*|\bdetectable\b|\d+(?:\.\d+)?\s*%", re.IGNORECASE)
_DEAD = re.compile(r"\b(?:died|dead|deceased|death|expired|succumbed)\b|†", re.IGNORECASE)
_ALIVE = re.compile(r"\balive\b|\bliving\b", re.IGNORECASE)
_RELAPSED = re.compile(r"\brelapse[ds]?\b|\brecurrence\b", re.IGNORECASE)
_IN_REMISSION = re.compile(r"\b(?:CR|remission|MRD[- ]?neg\w*)\b", re.IGNORECASE)
_MONTHS = re.compile(
    r"(?P<n>\d{1,3}(?:\.\d)?)\s*(?:mo|mos|months?)\b|\b(?:mo|month)\s*(?P<n2>\d{1,3}(?:\.\d)?)\b",
    re.IGNORECASE,
)
_YES = re.compile(
    r"^\W*(?:yes|y|present|\+)\W*$|\bgrade\b|\bacute\b|\bchronic\b|\bskin\b|\bgut\b|\bliver\b",
    re.IGNORECASE,
)
_ORDINAL_WORD = re.compile(
    r"\b(?P<o>first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\b|(?-i:\bR(?P<r>[1-9])\b)",
    re.IGNORECASE,
)


def _split(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, text)`` of each ``|``-separated cell of a line, trimmed, offsets in the
    line; the empty cells outside border pipes ("| 1 | 33 y |") are not cells."""
    out: list[tuple[int, int, str]] = []
    pos = 0
    for part in text.split("|"):
        lead = len(part) - len(part.lstrip())
        body = part.strip()
        out.append((pos + lead, pos + lead + len(body), body))
        pos += len(part) + 1
    if len(out) > 1 and not out[0][2] and text.lstrip().startswith("|"):
        out = out[1:]
    if len(out) > 1 and not out[-1][2] and text.rstrip().endswith("|"):
        out = out[:-1]
    return out


def header_cells(s: Sentence) -> list[str] | None:
    """The column names when ``s`` is the header row of a per-patient table, else ``None``."""
    if s.text.count("|") < 3:
        return None
    cells = [body for _, _, body in _split(s.text)]
    if not _PATIENT_COLUMN.match(cells[0]):
        return None
    # a numbered table of anything else ("No. | parameter | value") is not a patient table
    if sum(_column(name) is not None for name in cells[1:]) < 2:
        return None
    return cells


def rule_line(s: Sentence) -> bool:
    """A line that only draws the table ("---|:---:|---")."""
    return "|" in s.text and not s.text.strip(" |-:=+\n\t")


def row_label(s: Sentence, width: int) -> int | None:
    """The patient number of a table row with ``width`` cells (as its header), else ``None``."""
    cells = _split(s.text)
    if abs(len(cells) - width) > 1:
        return None
    m = _ROW_LABEL.match(cells[0][2])
    if not m:
        return None
    raw = m.group("n")
    return int(raw) if raw.isdigit() else ord(raw.upper()) - ord("A") + 1


def _column(name: str) -> str | None:
    for column, pattern in _COLUMNS:
        if pattern.search(name):
            return column
    return None


def read_row(reading: Reading, header: list[str], row: Sentence) -> list[Found]:
    """The field values one patient row states, each with its cell as evidence."""
    out: list[Found] = []
    cells = [(row.start + a, row.start + b, body) for a, b, body in _split(row.text)]
    for name, (start, end, text) in zip(header[1:], cells[1:], strict=False):
        column = _column(name)
        if column is None or not text:
            continue
        out.extend(_cell(reading, row, column, start, end, text))
    return out


def _found(
    reading: Reading, row: Sentence, field: str, value: object, span: tuple[int, int]
) -> Found:
    ev = reading.evidence(span, rule=f"{field}.table", match="normalized", section=row.section)
    return Found(field, value, (ev,), span[0])


def _cell(
    reading: Reading, row: Sentence, column: str, start: int, end: int, text: str
) -> Iterator[Found]:
    span = (start, end)
    if column in ("age", "age_sex"):
        ages = [y for m in find_ages(text) if (y := age_years(m)) is not None]
        bare = re.match(r"^\s*(\d{1,2}(?:\.\d)?)\s*(?:y|yrs?|years?)?\b", text)
        if ages:
            yield _found(reading, row, "age_years", ages[0], span)
        elif bare:
            yield _found(reading, row, "age_years", float(bare.group(1)), span)
    if column in ("sex", "age_sex"):
        m = _SEX.search(text)
        if m:
            sex = "male" if (m.group("m") or m.group("m2")) else "female"
            yield _found(reading, row, "sex", sex, span)
    if column == "prior_hsct":
        yield _found(reading, row, "prior_hsct", not _NONE.match(text), span)
    if column == "bridge":
        yield _found(reading, row, "bridged_to_hsct", not _NONE.match(text), span)
    if column in ("crs", "icans"):
        field = "crs_max_grade" if column == "crs" else "icans_max_grade"
        g = _GRADE.match(text)
        if _NONE.match(text):
            yield _found(reading, row, field, 0, span)
        elif g:
            raw = g.group("g").upper()
            yield _found(reading, row, field, int(raw) if raw.isdigit() else _ROMAN[raw], span)
    if column == "gvhd":
        if _NONE.match(text):
            yield _found(reading, row, "gvhd", False, span)
        elif _YES.search(text):
            yield _found(reading, row, "gvhd", True, span)
    if column == "mrd":
        if _MRD_CELL_NEG.search(text):
            yield _found(reading, row, "mrd_negative", True, span)
        elif _MRD_CELL_POS.search(text):
            yield _found(reading, row, "mrd_negative", False, span)
    if column in ("response", "outcome"):
        if _MRD_NEG.search(text):
            yield _found(reading, row, "mrd_negative", True, span)
        elif _MRD_POS.search(text):
            yield _found(reading, row, "mrd_negative", False, span)
    if column == "response":
        for code, pattern in _RESPONSES:
            if pattern.search(text):
                yield _found(reading, row, "response", code, span)
                break
    if column == "relapse":
        m = _ORDINAL_WORD.search(text)
        n = (ordinal(m.group("o")) if m.group("o") else int(m.group("r"))) if m else None
        if n is not None:
            yield _found(reading, row, "relapse_count", n, span)
        yield from _sites(reading, row, start, end)
    if column == "outcome":
        dead, alive = _DEAD.search(text), _ALIVE.search(text)
        if dead:
            yield _found(reading, row, "alive_at_last_follow_up", False, span)
        elif alive:
            yield _found(reading, row, "alive_at_last_follow_up", True, span)
        if _RELAPSED.search(text):
            yield _found(reading, row, "relapse_after", True, span)
        elif alive and _IN_REMISSION.search(text):
            yield _found(reading, row, "relapse_after", False, span)
        months = [float(m.group("n") or m.group("n2")) for m in _MONTHS.finditer(text)]
        if months:
            yield _found(reading, row, "follow_up_months", max(months), span)


def _sites(reading: Reading, row: Sentence, start: int, end: int) -> Iterator[Found]:
    """Extramedullary sites named in the relapse cell (marrow and blood are not)."""
    sites = load_vocabulary("sites")
    found: dict[str, tuple[int, int]] = {}
    for m in row.find("SITE"):
        if not (start <= m.start and m.end <= end) or not m.asserted:
            continue
        term = sites.get(m.meta["id"])
        summary = term.attributes.get("summary") if term is not None else None
        if summary is not None:
            found.setdefault(str(summary), (m.start, m.end))
    order = ["cns", "testis", "skin", "lymph_node", "soft_tissue", "bone", "other"]
    names = [k for k in order if k in found]
    if names:
        evs = tuple(
            reading.evidence(found[k], rule=f"site.{k}.table", match="synonym", section=row.section)
            for k in names
        )
        yield Found("extramedullary_sites", names, evs, min(a for a, _ in found.values()))
    if "cns" in found:
        yield _found(reading, row, "cns_involvement", True, found["cns"])
