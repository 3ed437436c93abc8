"""Observation series: CAR-T levels, B cells, cytokines, ferritin, CRP over time.

A series holds one analyte in one unit and specimen. Each point is placed by ``day`` counted from
the series ``anchor`` (usually the infusion: day 0) or by its own ``at`` time. Values below the
assay's limit of quantification are kept as BLQ, never as zero (kinetics.md, BLQ handling).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from remission.model.base import Frozen, Identifier, ShortText, Text
from remission.model.terms import AnalyteId
from remission.model.time import TimePoint
from remission.model.vocab import load_vocabulary, normalize_key

__all__ = ["ObservationPoint", "ObservationSeries"]


class ObservationPoint(Frozen):
    """One measurement. ``value`` is None only for a BLQ point whose value was not reported."""

    day: float | None = Field(None, ge=-3650, le=36500, description="Days from the series anchor.")
    at: TimePoint | None = Field(None, description="Own time, when not counted from the anchor.")
    value: float | None = Field(None, ge=0, allow_inf_nan=False)
    blq: bool = Field(False, description="Below the limit of quantification.")

    @model_validator(mode="after")
    def _placed_and_valued(self) -> ObservationPoint:
        if (self.day is None) == (self.at is None):
            raise ValueError("a point needs exactly one of 'day' (from the series anchor) or 'at'")
        if self.value is None and not self.blq:
            raise ValueError("a point needs a value unless it is below quantification (blq: true)")
        return self


class ObservationSeries(Frozen):
    """Repeated measurements of one analyte (vocabulary 'analytes'), e.g. CAR-T % of T cells."""

    id: Identifier
    analyte: AnalyteId
    unit: ShortText
    specimen: Literal["blood", "marrow", "csf", "serum", "plasma"] = "blood"
    method: ShortText | None = Field(None, description="flow cytometry, qPCR, ELISA, CBA ...")
    anchor: Identifier | None = Field(
        None, description="Event whose day 0 the 'day' values count from."
    )
    lloq: float | None = Field(None, gt=0, description="Lower limit of quantification, in 'unit'.")
    points: tuple[ObservationPoint, ...] = Field(min_length=1)
    note: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ObservationSeries:
        term = load_vocabulary("analytes").get(self.analyte)
        units = [str(u) for u in term.attributes.get("units", [])]
        if units and normalize_key(self.unit) not in {normalize_key(u) for u in units}:
            raise ValueError(
                f"unit {self.unit!r} is not used for {term.label}; use one of: {', '.join(units)}"
            )
        if any(p.day is not None for p in self.points) and self.anchor is None:
            raise ValueError("points given by 'day' need the series 'anchor' (the event of day 0)")
        days = [p.day for p in self.points if p.day is not None]
        if len(set(days)) != len(days):
            dup = sorted({d for d in days if days.count(d) > 1})
            raise ValueError(f"day {dup[0]:g} appears more than once in the series")
        if self.lloq is not None:
            for p in self.points:
                if p.value is not None and not p.blq and p.value < self.lloq:
                    raise ValueError(
                        f"value {p.value:g} is below the stated LLOQ {self.lloq:g}: mark it blq: true"
                    )
        return self

    @property
    def is_car_t(self) -> bool:
        return load_vocabulary("analytes").get(self.analyte).attributes.get("kind") == "car_t"
