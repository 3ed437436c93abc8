"""What an extractor returns for one text: patients, cohort counts, events, with evidence.

This is the contract every extractor keeps (the rule-based default and the optional language
model one): :func:`ExtractionResult.to_json` is the object ``remission extract --json`` prints,
one per input file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from remission.model.base import Frozen
from remission.model.evidence import Evidence, ExtractedValue
from remission.model.summary import CaseSummary, CohortSummary

__all__ = ["DocumentKind", "ExtractedEvent", "ExtractionResult", "PatientResult"]

DocumentKind = Literal["case_report", "case_series", "cohort"]

EventType = Literal[
    "therapy",
    "car_t_infusion",
    "hsct",
    "relapse",
    "disease_assessment",
    "toxicity",
    "death",
    "follow_up",
    "diagnosis",
]


class ExtractedEvent(Frozen):
    """One timeline event the text states, before it becomes a Case event.

    ``attributes`` use the Case model's field names for the event type (``agent``, ``courses``,
    ``sites``, ``number``, ``donor_type``, ``response``, ``mrd``, ``syndrome``, ``grade``,
    ``scale``, ...). ``when`` is the time as the text gives it, normalised where possible: a
    partial date (``2016``, ``2016-11``, ``2016-11-03``), a relative time (``car1+28d``), or
    ``None``; ``order`` is the event's position in the course as told.
    """

    id: str = Field(max_length=80)
    type: EventType
    attributes: dict[str, Any] = Field(default_factory=dict)
    when: str | None = Field(None, max_length=80)
    order: int = 0
    index: bool = Field(False, description="One of the index therapies (DESIGN.md).")
    evidence: tuple[Evidence, ...] = ()


class PatientResult(Frozen):
    """One patient of the text: the summary, each value with its evidence, the events."""

    label: str | None = Field(None, max_length=200)
    summary: CaseSummary = CaseSummary()
    values: tuple[ExtractedValue, ...] = Field(
        (), description="One entry per non-empty summary field (field paths as in Extraction)."
    )
    events: tuple[ExtractedEvent, ...] = ()


class ExtractionResult(Frozen):
    """Everything extracted from one text."""

    file: str | None = None
    kind: DocumentKind
    extractor: str
    text_sha256: str
    patients: tuple[PatientResult, ...] = ()
    cohort: CohortSummary | None = None
    cohort_values: tuple[ExtractedValue, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``remission extract --json`` object for this text (the CLI contract, issue 6)."""
        return {
            "file": self.file,
            "kind": self.kind,
            "patients": [p.summary.model_dump(mode="json", by_alias=True) for p in self.patients],
            "cohort": None if self.cohort is None else self.cohort.model_dump(mode="json"),
            "evidence": {
                "patients": [
                    {
                        "label": p.label,
                        "values": [v.model_dump(mode="json", exclude_none=True) for v in p.values],
                        "events": [e.model_dump(mode="json", exclude_none=True) for e in p.events],
                    }
                    for p in self.patients
                ],
                "cohort": [
                    v.model_dump(mode="json", exclude_none=True) for v in self.cohort_values
                ],
                "warnings": list(self.warnings),
            },
        }
