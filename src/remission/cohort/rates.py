"""Proportions with exact (Clopper–Pearson) confidence intervals: response, MRD negativity,
toxicity and transplant rates.

The interval is the Clopper–Pearson "exact" interval (Clopper & Pearson 1934, Biometrika 26:404),
computed by scipy (``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``): the set of
proportions not rejected by a two-sided binomial test split equally between the tails. It is
conservative (coverage at least the nominal level); at 0 of n the lower limit is 0, at n of n
the upper limit is 1.

Each rate is defined once, as data (:data:`RATE_DEFINITIONS`): what counts in the numerator,
which patients form the denominator (those for whom the CaseSummary states the value), and the
count an aggregate series states for it (for pooling), if any. Unknown values are never counted
as "no": they leave the denominator and are reported as ``n_unknown``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from scipy.stats import binomtest

from remission.cohort._common import SMALL_N, caveat, rounded
from remission.cohort.data import CohortData, PatientRecord
from remission.exceptions import CohortError
from remission.model import CaseSummary

__all__ = [
    "RATE_DEFINITIONS",
    "Rate",
    "RateDefinition",
    "RateTable",
    "clopper_pearson",
    "cohort_rates",
    "proportion",
    "rate_definition",
]

REMISSION = ("CR", "CRi")


@dataclass(frozen=True)
class RateDefinition:
    """One rate: ``value(summary)`` is True (counts), False (does not) or None (unknown).

    ``aggregate_field`` names the CohortAggregate count that states the same numerator over all
    the series' patients, or None when series do not state it (then pooling is refused).
    """

    name: str
    label: str
    value: Callable[[CaseSummary], bool | None]
    definition: str
    aggregate_field: str | None = None
    aggregate_note: str | None = None


def _response_in(classes: tuple[str, ...]) -> Callable[[CaseSummary], bool | None]:
    def value(s: CaseSummary) -> bool | None:
        return None if s.response is None else s.response in classes

    return value


def _mrd_negative_remission(s: CaseSummary) -> bool | None:
    if s.mrd_negative is not None:
        return s.mrd_negative
    if s.response is not None and s.response not in REMISSION:
        return False  # no remission: cannot be an MRD-negative remission
    return None


def _grade_at_least(field: str, cut: int) -> Callable[[CaseSummary], bool | None]:
    def value(s: CaseSummary) -> bool | None:
        grade = getattr(s, field)
        return None if grade is None else grade >= cut

    return value


#: The rates of :func:`cohort_rates`, in report order. Response classes follow the CaseSummary
#: (CRh and MLFS are summarised as CRi; clinical-criteria.md section 3.1). Toxicity grades are
#: the summary's maximum grades: ASTCT 2019 when computed, else as stated in the source's scale.
RATE_DEFINITIONS: tuple[RateDefinition, ...] = (
    RateDefinition(
        "complete_remission",
        "CR/CRi",
        _response_in(REMISSION),
        "best response to the index therapy CR or CRi (CRh and MLFS summarised as CRi); "
        "denominator: patients with a known best response",
        "n_complete_response",
        "a series' stated complete-remission count is read as CR/CRi: series rarely split CR "
        "by count recovery",
    ),
    RateDefinition(
        "complete_response",
        "CR (full count recovery)",
        _response_in(("CR",)),
        "best response CR; denominator: patients with a known best response",
        None,
        "series state complete remissions without saying whether counts recovered",
    ),
    RateDefinition(
        "overall_response",
        "CR/CRi/PR",
        _response_in(("CR", "CRi", "PR")),
        "best response CR, CRi or PR; denominator: patients with a known best response",
        None,
        "series state no partial-response count",
    ),
    RateDefinition(
        "mrd_negative",
        "MRD-negative remission",
        _mrd_negative_remission,
        "an MRD-negative assessment of the index therapy (threshold per method, "
        "remission.rules.mrd); a best response other than CR/CRi counts as not MRD-negative; "
        "a remission without an MRD result is unknown",
        "n_mrd_negative",
    ),
    RateDefinition(
        "crs_any",
        "CRS, any grade",
        _grade_at_least("crs_max_grade", 1),
        "maximum CRS grade >= 1 after the index therapy (0 = stated absent)",
        "n_crs_any",
    ),
    RateDefinition(
        "crs_grade3plus",
        "CRS grade >= 3",
        _grade_at_least("crs_max_grade", 3),
        "maximum CRS grade >= 3 (ASTCT 2019 when computed, else the stated scale's grade)",
        "n_crs_grade3plus",
    ),
    RateDefinition(
        "icans_any",
        "ICANS, any grade",
        _grade_at_least("icans_max_grade", 1),
        "maximum ICANS grade >= 1 after the index therapy (0 = stated absent)",
        "n_icans_any",
    ),
    RateDefinition(
        "icans_grade3plus",
        "ICANS grade >= 3",
        _grade_at_least("icans_max_grade", 3),
        "maximum ICANS grade >= 3",
        None,
        "series state no count of grade >= 3 neurotoxicity",
    ),
    RateDefinition(
        "bridged_to_hsct",
        "Bridged to allogeneic HSCT",
        lambda s: s.bridged_to_hsct,
        "an allogeneic HSCT in the remission the index therapy achieved (DESIGN.md)",
        "n_bridged_to_hsct",
    ),
)


def rate_definition(name: str) -> RateDefinition:
    for d in RATE_DEFINITIONS:
        if d.name == name:
            return d
    known = ", ".join(d.name for d in RATE_DEFINITIONS)
    raise CohortError(f"unknown rate {name!r}: choose one of {known}")


@dataclass(frozen=True)
class Rate:
    """k of n with its exact confidence interval; ``estimable`` False (with ``reason``) at n = 0."""

    name: str
    label: str
    k: int
    n: int
    n_unknown: int = 0
    estimate: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    confidence: float = 0.95
    method: str = "Clopper-Pearson exact"
    estimable: bool = True
    reason: str | None = None
    unknown_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        if not self.estimable or self.estimate is None:
            return f"not estimable ({self.reason})"
        pct = 100 * self.estimate
        lo = 100 * (self.ci_lower or 0.0)
        hi = 100 * (self.ci_upper if self.ci_upper is not None else 1.0)
        return f"{self.k}/{self.n} ({pct:.1f} %; {self.confidence:.0%} CI {lo:.1f}–{hi:.1f} %)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "k": self.k,
            "n": self.n,
            "n_unknown": self.n_unknown,
            "estimate": rounded(self.estimate),
            "ci_lower": rounded(self.ci_lower),
            "ci_upper": rounded(self.ci_upper),
            "confidence": self.confidence,
            "method": self.method,
            "estimable": self.estimable,
            "reason": self.reason,
            "text": self.text,
            "unknown_ids": list(self.unknown_ids),
            "notes": list(self.notes),
        }


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper–Pearson) interval of k successes in n trials (scipy)."""
    if n < 1 or not 0 <= k <= n:
        raise CohortError(f"a proportion needs 0 <= k <= n and n >= 1, got {k} of {n}")
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def proportion(
    k: int,
    n: int,
    *,
    name: str = "proportion",
    label: str | None = None,
    confidence: float = 0.95,
    n_unknown: int = 0,
    unknown_ids: Iterable[str] = (),
    warn_small: bool = True,
) -> Rate:
    """k of n as a :class:`Rate` with its Clopper–Pearson interval.

    n = 0 is not an error: the rate is not estimable and says why. A denominator below
    :data:`~remission.cohort._common.SMALL_N` is flagged (an :class:`EstimationWarning`).
    """
    label = label or name
    if n == 0:
        why = "no patient with a known value" if n_unknown else "no patients"
        return Rate(
            name,
            label,
            0,
            0,
            n_unknown,
            confidence=confidence,
            estimable=False,
            reason=why,
            unknown_ids=tuple(unknown_ids),
        )
    lo, hi = clopper_pearson(k, n, confidence)
    notes: list[str] = []
    if warn_small and n < SMALL_N:
        caveat(notes, f"{label}: only {n} patients with a known value; the interval is wide")
    return Rate(
        name,
        label,
        k,
        n,
        n_unknown,
        k / n,
        lo,
        hi,
        confidence,
        unknown_ids=tuple(unknown_ids),
        notes=tuple(notes),
    )


def rate_of(
    records: Iterable[PatientRecord],
    definition: RateDefinition,
    *,
    confidence: float = 0.95,
    warn_small: bool = True,
) -> Rate:
    """One defined rate over some patients."""
    k = n = 0
    unknown: list[str] = []
    for rec in records:
        v = definition.value(rec.summary)
        if v is None:
            unknown.append(rec.case_id)
        else:
            n += 1
            k += bool(v)
    return proportion(
        k,
        n,
        name=definition.name,
        label=definition.label,
        confidence=confidence,
        n_unknown=len(unknown),
        unknown_ids=unknown,
        warn_small=warn_small,
    )


@dataclass(frozen=True)
class RateTable:
    """The rates of one cohort (individual cases only; aggregates are pooled separately)."""

    rates: tuple[Rate, ...]
    n_patients: int
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Rate:
        for r in self.rates:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_patients": self.n_patients,
            "rates": [r.to_dict() for r in self.rates],
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        cols = [
            "name", "label", "k", "n", "n_unknown", "estimate", "ci_lower", "ci_upper",
            "confidence", "method", "estimable", "reason", "text",
        ]  # fmt: skip
        return pd.DataFrame([{c: r.to_dict()[c] for c in cols} for r in self.rates], columns=cols)


def cohort_rates(
    data: CohortData,
    names: Iterable[str] | None = None,
    *,
    confidence: float = 0.95,
) -> RateTable:
    """Response, MRD-negativity, toxicity (any and grade >= 3) and transplant rates over the
    individual patients, each with its exact interval (:data:`RATE_DEFINITIONS`)."""
    defs = RATE_DEFINITIONS if names is None else tuple(rate_definition(n) for n in names)
    notes: list[str] = []
    if data.n_patients and data.n_patients < SMALL_N:
        caveat(notes, f"only {data.n_patients} patients: every interval is wide")
    if data.n_patients == 0:
        notes.append("no individual patients: no rate can be estimated")
    rates = tuple(rate_of(data.patients, d, confidence=confidence, warn_small=False) for d in defs)
    return RateTable(rates, data.n_patients, tuple(notes))
