"""The patient and the diagnosis: who, and what disease they started with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from remission.model.base import Frozen, Identifier, ShortText, Text
from remission.model.terms import Sex
from remission.model.time import TimePoint

__all__ = ["Age", "Diagnosis", "Patient"]


class Age(Frozen):
    """An age as stated, with the event it was stated at (``diagnosis`` or an event id).

    Reports give "a 28-year-old ... diagnosed in 2014" (age at diagnosis) or "a 9-month-old"
    (months); both are kept as written.
    """

    value: float = Field(ge=0, le=120)
    unit: Literal["years", "months", "days"] = "years"
    at: Identifier = Field(
        "diagnosis",
        description="The event the age refers to: 'diagnosis' or an event id (e.g. the infusion).",
    )

    @property
    def years(self) -> float:
        return {"years": 1.0, "months": 1 / 12, "days": 1 / 365.25}[self.unit] * self.value

    @model_validator(mode="after")
    def _plausible(self) -> Age:
        if self.years > 120:
            raise ValueError(f"an age of {self.value} {self.unit} is over 120 years")
        return self


class Patient(Frozen):
    """Who the case is about, pseudonymously: never a name or a record number."""

    sex: Sex | None = None
    birth_year: int | None = Field(None, ge=1900, le=2200)
    age: Age | None = None
    ethnicity: ShortText | None = None
    down_syndrome: bool | None = None
    note: Text | None = None


class Diagnosis(Frozen):
    """The initial leukaemia diagnosis and what is fixed about it.

    Mutations acquired later (a T315I found at third relapse) belong to that relapse event.
    """

    date: TimePoint | None = None
    disease: Literal["B-ALL", "T-ALL", "MPAL", "other"] = "B-ALL"
    subtype: ShortText | None = Field(
        None, description="Free-text subtype (Ph-like, hypodiploid, ETV6::RUNX1, ...)."
    )
    ph_positive: bool | None = None
    bcr_abl1_transcript: Literal["p210", "p190", "p230", "other"] | None = None
    kinase_mutations: tuple[ShortText, ...] = Field(
        (), description="ABL1 kinase-domain mutations present at diagnosis, e.g. T315I."
    )
    kmt2a_rearranged: bool | None = None
    genetics: tuple[ShortText, ...] = Field(
        (), description="Other genetic findings as stated (IKZF1 deletion, TP53, iAMP21, ...)."
    )
    cd19: Literal["positive", "negative", "dim", "partial"] | None = None
    cd22: Literal["positive", "negative", "dim", "partial"] | None = None
    cns_status: Literal["CNS1", "CNS2", "CNS3"] | None = None
    wbc_10e9_l: float | None = Field(None, ge=0, le=2000)
    risk_group: ShortText | None = None
    primary_refractory: bool | None = Field(None, description="No remission after induction.")
    note: Text | None = None

    @model_validator(mode="after")
    def _ph_consistent(self) -> Diagnosis:
        if self.bcr_abl1_transcript is not None and self.ph_positive is False:
            raise ValueError("a BCR::ABL1 transcript is given but ph_positive is false")
        return self
