"""Evidence: the words in a source text behind an extracted value, and its review.

DESIGN.md, "Evidence is first-class": every value extracted from a report keeps the character
span(s) it came from in the *original* text (before any cleaning), the cue that negated or
qualified it, and how exactly it matched; a reviewer accepts, edits or rejects each value, and
the decision is kept with who and when. A draft Case carries these as its ``extraction`` block.

Field paths name what a value fills: a CaseSummary field (``crs_max_grade``), an element of a
list field (``index_therapies[1].agent``, ``extramedullary_sites``), a timeline event attribute
(``timeline[relapse-2].sites``), or a cohort count (``cohort.n_crs_any``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from remission.model.base import Frozen

__all__ = [
    "MATCH_KINDS",
    "MODIFIERS",
    "REVIEW_STATUSES",
    "Evidence",
    "ExtractedValue",
    "Extraction",
    "MatchKind",
    "Modifier",
    "ReviewStatus",
    "TextSpan",
]

MatchKind = Literal["exact", "synonym", "normalized", "inferred", "computed"]
"""How a value was matched.

``exact``: the words state the value as stored (``grade 2 CRS``); ``synonym``: a vocabulary
synonym or spelling variant (``leukaemides`` -> skin, ``TSCS`` -> HSCT); ``normalized``: a number,
ordinal or duration written differently (``second relapse`` -> 2, ``18 months`` -> 1.5 years);
``inferred``: implied by a fixed fact (tisagenlecleucel -> CD19, 4-1BB) or by the definition of a
field (a transplant after the remission -> bridged); ``computed``: derived from several spans
(follow-up from two dates, a cohort median)."""

MATCH_KINDS: tuple[str, ...] = ("exact", "synonym", "normalized", "inferred", "computed")

Modifier = Literal["negated", "uncertain", "hypothetical", "historical", "family", "possible"]
"""What a cue did to the finding it qualifies (medspaCy ConText categories, lower-cased)."""

MODIFIERS: tuple[str, ...] = (
    "negated",
    "uncertain",
    "hypothetical",
    "historical",
    "family",
    "possible",
)

ReviewStatus = Literal["pending", "accepted", "edited", "rejected"]
REVIEW_STATUSES: tuple[str, ...] = ("pending", "accepted", "edited", "rejected")

FieldPath = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Exact(Frozen):
    """Evidence keeps text exactly as it was: no whitespace stripping (offsets must hold)."""

    model_config = ConfigDict(str_strip_whitespace=False)


class TextSpan(_Exact):
    """Characters ``[start, end)`` of the original text, and the text they cover."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str = Field(max_length=20_000)

    @model_validator(mode="after")
    def _ordered(self) -> TextSpan:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before its start {self.start}")
        if len(self.text) != self.end - self.start:
            raise ValueError(
                f"span text has {len(self.text)} characters but covers {self.end - self.start}"
            )
        return self


class Evidence(_Exact):
    """The words behind one value: where they are, what qualified them, how they matched."""

    spans: tuple[TextSpan, ...] = Field(min_length=1)
    cue: TextSpan | None = Field(
        None, description="The words that negated or qualified the finding ('no signs of')."
    )
    modifier: Modifier | None = Field(None, description="What the cue did to the finding.")
    match: MatchKind = "exact"
    rule: str | None = Field(None, max_length=200, description="Id of the rule that matched.")
    section: str | None = Field(
        None, max_length=100, description="Section of the report (case presentation, ...)."
    )


class ExtractedValue(_Exact):
    """One value of a draft, with its evidence and its review decision."""

    field: FieldPath
    value: Any = Field(description="The value as it stands now (JSON: number, text, list, ...).")
    evidence: tuple[Evidence, ...] = ()
    status: ReviewStatus = "pending"
    extracted: Any = Field(
        None, description="The value the extractor proposed, kept when a reviewer edited it."
    )
    reviewer: str | None = Field(None, max_length=200)
    reviewed_at: datetime | None = None
    note: str | None = Field(None, max_length=2_000)


class Extraction(_Exact):
    """The extraction block of a draft Case: what read the text, the text, and every value."""

    extractor: str = Field(max_length=200, description="Extractor and version ('rules 1').")
    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    file: str | None = Field(None, max_length=1_000, description="The file the text came from.")
    text: str | None = Field(
        None,
        max_length=2_000_000,
        description="The original text, kept so a reviewer sees each value in its place.",
    )
    patient_label: str | None = Field(
        None, max_length=200, description="Which patient of a multi-patient report ('Patient 2')."
    )
    values: tuple[ExtractedValue, ...] = ()
