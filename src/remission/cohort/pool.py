"""Pooling proportions across individual cases and published series known only by their counts.

A series such as seed 004 (14 children, 12 complete remissions) states numerators over its whole
cohort. Where the individual cases give the same measure, the two can be pooled: the pooled
proportion is the sum of numerators over the sum of denominators, with its exact
(Clopper–Pearson) interval, and every contribution is listed with its source and labelled
``individual`` or ``aggregate``.

What is sound and what is refused:

* only rates with an aggregate counterpart (:data:`remission.cohort.rates.RATE_DEFINITIONS`,
  ``aggregate_field``) are pooled; a rate that series do not state (CR with full count recovery,
  grade >= 3 ICANS, overall response with PR) is **refused**, with the reason;
* a series that leaves the count unstated (``None``) contributes nothing and is listed as left
  out, with the reason; unstated is never read as 0;
* a series' denominator is all its patients (as published); an individual case counts where its
  value is known. The result notes this difference;
* medians (age, follow-up, survival) are never pooled: a median of medians is not a median, and
  series give no times to estimate from. Table 1 shows series beside the cases instead.

Pooling counts treats the patients as one sample: it ignores differences between series (no
random-effects model) and cannot tell whether a published case is also inside a published
series; both caveats are in every result's notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from remission.cohort._common import rounded
from remission.cohort.data import CohortData
from remission.cohort.rates import RATE_DEFINITIONS, Rate, proportion, rate_definition, rate_of
from remission.model import CohortAggregate

__all__ = ["PoolComponent", "PooledRate", "PooledRates", "pool_rate", "pooled_rates"]

POOLING_METHOD = "sum of numerators over sum of denominators; Clopper-Pearson exact interval"


@dataclass(frozen=True)
class PoolComponent:
    """One contribution to a pooled rate: the individual cases together, or one series."""

    source: str
    kind: Literal["individual", "aggregate"]
    k: int | None
    n: int | None
    included: bool
    citation: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "k": self.k,
            "n": self.n,
            "included": self.included,
            "citation": self.citation,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PooledRate:
    """A rate pooled over individual cases and aggregate series, or the refusal and its reason."""

    name: str
    label: str
    components: tuple[PoolComponent, ...]
    estimable: bool
    rate: Rate | None = None
    refused: bool = False
    reason: str | None = None
    method: str = POOLING_METHOD
    notes: tuple[str, ...] = ()

    @property
    def k(self) -> int | None:
        return None if self.rate is None else self.rate.k

    @property
    def n(self) -> int | None:
        return None if self.rate is None else self.rate.n

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "estimable": self.estimable,
            "refused": self.refused,
            "reason": self.reason,
            "method": self.method,
            "rate": None if self.rate is None else self.rate.to_dict(),
            "components": [c.to_dict() for c in self.components],
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per contribution and a last row for the pool."""
        rows = [c.to_dict() for c in self.components]
        if self.rate is not None:
            rows.append(
                {
                    "source": "pooled",
                    "kind": "pooled",
                    "k": self.rate.k,
                    "n": self.rate.n,
                    "included": True,
                    "citation": None,
                    "reason": None,
                    "estimate": rounded(self.rate.estimate),
                    "ci_lower": rounded(self.rate.ci_lower),
                    "ci_upper": rounded(self.rate.ci_upper),
                }
            )
        cols = ["source", "kind", "k", "n", "included", "citation", "reason", "estimate",
                "ci_lower", "ci_upper"]  # fmt: skip
        return pd.DataFrame(rows, columns=cols)


def _citation(agg: CohortAggregate) -> str | None:
    if agg.source is None:
        return None
    return agg.source.citation or agg.source.doi or agg.source.pmid or agg.source.url


def pool_rate(data: CohortData, rate: str, *, confidence: float = 0.95) -> PooledRate:
    """Pool one rate (a name of :data:`RATE_DEFINITIONS`) over the cohort's individual cases and
    its aggregate series (module docstring for what is pooled and what is refused)."""
    d = rate_definition(rate)
    components: list[PoolComponent] = []
    cases = rate_of(data.patients, d, confidence=confidence, warn_small=False)
    if data.patients:
        reason = None
        if cases.n == 0:
            reason = f"no individual case states {d.label}"
        elif cases.n_unknown:
            reason = f"{cases.n_unknown} case(s) with unknown {d.label} left out"
        components.append(
            PoolComponent(
                f"individual cases ({data.n_patients})",
                "individual",
                cases.k,
                cases.n,
                cases.n > 0,
                reason=reason,
            )
        )
    if d.aggregate_field is None:
        why = f"series do not state {d.label}"
        if d.aggregate_note:
            why += f" ({d.aggregate_note})"
        for agg in data.aggregates:
            components.append(
                PoolComponent(agg.id, "aggregate", None, agg.n_patients, False, _citation(agg), why)
            )
        return PooledRate(
            d.name,
            d.label,
            tuple(components),
            False,
            refused=True,
            reason=f"pooling refused: {why}; use the individual-case rate",
        )
    for agg in data.aggregates:
        k = getattr(agg, d.aggregate_field)
        if k is None:
            components.append(
                PoolComponent(
                    agg.id,
                    "aggregate",
                    None,
                    agg.n_patients,
                    False,
                    _citation(agg),
                    f"the series does not state {d.label} ({d.aggregate_field} unknown); "
                    "unstated is not 0",
                )
            )
        else:
            components.append(
                PoolComponent(agg.id, "aggregate", int(k), agg.n_patients, True, _citation(agg))
            )
    used = [c for c in components if c.included]
    if not used:
        return PooledRate(
            d.name,
            d.label,
            tuple(components),
            False,
            reason=f"no individual case and no series states {d.label}",
        )
    k_total = sum(c.k or 0 for c in used)
    n_total = sum(c.n or 0 for c in used)
    notes = [
        "counts are added as one sample: differences between series are ignored and a case "
        "also published within a series would be counted twice",
    ]
    if any(c.kind == "aggregate" for c in used) and any(c.kind == "individual" for c in used):
        notes.append(
            "a series' denominator is all its patients; individual cases count where the value "
            "is known"
        )
    if d.aggregate_note and any(c.kind == "aggregate" for c in used):
        notes.append(d.aggregate_note)
    pooled = proportion(
        k_total, n_total, name=d.name, label=d.label, confidence=confidence, warn_small=False
    )
    return PooledRate(d.name, d.label, tuple(components), True, pooled, notes=tuple(notes))


@dataclass(frozen=True)
class PooledRates:
    rates: tuple[PooledRate, ...]

    def __getitem__(self, name: str) -> PooledRate:
        for r in self.rates:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"rates": [r.to_dict() for r in self.rates]}

    def to_frame(self) -> pd.DataFrame:
        """One row per rate: the pooled figure, or why it was refused."""
        rows = []
        for r in self.rates:
            rows.append(
                {
                    "name": r.name,
                    "label": r.label,
                    "k": r.k,
                    "n": r.n,
                    "estimate": None if r.rate is None else rounded(r.rate.estimate),
                    "ci_lower": None if r.rate is None else rounded(r.rate.ci_lower),
                    "ci_upper": None if r.rate is None else rounded(r.rate.ci_upper),
                    "sources": ", ".join(c.source for c in r.components if c.included),
                    "estimable": r.estimable,
                    "refused": r.refused,
                    "reason": r.reason,
                }
            )
        cols = ["name", "label", "k", "n", "estimate", "ci_lower", "ci_upper", "sources",
                "estimable", "refused", "reason"]  # fmt: skip
        return pd.DataFrame(rows, columns=cols)


def pooled_rates(
    data: CohortData, names: Iterable[str] | None = None, *, confidence: float = 0.95
) -> PooledRates:
    """:func:`pool_rate` for several rates (default: every defined rate, refusals included)."""
    names = [d.name for d in RATE_DEFINITIONS] if names is None else list(names)
    return PooledRates(tuple(pool_rate(data, n, confidence=confidence) for n in names))
