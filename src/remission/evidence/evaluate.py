"""Scoring an extractor against the gold corpus: per-field precision, recall and F1 (issue 6, item 4).

How a value counts (docs/extraction.md, "Evaluation", says the same for users):

* **Patients** are aligned in order: the first patient the extractor found with the first gold
  patient, and so on. Every value of an extra predicted patient is a false positive; every value of
  a missed gold patient a false negative.
* **A single value** (``sex``, ``crs_max_grade``, ``cohort.n_crs_any``, the document ``kind``):
  equal -> true positive; both given but different -> one false positive *and* one false negative;
  only gold -> false negative; only predicted -> false positive (gold omits what the text does not
  support, so a value there is a claim the text does not make). Numbers match within a tolerance
  (:data:`TOLERANCE`): age 0.05 years, follow-up 0.5 months, cohort median age 0.05 years.
* **Lists** (``abl_kinase_mutations``, ``extramedullary_sites``) are compared as sets: each element
  in both is a true positive, each extra a false positive, each missing a false negative.
* **Index therapies** are scored per sub-attribute (``index_therapies.class``, ``.agent``,
  ``.target``, ``.cell_source``, ``.costimulatory``, ``.courses``). Rows are paired within a class
  in order (the first gold CAR-T row with the first predicted CAR-T row); a paired row scores
  ``class`` as a true positive and each other attribute as a single value (``costimulatory`` as a
  set); an unpaired gold row counts its class and every stated attribute as false negatives, an
  unpaired predicted row as false positives. A row of the wrong class is thus one miss and one
  false alarm, with all its attributes.

Micro figures pool the counts of every field; macro F1 is the mean of the per-field F1 over fields
with any gold or predicted value. F1 is 2TP / (2TP + FP + FN); precision (recall) is undefined,
shown as ``None``, when nothing was predicted (nothing is in the gold).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from remission.evidence.corpus import CorpusDocument
from remission.evidence.result import ExtractionResult
from remission.exceptions import RemissionError
from remission.model import CaseSummary, CohortSummary, IndexTherapySummary

__all__ = [
    "COHORT_FIELDS",
    "SET_FIELDS",
    "THERAPY_ATTRIBUTES",
    "TOLERANCE",
    "Counts",
    "EvaluationReport",
    "Extractor",
    "Mismatch",
    "SplitScores",
    "evaluate",
    "field_names",
    "score_document",
]

#: Numeric fields compared within a tolerance (absolute, in the field's unit).
TOLERANCE: dict[str, float] = {
    "age_years": 0.05,
    "follow_up_months": 0.5,
    "cohort.median_age_years": 0.05,
}
SET_FIELDS: tuple[str, ...] = ("abl_kinase_mutations", "extramedullary_sites")
THERAPY_ATTRIBUTES: tuple[str, ...] = (
    "class",
    "agent",
    "target",
    "cell_source",
    "costimulatory",
    "courses",
)
COHORT_FIELDS: tuple[str, ...] = tuple(CohortSummary.model_fields)
_SCALARS: tuple[str, ...] = tuple(
    name for name in CaseSummary.model_fields if name not in (*SET_FIELDS, "index_therapies")
)


class Extractor(Protocol):
    """What the harness runs: any object with a name and ``extract(text, file=None)``."""

    name: str

    def extract(self, text: str, file: str | None = None) -> ExtractionResult: ...


def field_names() -> list[str]:
    """Every scored field, in the order reports list them."""
    names = ["kind"]
    for name in CaseSummary.model_fields:
        if name == "index_therapies":
            names += [f"index_therapies.{a}" for a in THERAPY_ATTRIBUTES]
        else:
            names.append(name)
    return names + [f"cohort.{n}" for n in COHORT_FIELDS]


@dataclass
class Counts:
    """True positives, false positives, false negatives of one field (or pooled)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def to_json(self) -> dict[str, Any]:
        r = {k: None if v is None else round(v, 4) for k, v in self._figures().items()}
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, **r}

    def _figures(self) -> dict[str, float | None]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class Mismatch:
    """One value the extractor got wrong or missed (for looking at errors, not for scoring)."""

    document: str
    patient: int | None
    field: str
    gold: Any
    predicted: Any


@dataclass
class _Tally:
    document: str
    counts: dict[str, Counts] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)

    def _c(self, name: str) -> Counts:
        return self.counts.setdefault(name, Counts())

    def single(self, name: str, gold: Any, pred: Any, patient: int | None) -> None:
        c = self._c(name)
        if gold is None and pred is None:
            return
        if gold is not None and pred is not None and _equal(name, gold, pred):
            c.tp += 1
            return
        if gold is not None:
            c.fn += 1
        if pred is not None:
            c.fp += 1
        self.mismatches.append(Mismatch(self.document, patient, name, gold, pred))

    def sets(
        self, name: str, gold: Iterable[Any], pred: Iterable[Any], patient: int | None
    ) -> None:
        c = self._c(name)
        g, p = set(gold), set(pred)
        c.tp += len(g & p)
        c.fp += len(p - g)
        c.fn += len(g - p)
        if g != p:
            self.mismatches.append(Mismatch(self.document, patient, name, sorted(g), sorted(p)))


def _equal(name: str, gold: Any, pred: Any) -> bool:
    tol = TOLERANCE.get(name)
    if tol is not None and isinstance(gold, int | float) and isinstance(pred, int | float):
        return abs(float(gold) - float(pred)) <= tol + 1e-9
    if isinstance(gold, bool) or isinstance(pred, bool):
        return gold is pred
    return bool(gold == pred)


def _row_value(row: IndexTherapySummary | None, attr: str) -> Any:
    if row is None:
        return None
    return row.therapy_class if attr == "class" else getattr(row, attr)


def _score_rows(
    tally: _Tally,
    gold: Sequence[IndexTherapySummary],
    pred: Sequence[IndexTherapySummary],
    patient: int | None,
) -> None:
    pairs: list[tuple[IndexTherapySummary | None, IndexTherapySummary | None]] = []
    classes = list(dict.fromkeys([r.therapy_class for r in gold] + [r.therapy_class for r in pred]))
    for cls in classes:
        g = [r for r in gold if r.therapy_class == cls]
        p = [r for r in pred if r.therapy_class == cls]
        for i in range(max(len(g), len(p))):
            pairs.append((g[i] if i < len(g) else None, p[i] if i < len(p) else None))
    for g_row, p_row in pairs:
        for attr in THERAPY_ATTRIBUTES:
            name = f"index_therapies.{attr}"
            if attr == "costimulatory":
                tally.sets(
                    name,
                    g_row.costimulatory if g_row else [],
                    p_row.costimulatory if p_row else [],
                    patient,
                )
            else:
                tally.single(name, _row_value(g_row, attr), _row_value(p_row, attr), patient)


def _score_patient(
    tally: _Tally, gold: CaseSummary | None, pred: CaseSummary | None, patient: int
) -> None:
    empty = CaseSummary()
    g, p = gold or empty, pred or empty
    for name in _SCALARS:
        tally.single(name, getattr(g, name), getattr(p, name), patient)
    for name in SET_FIELDS:
        tally.sets(name, getattr(g, name), getattr(p, name), patient)
    _score_rows(tally, g.index_therapies, p.index_therapies, patient)


def score_document(
    name: str,
    kind: str,
    patients: Sequence[CaseSummary],
    cohort: CohortSummary | None,
    predicted: ExtractionResult | None,
) -> tuple[dict[str, Counts], list[Mismatch]]:
    """Counts per field for one document, and the values that did not match.

    ``predicted`` is ``None`` when the extractor failed on the text: everything is missed.
    """
    tally = _Tally(name)
    tally.single("kind", kind, predicted.kind if predicted else None, None)
    found = [p.summary for p in predicted.patients] if predicted else []
    predicted_cohort = predicted.cohort if predicted else None
    for i in range(max(len(patients), len(found))):
        _score_patient(
            tally,
            patients[i] if i < len(patients) else None,
            found[i] if i < len(found) else None,
            i + 1,
        )
    for count in COHORT_FIELDS:
        tally.single(
            f"cohort.{count}",
            getattr(cohort, count) if cohort else None,
            getattr(predicted_cohort, count) if predicted_cohort else None,
            None,
        )
    return tally.counts, tally.mismatches


@dataclass
class SplitScores:
    """The figures of one split of the corpus."""

    split: str
    n_documents: int = 0
    n_patients: int = 0
    fields: dict[str, Counts] = field(default_factory=lambda: {n: Counts() for n in field_names()})
    mismatches: list[Mismatch] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.fields.values():
            total.add(c)
        return total

    @property
    def macro_f1(self) -> float | None:
        scores = [c.f1 for c in self.fields.values() if c.f1 is not None]
        return sum(scores) / len(scores) if scores else None

    def to_json(self, *, mismatches: bool = False) -> dict[str, Any]:
        macro = self.macro_f1
        out: dict[str, Any] = {
            "split": self.split,
            "documents": self.n_documents,
            "patients": self.n_patients,
            "fields": {name: c.to_json() for name, c in self.fields.items()},
            "micro": self.micro.to_json(),
            "macro_f1": None if macro is None else round(macro, 4),
            "errors": list(self.errors),
        }
        if mismatches:
            out["mismatches"] = [m.__dict__ for m in self.mismatches]
        return out


@dataclass
class EvaluationReport:
    extractor: str
    splits: dict[str, SplitScores]

    def to_json(self, *, mismatches: bool = False) -> dict[str, Any]:
        return {
            "extractor": self.extractor,
            "splits": {k: v.to_json(mismatches=mismatches) for k, v in self.splits.items()},
        }


def evaluate(documents: Iterable[CorpusDocument], extractor: Extractor) -> EvaluationReport:
    """Run the extractor on every document and score it, split by split.

    Deterministic for a deterministic extractor. An extractor error on one text (a
    :class:`RemissionError`) is recorded and scored as finding nothing, not raised.
    """
    splits: dict[str, SplitScores] = {}
    for doc in documents:
        scores = splits.setdefault(doc.split, SplitScores(doc.split))
        label = f"{doc.split}/{doc.name}"
        predicted: ExtractionResult | None
        try:
            predicted = extractor.extract(doc.text, file=f"{label}.txt")
        except RemissionError as exc:
            scores.errors.append(f"{label}: {exc}")
            predicted = None
        counts, mismatches = score_document(
            label, doc.kind, [p.summary for p in doc.patients], doc.cohort, predicted
        )
        scores.n_documents += 1
        scores.n_patients += len(doc.patients)
        for name, c in counts.items():
            scores.fields.setdefault(name, Counts()).add(c)
        scores.mismatches.extend(mismatches)
    return EvaluationReport(extractor.name, splits)
