"""The whole cohort analysis in one call, as data: what a report, a CSV export or the web app
draws from. Nothing here estimates anything itself; it gathers the other modules' results and
lists, in one place, what could not be estimated and why."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from remission.cohort.competing import CompetingRisks, cumulative_incidence
from remission.cohort.data import Anchor, CohortData
from remission.cohort.pool import PooledRates, pooled_rates
from remission.cohort.rates import RateTable, cohort_rates
from remission.cohort.subgroups import SubgroupAnalysis, subgroup_analysis
from remission.cohort.survival import DEFAULT_LANDMARKS_MONTHS, KaplanMeier, kaplan_meier
from remission.cohort.table1 import Table1, table1
from remission.exceptions import EstimationWarning
from remission.model import Case, CohortAggregate

__all__ = ["REPORT_ENDPOINTS", "CohortReport", "analyse_cohort"]

REPORT_ENDPOINTS: tuple[str, ...] = ("OS", "EFS", "RFS")


@dataclass(frozen=True)
class CohortReport:
    """Table 1, rates, pooled rates, Kaplan–Meier analyses, competing risks and subgroups."""

    data: CohortData
    table1: Table1
    rates: RateTable
    pooled: PooledRates
    survival: dict[str, KaplanMeier]
    competing: CompetingRisks
    subgroups: SubgroupAnalysis
    caveats: tuple[str, ...]

    def not_estimable(self) -> list[dict[str, str]]:
        """Every figure that could not be given, with the reason."""
        out: list[dict[str, str]] = []
        for r in self.rates.rates:
            if not r.estimable:
                out.append({"what": f"rate {r.name}", "reason": r.reason or ""})
        for p in self.pooled.rates:
            if not p.estimable:
                out.append({"what": f"pooled {p.name}", "reason": p.reason or ""})
        for ep, km in self.survival.items():
            if not km.estimable:
                out.append({"what": f"{ep} Kaplan-Meier", "reason": km.reason or ""})
                continue
            if km.median is not None and not km.median.reached:
                out.append({"what": f"{ep} median", "reason": km.median.text})
            if km.follow_up is not None and not km.follow_up.estimable:
                out.append({"what": f"{ep} median follow-up", "reason": km.follow_up.text})
            for lm in km.landmarks:
                if not lm.estimable:
                    out.append({"what": f"{ep} at {lm.months:g} months", "reason": lm.reason or ""})
        if not self.competing.estimable:
            out.append({"what": "cumulative incidence", "reason": self.competing.reason or ""})
        for c in self.subgroups.comparisons:
            for rc in c.rates:
                if not rc.estimable:
                    out.append({"what": f"{c.name}: {rc.rate} (Fisher)", "reason": rc.reason or ""})
            for sc in c.survival:
                if not sc.estimable:
                    out.append(
                        {"what": f"{c.name}: {sc.endpoint} (log-rank)", "reason": sc.reason or ""}
                    )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.data.to_dict(),
            "table1": self.table1.to_dict(),
            "rates": self.rates.to_dict(),
            "pooled": self.pooled.to_dict(),
            "survival": {ep: km.to_dict() for ep, km in self.survival.items()},
            "competing": self.competing.to_dict(),
            "subgroups": self.subgroups.to_dict(),
            "not_estimable": self.not_estimable(),
            "caveats": list(self.caveats),
        }


def analyse_cohort(
    documents: Iterable[Case | CohortAggregate] | CohortData,
    *,
    anchor: Anchor = "infusion",
    landmarks_months: Iterable[float] = DEFAULT_LANDMARKS_MONTHS,
    confidence: float = 0.95,
    include_drafts: bool = False,
    censor_at_hsct: bool = False,
    count_molecular: bool = False,
) -> CohortReport:
    """Run every cohort analysis. The caveats raised along the way (as
    :class:`~remission.exceptions.EstimationWarning`) are gathered into ``caveats`` and raised
    once, as one warning that counts them."""
    data = (
        documents
        if isinstance(documents, CohortData)
        else CohortData.from_documents(
            documents,
            anchor=anchor,
            include_drafts=include_drafts,
            censor_at_hsct=censor_at_hsct,
            count_molecular=count_molecular,
        )
    )
    landmarks = tuple(landmarks_months)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EstimationWarning)
        report = CohortReport(
            data=data,
            table1=table1(data),
            rates=cohort_rates(data, confidence=confidence),
            pooled=pooled_rates(data, confidence=confidence),
            survival={
                ep: kaplan_meier(data, ep, landmarks_months=landmarks, confidence=confidence)
                for ep in REPORT_ENDPOINTS
            },
            competing=cumulative_incidence(data, landmarks_months=landmarks, confidence=confidence),
            subgroups=subgroup_analysis(data, confidence=confidence),
            caveats=(),
        )
    caveats = tuple(
        dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, EstimationWarning))
    )
    for w in caught:
        if not issubclass(w.category, EstimationWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if caveats:
        warnings.warn(
            f"{len(caveats)} statistical caveat(s); see the report's caveats",
            EstimationWarning,
            stacklevel=2,
        )
    return CohortReport(**{**report.__dict__, "caveats": caveats})
