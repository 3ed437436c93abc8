"""Subgroup comparisons: rates by Fisher's exact test, survival by the log-rank test.

A subgroup is defined once, as data (:data:`SUBGROUPS`): a name, a label, a predicate over one
patient (its CaseSummary and Case) that says in (True), out (False) or unknown (None), and the
source of the definition. Patients with an unknown value take part in neither group and are
listed. The predefined subgroups are those of issue 5:

* **CNS involvement** at the relapse the index therapy treats (CaseSummary ``cns_involvement``:
  CNS among the relapse's sites, blasts in the CSF, or CNS2/CNS3; clinical-criteria.md §3.3);
* **prior blinatumomab**: a blinatumomab course listed before the first index therapy
  (:func:`remission.cohort.data.prior_blinatumomab`; unknown unless found or the case is a
  complete history);
* **marrow blast burden >= 5 %** and **>= 30 %** before the index therapy, from the last marrow
  blast percentage recorded before it. 5 % is the morphological threshold of the response and
  relapse criteria (CR < 5 % marrow blasts; clinical-criteria.md §3.1). 30 % is the level the seed
  blinatumomab series (seed 004, Myakova et al. 2017) reports for the patients who progressed
  (all had at least 30 % blasts before blinatumomab), as issue 5 asks;
* **prior allogeneic HSCT** (CaseSummary ``prior_hsct``).

Tests: a rate is compared by Fisher's exact test on the 2x2 table (in/out by yes/no), two-sided
(``scipy.stats.fisher_exact``; the odds ratio is scipy's unconditional sample odds ratio);
survival by the log-rank test (``lifelines.statistics.logrank_test``). No correction for the
number of comparisons is made: subgroup p-values are descriptive.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from lifelines.statistics import logrank_test
from scipy.stats import fisher_exact

from remission.cohort._common import caveat, clean, plural, rounded
from remission.cohort.data import ENDPOINT_LABELS, CohortData, PatientRecord
from remission.cohort.rates import Rate, rate_definition, rate_of
from remission.cohort.survival import MedianEstimate, kaplan_meier
from remission.exceptions import CohortError, EstimationWarning

__all__ = [
    "BLAST_BURDEN_HIGH_PCT",
    "BLAST_BURDEN_PCT",
    "DEFAULT_SUBGROUP_ENDPOINTS",
    "DEFAULT_SUBGROUP_RATES",
    "SUBGROUPS",
    "RateComparison",
    "SubgroupAnalysis",
    "SubgroupComparison",
    "SubgroupDefinition",
    "SurvivalComparison",
    "compare_subgroup",
    "subgroup_analysis",
    "subgroup_definition",
]

#: Morphological disease: marrow blasts >= 5 % (the CR threshold is < 5 %; clinical-criteria.md
#: section 3.1, NCCN / CIBMTR response criteria).
BLAST_BURDEN_PCT = 5.0
#: High burden: >= 30 % marrow blasts (seed 004: all who progressed had >= 30 % before
#: blinatumomab; issue 5).
BLAST_BURDEN_HIGH_PCT = 30.0

DEFAULT_SUBGROUP_RATES: tuple[str, ...] = ("complete_remission", "mrd_negative", "crs_grade3plus")
DEFAULT_SUBGROUP_ENDPOINTS: tuple[str, ...] = ("OS", "EFS")


@dataclass(frozen=True)
class SubgroupDefinition:
    """A named split of the cohort: ``member(record)`` is True (in), False (out) or None."""

    name: str
    label: str
    member: Callable[[PatientRecord], bool | None]
    source: str
    complement: str | None = None

    @property
    def out_label(self) -> str:
        return self.complement or f"not {self.label}"


def _blasts_at_least(cut: float) -> Callable[[PatientRecord], bool | None]:
    def member(rec: PatientRecord) -> bool | None:
        pct = rec.marrow_blasts_pct
        return None if pct is None else pct >= cut

    return member


SUBGROUPS: tuple[SubgroupDefinition, ...] = (
    SubgroupDefinition(
        "cns_involvement",
        "CNS involvement",
        lambda r: r.summary.cns_involvement,
        "CaseSummary cns_involvement (DESIGN.md); CNS status: clinical-criteria.md section 3.3",
        "no CNS involvement",
    ),
    SubgroupDefinition(
        "prior_blinatumomab",
        "prior blinatumomab",
        lambda r: r.prior_blinatumomab,
        "a blinatumomab course before the first index therapy (issue 5)",
        "no prior blinatumomab",
    ),
    SubgroupDefinition(
        "blasts_5",
        f"marrow blasts >= {BLAST_BURDEN_PCT:g} %",
        _blasts_at_least(BLAST_BURDEN_PCT),
        "last marrow blast % before the index therapy; 5 % = morphological disease "
        "(clinical-criteria.md section 3.1)",
        f"marrow blasts < {BLAST_BURDEN_PCT:g} %",
    ),
    SubgroupDefinition(
        "blasts_30",
        f"marrow blasts >= {BLAST_BURDEN_HIGH_PCT:g} %",
        _blasts_at_least(BLAST_BURDEN_HIGH_PCT),
        "last marrow blast % before the index therapy; 30 % as in seed 004 (issue 5)",
        f"marrow blasts < {BLAST_BURDEN_HIGH_PCT:g} %",
    ),
    SubgroupDefinition(
        "prior_hsct",
        "prior allogeneic HSCT",
        lambda r: r.summary.prior_hsct,
        "CaseSummary prior_hsct (DESIGN.md)",
        "no prior HSCT",
    ),
)


def subgroup_definition(name: str) -> SubgroupDefinition:
    for d in SUBGROUPS:
        if d.name == name:
            return d
    raise CohortError(
        f"unknown subgroup {name!r}: choose one of {', '.join(d.name for d in SUBGROUPS)} "
        "or pass a SubgroupDefinition"
    )


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateComparison:
    """One rate in and out of the subgroup, compared by Fisher's exact test (two-sided)."""

    rate: str
    label: str
    inside: Rate
    outside: Rate
    estimable: bool
    odds_ratio: float | None = None
    p_value: float | None = None
    test: str = "Fisher exact, two-sided (scipy)"
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "label": self.label,
            "inside": self.inside.to_dict(),
            "outside": self.outside.to_dict(),
            "estimable": self.estimable,
            "odds_ratio": rounded(self.odds_ratio),
            "p_value": rounded(self.p_value, 6),
            "test": self.test,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SurvivalComparison:
    """One endpoint in and out of the subgroup, compared by the log-rank test."""

    endpoint: str
    n_inside: int
    events_inside: int
    n_outside: int
    events_outside: int
    estimable: bool
    median_inside: MedianEstimate | None = None
    median_outside: MedianEstimate | None = None
    statistic: float | None = None
    p_value: float | None = None
    test: str = "log-rank (lifelines)"
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "n_inside": self.n_inside,
            "events_inside": self.events_inside,
            "n_outside": self.n_outside,
            "events_outside": self.events_outside,
            "estimable": self.estimable,
            "median_inside": None if self.median_inside is None else self.median_inside.to_dict(),
            "median_outside": None
            if self.median_outside is None
            else self.median_outside.to_dict(),
            "statistic": rounded(self.statistic, 6),
            "p_value": rounded(self.p_value, 6),
            "test": self.test,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SubgroupComparison:
    """One subgroup: who is in, out and unknown, and its rate and survival comparisons."""

    name: str
    label: str
    out_label: str
    source: str
    inside: tuple[str, ...]
    outside: tuple[str, ...]
    unknown: tuple[str, ...]
    rates: tuple[RateComparison, ...] = ()
    survival: tuple[SurvivalComparison, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "out_label": self.out_label,
            "source": self.source,
            "inside": list(self.inside),
            "outside": list(self.outside),
            "unknown": list(self.unknown),
            "rates": [r.to_dict() for r in self.rates],
            "survival": [s.to_dict() for s in self.survival],
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per test: what was compared, the two groups' figures and the p-value."""
        return pd.DataFrame(self.rows(), columns=_FRAME_COLUMNS)

    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for r in self.rates:
            rows.append(
                {
                    "subgroup": self.name,
                    "measure": r.rate,
                    "test": r.test,
                    "inside": r.inside.text,
                    "outside": r.outside.text,
                    "estimate_inside": rounded(r.inside.estimate),
                    "estimate_outside": rounded(r.outside.estimate),
                    "p_value": rounded(r.p_value, 6),
                    "estimable": r.estimable,
                    "reason": r.reason,
                }
            )
        for s in self.survival:
            rows.append(
                {
                    "subgroup": self.name,
                    "measure": s.endpoint,
                    "test": s.test,
                    "inside": f"{s.events_inside}/{s.n_inside} events"
                    + (f"; median {s.median_inside.text}" if s.median_inside else ""),
                    "outside": f"{s.events_outside}/{s.n_outside} events"
                    + (f"; median {s.median_outside.text}" if s.median_outside else ""),
                    "estimate_inside": None,
                    "estimate_outside": None,
                    "p_value": rounded(s.p_value, 6),
                    "estimable": s.estimable,
                    "reason": s.reason,
                }
            )
        return rows


_FRAME_COLUMNS = ["subgroup", "measure", "test", "inside", "outside", "estimate_inside",
                  "estimate_outside", "p_value", "estimable", "reason"]  # fmt: skip


@dataclass(frozen=True)
class SubgroupAnalysis:
    comparisons: tuple[SubgroupComparison, ...]

    def __getitem__(self, name: str) -> SubgroupComparison:
        for c in self.comparisons:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"comparisons": [c.to_dict() for c in self.comparisons]}

    def to_frame(self) -> pd.DataFrame:
        """Every comparison's tests, one row each."""
        rows = [row for c in self.comparisons for row in c.rows()]
        return pd.DataFrame(rows, columns=_FRAME_COLUMNS)


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------


def _fisher(rate: str, inside: Rate, outside: Rate) -> RateComparison:
    label = inside.label
    if inside.n == 0 or outside.n == 0:
        empty = "in the subgroup" if inside.n == 0 else "outside it"
        return RateComparison(
            rate, label, inside, outside, False,
            reason=f"no patient with a known value {empty}: nothing to compare",
        )  # fmt: skip
    table = [[inside.k, inside.n - inside.k], [outside.k, outside.n - outside.k]]
    result = fisher_exact(table, alternative="two-sided")
    odds = float(result.statistic)
    return RateComparison(
        rate,
        label,
        inside,
        outside,
        True,
        odds_ratio=odds if math.isfinite(odds) else None,
        p_value=float(result.pvalue),
        reason=None if math.isfinite(odds) else "odds ratio not finite (a zero cell)",
    )


def _logrank(data_in: CohortData, data_out: CohortData, endpoint: str) -> SurvivalComparison:
    t_in, t_out = data_in.times(endpoint), data_out.times(endpoint)
    base: dict[str, Any] = {
        "endpoint": endpoint,
        "n_inside": t_in.n,
        "events_inside": t_in.n_events,
        "n_outside": t_out.n,
        "events_outside": t_out.n_events,
    }
    label = ENDPOINT_LABELS.get(endpoint, endpoint)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # the caveat is stated once, below
        km_in = kaplan_meier(t_in, landmarks_months=()) if t_in.n else None
        km_out = kaplan_meier(t_out, landmarks_months=()) if t_out.n else None
    base["median_inside"] = km_in.median if km_in else None
    base["median_outside"] = km_out.median if km_out else None
    if t_in.n == 0 or t_out.n == 0:
        side = "in the subgroup" if t_in.n == 0 else "outside it"
        return SurvivalComparison(
            **base, estimable=False, reason=f"no patient with a computable {label} {side}"
        )
    if t_in.n_events + t_out.n_events == 0:
        return SurvivalComparison(
            **base, estimable=False, reason=f"no {label} events in either group: nothing to test"
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        result = logrank_test(t_in.days, t_out.days, t_in.events, t_out.events)
    p = clean(result.p_value)
    return SurvivalComparison(
        **base,
        estimable=p is not None,
        statistic=clean(result.test_statistic),
        p_value=p,
        reason=None if p is not None else "the log-rank statistic is undefined for these data",
    )


def compare_subgroup(
    data: CohortData,
    subgroup: SubgroupDefinition | str,
    *,
    rates: Iterable[str] = DEFAULT_SUBGROUP_RATES,
    endpoints: Iterable[str] = DEFAULT_SUBGROUP_ENDPOINTS,
    confidence: float = 0.95,
) -> SubgroupComparison:
    """Split the cohort by one subgroup and compare rates (Fisher) and survival (log-rank).

    Never raises for thin data: an empty group, a group of one (flagged) or no events give
    results that say what cannot be tested and why.
    """
    d = subgroup_definition(subgroup) if isinstance(subgroup, str) else subgroup
    inside: list[str] = []
    outside: list[str] = []
    unknown: list[str] = []
    for rec in data.patients:
        v = d.member(rec)
        (unknown if v is None else inside if v else outside).append(rec.case_id)
    notes: list[str] = []
    if unknown:
        notes.append(
            f"{plural(len(unknown), 'patient')} with unknown {d.label} take part in neither group"
        )
    for name, ids in ((d.label, inside), (d.out_label, outside)):
        if len(ids) == 1:
            caveat(notes, f"subgroup '{name}' has one patient: comparisons rest on one case")
        elif not ids:
            notes.append(f"subgroup '{name}' is empty: nothing can be compared")
    data_in, data_out = data.subset(inside), data.subset(outside)
    rate_rows = []
    for name in rates:
        definition = rate_definition(name)
        r_in = rate_of(data_in.patients, definition, confidence=confidence, warn_small=False)
        r_out = rate_of(data_out.patients, definition, confidence=confidence, warn_small=False)
        rate_rows.append(_fisher(name, r_in, r_out))
    surv_rows = [_logrank(data_in, data_out, ep.upper()) for ep in endpoints]
    return SubgroupComparison(
        d.name,
        d.label,
        d.out_label,
        d.source,
        tuple(inside),
        tuple(outside),
        tuple(unknown),
        tuple(rate_rows),
        tuple(surv_rows),
        tuple(notes),
    )


def subgroup_analysis(
    data: CohortData,
    subgroups: Iterable[SubgroupDefinition | str] = SUBGROUPS,
    *,
    rates: Iterable[str] = DEFAULT_SUBGROUP_RATES,
    endpoints: Iterable[str] = DEFAULT_SUBGROUP_ENDPOINTS,
    confidence: float = 0.95,
) -> SubgroupAnalysis:
    """:func:`compare_subgroup` for each subgroup (default: the predefined :data:`SUBGROUPS`)."""
    rates, endpoints = tuple(rates), tuple(endpoints)
    return SubgroupAnalysis(
        tuple(
            compare_subgroup(data, s, rates=rates, endpoints=endpoints, confidence=confidence)
            for s in subgroups
        )
    )
