"""A published cohort known only by its counts (an aggregate document, not a Case).

Series like the 14-patient blinatumomab report give medians and counts, not patients. They are
kept as stated, labelled as aggregate, and can stand beside individual cases where pooling is
sound (response proportions), never silently mixed with them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from remission.model.base import Frozen, Identifier, ShortText, Text
from remission.model.case import Source
from remission.model.terms import Agent, CarTProduct, CellSource, Costimulatory, Target

__all__ = ["AgeStats", "CohortAggregate", "CountStat", "IndexTherapySpec"]


class CountStat(Frozen):
    """A stated count ("8 patients had more than 5 % blasts") or a stated percentage ("80 %")."""

    label: ShortText
    n: int | None = Field(None, ge=0)
    of: int | None = Field(None, ge=1, description="Denominator when not the whole cohort.")
    pct: float | None = Field(
        None, ge=0, le=100, description="Percentage as stated, when no count is given."
    )
    note: Text | None = None

    @model_validator(mode="after")
    def _given(self) -> CountStat:
        if self.n is None and self.pct is None:
            raise ValueError("a count needs n or pct")
        if self.n is not None and self.of is not None and self.n > self.of:
            raise ValueError(f"{self.n} of {self.of} is more than the whole")
        return self


class AgeStats(Frozen):
    median: float | None = Field(None, ge=0, le=120)
    minimum: float | None = Field(None, ge=0, le=120)
    maximum: float | None = Field(None, ge=0, le=120)
    unit: Literal["years", "months"] = "years"

    @model_validator(mode="after")
    def _ordered(self) -> AgeStats:
        vals = [v for v in (self.minimum, self.median, self.maximum) if v is not None]
        if vals != sorted(vals):
            raise ValueError("age minimum <= median <= maximum does not hold")
        return self


class IndexTherapySpec(Frozen):
    """What the cohort was treated with (the index therapy of every patient in it)."""

    therapy_class: Literal[
        "car_t", "bispecific", "antibody_drug_conjugate", "tki", "chemotherapy", "hsct", "other"
    ] = Field(alias="class")
    agent: Agent | None = None
    product: CarTProduct | None = None
    target: Target | None = None
    cell_source: CellSource | None = None
    costimulatory: tuple[Costimulatory, ...] = ()
    note: Text | None = None


class CohortAggregate(Frozen):
    """A cohort known by its summary numbers. ``None`` = not stated (never 0 by default)."""

    schema_version: Literal[1] = 1
    kind: Literal["cohort"]
    id: Identifier
    status: Literal["final", "draft"] = "final"
    source: Source | None = None
    description: Text | None = None
    population: Literal["pediatric", "adult", "mixed"] | None = None
    disease: Literal["B-ALL", "T-ALL", "MPAL", "other"] = "B-ALL"
    n_patients: int = Field(ge=1)
    age: AgeStats | None = None
    index_therapies: tuple[IndexTherapySpec, ...] = ()
    n_complete_response: int | None = Field(None, ge=0)
    n_mrd_negative: int | None = Field(None, ge=0)
    n_bridged_to_hsct: int | None = Field(None, ge=0)
    n_crs_any: int | None = Field(None, ge=0)
    n_crs_grade3plus: int | None = Field(None, ge=0)
    n_icans_any: int | None = Field(None, ge=0)
    baseline: tuple[CountStat, ...] = ()
    outcomes: tuple[CountStat, ...] = ()
    toxicities: tuple[CountStat, ...] = ()
    follow_up_months_median: float | None = Field(None, ge=0)
    notes: Text | None = None

    @model_validator(mode="after")
    def _counts_fit(self) -> CohortAggregate:
        for name in (
            "n_complete_response",
            "n_mrd_negative",
            "n_bridged_to_hsct",
            "n_crs_any",
            "n_crs_grade3plus",
            "n_icans_any",
        ):
            value = getattr(self, name)
            if value is not None and value > self.n_patients:
                raise ValueError(f"{name} = {value} is more than the {self.n_patients} patients")
        if (
            self.n_crs_grade3plus is not None
            and self.n_crs_any is not None
            and self.n_crs_grade3plus > self.n_crs_any
        ):
            raise ValueError("more patients with grade >= 3 CRS than with any CRS")
        for group in (self.baseline, self.outcomes, self.toxicities):
            for stat in group:
                if stat.n is not None and stat.of is None and stat.n > self.n_patients:
                    raise ValueError(
                        f"'{stat.label}': {stat.n} is more than the {self.n_patients} patients"
                    )
        return self
