"""Cohort analytics: Table 1, rates with exact intervals, Kaplan–Meier and competing-risk
incidence with risk tables as data, subgroup comparisons, and pooling with published series
known only by their counts.

* :mod:`~remission.cohort.data` — :class:`CohortData`: per-patient rows and endpoint times
  (from :mod:`remission.rules.outcomes`), with the cases excluded from each endpoint and why;
* :mod:`~remission.cohort.table1` — baseline features (medians with IQR and range, counts with
  percentages), series beside the cases;
* :mod:`~remission.cohort.rates` — response, MRD negativity, toxicity and transplant rates with
  Clopper–Pearson intervals (scipy);
* :mod:`~remission.cohort.survival` — Kaplan–Meier OS, EFS, RFS, DOR (lifelines): band, median,
  landmarks, numbers at risk, median follow-up;
* :mod:`~remission.cohort.competing` — cumulative incidence of relapse and non-relapse mortality
  (Aalen–Johansen, lifelines);
* :mod:`~remission.cohort.subgroups` — predefined subgroups, Fisher and log-rank tests;
* :mod:`~remission.cohort.pool` — pooled proportions over cases and aggregate series;
* :mod:`~remission.cohort.report` — everything at once.

Pure computation: no file, store or network access. Results are frozen objects with
``to_dict()`` and, for tables, ``to_frame()``. Thin data never raises: results say what cannot be
estimated and why; statistical caveats are :class:`~remission.exceptions.EstimationWarning` s.
Conventions and sources: docs/cohort.md.
"""

from remission.cohort.competing import (
    EVENT_CODES,
    CompetingRisks,
    IncidenceAt,
    IncidenceStep,
    cumulative_incidence,
)
from remission.cohort.data import (
    ANCHORS,
    ENDPOINTS,
    CohortData,
    EndpointTimes,
    Exclusion,
    PatientRecord,
    TimeRow,
    marrow_blasts_before_index,
    prior_blinatumomab,
)
from remission.cohort.pool import PoolComponent, PooledRate, PooledRates, pool_rate, pooled_rates
from remission.cohort.rates import (
    RATE_DEFINITIONS,
    Rate,
    RateDefinition,
    RateTable,
    clopper_pearson,
    cohort_rates,
    proportion,
    rate_definition,
)
from remission.cohort.report import CohortReport, analyse_cohort
from remission.cohort.subgroups import (
    BLAST_BURDEN_HIGH_PCT,
    BLAST_BURDEN_PCT,
    SUBGROUPS,
    RateComparison,
    SubgroupAnalysis,
    SubgroupComparison,
    SubgroupDefinition,
    SurvivalComparison,
    compare_subgroup,
    subgroup_analysis,
    subgroup_definition,
)
from remission.cohort.survival import (
    CI_METHOD,
    KaplanMeier,
    KMStep,
    Landmark,
    MedianEstimate,
    RiskRow,
    kaplan_meier,
)
from remission.cohort.table1 import Table1, Table1Row, table1

__all__ = [
    "ANCHORS",
    "BLAST_BURDEN_HIGH_PCT",
    "BLAST_BURDEN_PCT",
    "CI_METHOD",
    "ENDPOINTS",
    "EVENT_CODES",
    "RATE_DEFINITIONS",
    "SUBGROUPS",
    "CohortData",
    "CohortReport",
    "CompetingRisks",
    "EndpointTimes",
    "Exclusion",
    "IncidenceAt",
    "IncidenceStep",
    "KMStep",
    "KaplanMeier",
    "Landmark",
    "MedianEstimate",
    "PatientRecord",
    "PoolComponent",
    "PooledRate",
    "PooledRates",
    "Rate",
    "RateComparison",
    "RateDefinition",
    "RateTable",
    "RiskRow",
    "SubgroupAnalysis",
    "SubgroupComparison",
    "SubgroupDefinition",
    "SurvivalComparison",
    "Table1",
    "Table1Row",
    "TimeRow",
    "analyse_cohort",
    "clopper_pearson",
    "cohort_rates",
    "compare_subgroup",
    "cumulative_incidence",
    "kaplan_meier",
    "marrow_blasts_before_index",
    "pool_rate",
    "pooled_rates",
    "prior_blinatumomab",
    "proportion",
    "rate_definition",
    "subgroup_analysis",
    "subgroup_definition",
    "table1",
]
