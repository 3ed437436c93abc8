"""Every probability and distribution of the virtual-cohort generator, as data, with its source.

A :class:`Rate` is one number with the publication it comes from (a key of :data:`SOURCES`) and
whether it is *approximate*: recalled from the publication or derived from its figures, but not
re-read in the source text during this work, or a design choice of the generator
(``source="assumption"``). ``docs/synth.md`` lists every rate with its source; a test keeps the
two in step.

Grades are used as published: ELIANA graded CRS with the Penn scale, ZUMA-3 with Lee 2014, the
blinatumomab trials with CTCAE, FELIX with ASTCT 2019. The generator produces bedside findings
whose ASTCT 2019 grade equals the published grade; it does not convert between scales
(``docs/synth.md``, "Limitations").

This module holds numbers only: no randomness, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Literal

__all__ = [
    "ARMS",
    "DEFAULT_ARM_WEIGHTS",
    "DEFAULT_PARAMS",
    "GENERAL",
    "SOURCES",
    "THERAPIES",
    "ArmRates",
    "GeneralRates",
    "Rate",
    "SynthParams",
    "Therapy",
    "rate_rows",
    "rates_markdown",
]

Therapy = Literal["car_t", "blinatumomab", "mixed"]
THERAPIES: tuple[str, ...] = ("car_t", "blinatumomab", "mixed")

#: Publications the rates come from, by key. ``assumption`` marks a design choice of the
#: generator (a plausible value with no single published source).
SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "ELIANA": "Maude SL, Laetsch TW, Buechner J, et al. Tisagenlecleucel in children and young "
        "adults with B-cell lymphoblastic leukemia. N Engl J Med 2018;378:439-448 "
        "(75 infused patients).",
        "ELIANA-update": "Laetsch TW, Maude SL, Rives S, et al. Three-year update of "
        "tisagenlecleucel in pediatric and young adult patients with relapsed/refractory acute "
        "lymphoblastic leukemia in the ELIANA trial. J Clin Oncol 2023;41:1664-1669; and the "
        "2019 updated analysis of 79 infused patients (Grupp SA et al., ASH 2019 abstract).",
        "ZUMA-3": "Shah BD, Ghobadi A, Oluwole OO, et al. KTE-X19 for relapsed or refractory "
        "adult B-cell acute lymphoblastic leukaemia: phase 2 results of the single-arm, "
        "open-label, multicentre ZUMA-3 study. Lancet 2021;398:491-502 (55 treated).",
        "FELIX": "Roddie C, Sandhu KS, Tholouli E, et al. Obecabtagene autoleucel in adults with "
        "B-cell acute lymphoblastic leukemia. N Engl J Med 2024;391:2219-2230 (cohort 2A: 94; "
        "127 infused).",
        "MSKCC-19-28z": "Park JH, Riviere I, Gonen M, et al. Long-term follow-up of CD19 CAR "
        "therapy in acute lymphoblastic leukemia. N Engl J Med 2018;378:449-459 (53 adults, "
        "19-28z CD28 construct).",
        "TOWER": "Kantarjian H, Stein A, Gokbuget N, et al. Blinatumomab versus chemotherapy for "
        "advanced acute lymphoblastic leukemia. N Engl J Med 2017;376:836-847 "
        "(271 randomised to blinatumomab).",
        "BLIN-205": "von Stackelberg A, Locatelli F, Zugmaier G, et al. Phase I/phase II study of "
        "blinatumomab in pediatric patients with relapsed/refractory acute lymphoblastic "
        "leukemia. J Clin Oncol 2016;34:4381-4389 (70 at the recommended 5-15 ug/m2/day); "
        "relapse data from Mejstrikova E, et al. Blood Cancer J 2017;7:659.",
        "CAR-RELAPSE-2023": "Preinfusion factors impacting relapse immunophenotype following "
        "CD19 CAR T cells. Blood Adv 2023;7(4):575-585 (420 children and young adults; "
        "166 relapses: 50% CD19-positive, 41% CD19-negative, 7.2% lineage switch; median "
        "survival after relapse 11.9 months).",
        "CAR-BLINA-2022": "Myers RM, Taraseviciute A, Steinberg SM, et al. Blinatumomab "
        "nonresponse and high-disease burden are associated with inferior outcomes after "
        "CD19-CAR for B-ALL. J Clin Oncol 2022;40:932-944 (420 patients; 18.3% had prior "
        "blinatumomab).",
        "MUELLER-2018": "Mueller KT, Waldron E, Grupp SA, et al. Clinical pharmacology of "
        "tisagenlecleucel in B-cell acute lymphoblastic leukemia. Clin Cancer Res "
        "2018;24:6175-6184 (responders: geometric-mean Cmax 74% higher than non-responders).",
        "STEIN-2019": "Stein AM, Grupp SA, Levine JE, et al. Tisagenlecleucel model-based cellular "
        "kinetic analysis of chimeric antigen receptor-T cells. CPT Pharmacometrics Syst "
        "Pharmacol 2019;8:285-295 (used through remission.kinetics).",
        "LABELS": "US prescribing information of tisagenlecleucel, brexucabtagene autoleucel, "
        "obecabtagene autoleucel and blinatumomab, as summarised in "
        "shared/reference/clinical-criteria.md section 4.",
        "assumption": "A design choice of this generator: a plausible value, not a published "
        "figure. Change it through SynthParams.",
    }
)


@dataclass(frozen=True)
class Rate:
    """One number of the generator and where it comes from.

    ``value`` is a probability, a median or a factor (``unit`` says which); ``source`` a key of
    :data:`SOURCES`; ``approximate`` is True when the number is recalled or derived rather than
    read in the source during this work, and for every ``assumption``.
    """

    value: float
    source: str
    approximate: bool = False
    unit: str = "probability"
    note: str = ""

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; known: {', '.join(SOURCES)}")
        if self.unit == "probability" and not 0.0 <= self.value <= 1.0:
            raise ValueError(f"a probability must lie in 0-1, got {self.value}")
        if self.source == "assumption" and not self.approximate:
            object.__setattr__(self, "approximate", True)


def _a(value: float, unit: str = "probability", note: str = "") -> Rate:
    """A design choice (``assumption``)."""
    return Rate(value, "assumption", True, unit, note)


@dataclass(frozen=True)
class ArmRates:
    """The rates of one treatment arm: who is treated, how they respond, what follows.

    Toxicity rates are the published maximum grades (any grade, grade >= 3); ``crs_grade4_share``
    is the share of grade 3-4 episodes that are grade 4. Relapse counts are the probabilities of
    1, 2, 3 and 4 relapses before the index therapy among patients not primary refractory.
    """

    key: str
    label: str
    therapy: Literal["car_t", "blinatumomab"]
    study: str
    # population
    age_min: float
    age_max: float
    age_median: Rate
    first_year: int
    male: Rate
    ph_positive: Rate
    primary_refractory: Rate
    relapse_count: tuple[float, float, float, float]
    prior_hsct: Rate
    prior_blinatumomab: Rate
    prior_inotuzumab: Rate
    marrow_blasts_median: Rate
    bridging: Rate
    # efficacy
    remission: Rate
    cr_share_of_remissions: Rate
    mrd_negative_in_remission: Rate
    # toxicity (published grades, any and >= 3)
    crs_any: Rate
    crs_grade3plus: Rate
    crs_grade4_share: Rate
    icans_any: Rate
    icans_grade3plus: Rate
    icans_grade4_share: Rate
    fatal_toxicity: Rate
    crs_onset_median_day: Rate
    crs_duration_median_days: Rate
    icans_onset_median_day: Rate
    icans_duration_median_days: Rate
    # after the response
    relapse_in_remission: Rate
    relapse_median_months: Rate
    cd19_negative_share: Rate
    hsct_in_remission: Rate
    early_nrm: Rate

    def __post_init__(self) -> None:
        if not self.age_min < self.age_median.value < self.age_max:
            raise ValueError(f"{self.key}: the median age must lie between the bounds")
        for any_, severe in (
            (self.crs_any, self.crs_grade3plus),
            (self.icans_any, self.icans_grade3plus),
        ):
            if severe.value > any_.value:
                raise ValueError(f"{self.key}: a grade >= 3 rate exceeds the any-grade rate")
        if len(self.relapse_count) != 4 or abs(sum(self.relapse_count) - 1.0) > 1e-9:
            raise ValueError(f"{self.key}: relapse_count needs 4 probabilities summing to 1")

    def rates(self) -> Iterator[tuple[str, Rate]]:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Rate):
                yield f.name, value


RELAPSE_COUNT_NOTE = "share of patients with 1, 2, 3 and 4 relapses before the index therapy"

_TISA = ArmRates(
    key="tisagenlecleucel",
    label="tisagenlecleucel, children and young adults",
    therapy="car_t",
    study="ELIANA",
    age_min=3,
    age_max=25,
    age_median=Rate(11, "ELIANA", unit="years", note="median 11, range 3-24 (2019 update)"),
    first_year=2015,
    male=Rate(0.57, "ELIANA", True),
    ph_positive=Rate(0.04, "assumption", True, note="Ph+ ALL is rare in children"),
    primary_refractory=Rate(0.08, "ELIANA", True),
    relapse_count=(0.30, 0.45, 0.18, 0.07),
    prior_hsct=Rate(0.61, "ELIANA-update"),
    prior_blinatumomab=Rate(
        0.183, "CAR-BLINA-2022", note="children and young adults before CD19-CAR"
    ),
    prior_inotuzumab=_a(0.05),
    marrow_blasts_median=Rate(74, "ELIANA", True, unit="percent"),
    bridging=Rate(0.9, "ELIANA", True),
    remission=Rate(0.81, "ELIANA", note="CR or CRi within 3 months"),
    cr_share_of_remissions=Rate(0.74, "ELIANA", True, note="CR 60%, CRi 21%"),
    mrd_negative_in_remission=Rate(0.98, "ELIANA-update", note="64 of 65 responders"),
    crs_any=Rate(0.77, "ELIANA", True, note="Penn scale"),
    crs_grade3plus=Rate(0.46, "ELIANA", True, note="grade 3 21%, grade 4 25% (Penn scale)"),
    crs_grade4_share=Rate(
        0.54, "ELIANA", True, unit="fraction", note="grade 4 is 25 of the 46 percentage points"
    ),
    icans_any=Rate(0.40, "ELIANA", note="neurological events, CTCAE"),
    icans_grade3plus=Rate(0.13, "ELIANA", True, note="no grade 4 reported"),
    icans_grade4_share=_a(0.0, "fraction"),
    fatal_toxicity=_a(0.0),
    crs_onset_median_day=Rate(3, "ELIANA", True, unit="day"),
    crs_duration_median_days=Rate(8, "ELIANA", True, unit="days"),
    icans_onset_median_day=_a(6, "day"),
    icans_duration_median_days=_a(6, "days"),
    relapse_in_remission=Rate(0.45, "ELIANA-update", True, note="3-year RFS about 52%"),
    relapse_median_months=_a(6, "months"),
    cd19_negative_share=Rate(
        0.74, "ELIANA", True, note="14 of 19 relapses within 24 months, secondary source"
    ),
    hsct_in_remission=Rate(0.12, "ELIANA-update", note="8 of 65 responders"),
    early_nrm=Rate(0.03, "ELIANA", True),
)

_BREXU = ArmRates(
    key="brexucabtagene",
    label="brexucabtagene autoleucel, adults",
    therapy="car_t",
    study="ZUMA-3",
    age_min=18,
    age_max=80,
    age_median=Rate(40, "ZUMA-3", unit="years", note="IQR 28-52"),
    first_year=2016,
    male=Rate(0.60, "ZUMA-3", True),
    ph_positive=Rate(0.27, "ZUMA-3", True),
    primary_refractory=Rate(0.33, "ZUMA-3", True),
    relapse_count=(0.45, 0.35, 0.15, 0.05),
    prior_hsct=Rate(0.42, "ZUMA-3", True),
    prior_blinatumomab=Rate(0.45, "ZUMA-3", True),
    prior_inotuzumab=Rate(0.22, "ZUMA-3", True),
    marrow_blasts_median=Rate(65, "ZUMA-3", True, unit="percent"),
    bridging=Rate(0.7, "ZUMA-3", True),
    remission=Rate(0.709, "ZUMA-3", note="39 of 55"),
    cr_share_of_remissions=Rate(0.79, "ZUMA-3", True, note="CR 56%, CRi 15%"),
    mrd_negative_in_remission=Rate(0.97, "ZUMA-3", True),
    crs_any=Rate(0.89, "ZUMA-3", True, note="Lee 2014 scale"),
    crs_grade3plus=Rate(0.24, "ZUMA-3", True, note="Lee 2014 scale"),
    crs_grade4_share=_a(0.2, "fraction"),
    icans_any=Rate(0.60, "ZUMA-3", True, note="neurological events"),
    icans_grade3plus=Rate(0.25, "ZUMA-3", True, note="neurological events"),
    icans_grade4_share=_a(0.15, "fraction"),
    fatal_toxicity=Rate(0.018, "ZUMA-3", True, note="1 of 55 brain herniation"),
    crs_onset_median_day=Rate(5, "ZUMA-3", True, unit="day"),
    crs_duration_median_days=Rate(7.5, "ZUMA-3", True, unit="days"),
    icans_onset_median_day=Rate(9, "ZUMA-3", True, unit="day"),
    icans_duration_median_days=Rate(7, "ZUMA-3", True, unit="days"),
    relapse_in_remission=_a(0.55, note="median duration of remission about 13 months"),
    relapse_median_months=_a(7, "months"),
    cd19_negative_share=Rate(
        0.48, "CAR-RELAPSE-2023", True, note="CD19-negative incl. lineage switch, pooled CD19-CAR"
    ),
    hsct_in_remission=Rate(0.25, "ZUMA-3", True),
    early_nrm=Rate(0.04, "ZUMA-3", True),
)

_OBE = ArmRates(
    key="obecabtagene",
    label="obecabtagene autoleucel, adults",
    therapy="car_t",
    study="FELIX",
    age_min=18,
    age_max=81,
    age_median=Rate(47, "FELIX", True, unit="years"),
    first_year=2020,
    male=Rate(0.51, "FELIX", True),
    ph_positive=Rate(0.28, "FELIX", True),
    primary_refractory=Rate(0.25, "FELIX", True),
    relapse_count=(0.45, 0.35, 0.15, 0.05),
    prior_hsct=Rate(0.44, "FELIX", True),
    prior_blinatumomab=Rate(0.42, "FELIX", True),
    prior_inotuzumab=Rate(0.31, "FELIX", True),
    marrow_blasts_median=Rate(60, "FELIX", True, unit="percent"),
    bridging=Rate(0.9, "FELIX", True),
    remission=Rate(0.77, "FELIX", note="cohort 2A"),
    cr_share_of_remissions=Rate(0.72, "FELIX", note="CR 55%, CRi 21%"),
    mrd_negative_in_remission=Rate(0.95, "FELIX", True),
    crs_any=Rate(0.685, "FELIX", True, note="ASTCT 2019"),
    crs_grade3plus=Rate(0.024, "FELIX", note="ASTCT 2019"),
    crs_grade4_share=_a(0.0, "fraction"),
    icans_any=Rate(0.228, "FELIX", True, note="ASTCT 2019"),
    icans_grade3plus=Rate(0.071, "FELIX", note="ASTCT 2019"),
    icans_grade4_share=_a(0.1, "fraction"),
    fatal_toxicity=_a(0.005),
    crs_onset_median_day=Rate(8, "FELIX", True, unit="day", note="after the first fraction"),
    crs_duration_median_days=Rate(5, "FELIX", True, unit="days"),
    icans_onset_median_day=Rate(12, "FELIX", True, unit="day"),
    icans_duration_median_days=Rate(8, "FELIX", True, unit="days"),
    relapse_in_remission=_a(0.45, note="12-month EFS about 50% of infused patients"),
    relapse_median_months=_a(7, "months"),
    cd19_negative_share=Rate(0.48, "CAR-RELAPSE-2023", True, note="pooled CD19-CAR"),
    hsct_in_remission=Rate(0.18, "FELIX", True),
    early_nrm=Rate(0.04, "FELIX", True),
)

_ACADEMIC = ArmRates(
    key="academic_car_t",
    label="academic CD19 constructs (autologous or donor-derived)",
    therapy="car_t",
    study="MSKCC-19-28z",
    age_min=2,
    age_max=70,
    age_median=Rate(30, "assumption", True, unit="years", note="children and adults"),
    first_year=2013,
    male=_a(0.58),
    ph_positive=Rate(0.2, "MSKCC-19-28z", True),
    primary_refractory=_a(0.15),
    relapse_count=(0.35, 0.40, 0.18, 0.07),
    prior_hsct=Rate(0.36, "MSKCC-19-28z", True),
    prior_blinatumomab=Rate(0.183, "CAR-BLINA-2022"),
    prior_inotuzumab=_a(0.1),
    marrow_blasts_median=_a(50, "percent"),
    bridging=_a(0.7),
    remission=Rate(0.83, "MSKCC-19-28z", True, note="complete remission"),
    cr_share_of_remissions=_a(0.85, "probability"),
    mrd_negative_in_remission=Rate(0.67, "MSKCC-19-28z", True),
    crs_any=Rate(0.85, "MSKCC-19-28z", True),
    crs_grade3plus=Rate(0.26, "MSKCC-19-28z", True, note="severe CRS"),
    crs_grade4_share=_a(0.3, "fraction"),
    icans_any=Rate(0.44, "MSKCC-19-28z", True),
    icans_grade3plus=Rate(0.42, "MSKCC-19-28z", True, note="severe neurotoxic events"),
    icans_grade4_share=_a(0.2, "fraction"),
    fatal_toxicity=Rate(0.019, "MSKCC-19-28z", True, note="1 of 53 died of CRS"),
    crs_onset_median_day=_a(2, "day"),
    crs_duration_median_days=_a(6, "days"),
    icans_onset_median_day=_a(5, "day"),
    icans_duration_median_days=_a(6, "days"),
    relapse_in_remission=Rate(0.6, "MSKCC-19-28z", True, note="median EFS 6.1 months"),
    relapse_median_months=_a(5, "months"),
    cd19_negative_share=Rate(
        0.48, "CAR-RELAPSE-2023", note="41% CD19-negative + 7.2% lineage switch of 166 relapses"
    ),
    hsct_in_remission=Rate(0.39, "MSKCC-19-28z", True),
    early_nrm=_a(0.04),
)

_BLIN_ADULT = ArmRates(
    key="blinatumomab_adult",
    label="blinatumomab, adults (Ph-negative)",
    therapy="blinatumomab",
    study="TOWER",
    age_min=18,
    age_max=80,
    age_median=Rate(37, "TOWER", unit="years"),
    first_year=2014,
    male=Rate(0.59, "TOWER", True),
    ph_positive=Rate(0.0, "TOWER", note="TOWER enrolled Ph-negative disease only"),
    primary_refractory=_a(0.1),
    relapse_count=(0.50, 0.35, 0.12, 0.03),
    prior_hsct=Rate(0.35, "TOWER"),
    prior_blinatumomab=Rate(0.0, "TOWER", note="blinatumomab-naive"),
    prior_inotuzumab=_a(0.05),
    marrow_blasts_median=Rate(80, "TOWER", unit="percent"),
    bridging=_a(0.0),
    remission=Rate(0.44, "TOWER", note="CR, CRh or CRi within 12 weeks"),
    cr_share_of_remissions=Rate(0.77, "TOWER", note="CR 34% of 44%"),
    mrd_negative_in_remission=Rate(0.76, "TOWER", True),
    crs_any=Rate(0.14, "TOWER", True, note="CTCAE"),
    crs_grade3plus=Rate(0.05, "TOWER", True, note="CTCAE"),
    crs_grade4_share=_a(0.2, "fraction"),
    icans_any=Rate(0.61, "TOWER", True, note="neurological events, CTCAE, include headache"),
    icans_grade3plus=Rate(0.094, "TOWER", True, note="neurological events, CTCAE"),
    icans_grade4_share=_a(0.2, "fraction"),
    fatal_toxicity=_a(0.0),
    crs_onset_median_day=_a(2, "day", note="first days of cycle 1"),
    crs_duration_median_days=_a(4, "days"),
    icans_onset_median_day=_a(7, "day"),
    icans_duration_median_days=_a(5, "days"),
    relapse_in_remission=_a(0.65, note="median duration of CR 7.3 months (TOWER)"),
    relapse_median_months=Rate(7.3, "TOWER", unit="months", note="median duration of CR"),
    cd19_negative_share=_a(0.15, note="CD19-negative relapse after blinatumomab is uncommon"),
    hsct_in_remission=Rate(0.5, "TOWER", True, note="24% of all patients proceeded to HSCT"),
    early_nrm=_a(0.03),
)

_BLIN_PAED = ArmRates(
    key="blinatumomab_paediatric",
    label="blinatumomab, children",
    therapy="blinatumomab",
    study="BLIN-205",
    age_min=1,
    age_max=17,
    age_median=Rate(8, "BLIN-205", True, unit="years"),
    first_year=2014,
    male=Rate(0.6, "BLIN-205", True),
    ph_positive=_a(0.03),
    primary_refractory=_a(0.08),
    relapse_count=(0.30, 0.45, 0.20, 0.05),
    prior_hsct=Rate(0.57, "BLIN-205", True),
    prior_blinatumomab=Rate(0.0, "BLIN-205", note="blinatumomab-naive"),
    prior_inotuzumab=_a(0.0),
    marrow_blasts_median=Rate(75, "BLIN-205", True, unit="percent"),
    bridging=_a(0.0),
    remission=Rate(0.39, "BLIN-205", note="27 of 70 within the first two cycles"),
    cr_share_of_remissions=_a(0.8),
    mrd_negative_in_remission=Rate(0.52, "BLIN-205", note="14 of 27"),
    crs_any=Rate(0.11, "BLIN-205", True, note="CTCAE"),
    crs_grade3plus=Rate(0.06, "BLIN-205", True, note="CTCAE"),
    crs_grade4_share=_a(0.3, "fraction"),
    icans_any=Rate(0.24, "BLIN-205", True, note="neurological events, CTCAE"),
    icans_grade3plus=Rate(0.04, "BLIN-205", True),
    icans_grade4_share=_a(0.1, "fraction"),
    fatal_toxicity=_a(0.0),
    crs_onset_median_day=_a(2, "day"),
    crs_duration_median_days=_a(4, "days"),
    icans_onset_median_day=_a(6, "day"),
    icans_duration_median_days=_a(4, "days"),
    relapse_in_remission=Rate(0.7, "BLIN-205", True, note="71% relapsed within 6 months"),
    relapse_median_months=_a(4, "months"),
    cd19_negative_share=_a(0.15),
    hsct_in_remission=Rate(0.45, "BLIN-205", True),
    early_nrm=_a(0.03),
)

#: The treatment arms, by key.
ARMS: Mapping[str, ArmRates] = MappingProxyType(
    {a.key: a for a in (_TISA, _BREXU, _OBE, _ACADEMIC, _BLIN_ADULT, _BLIN_PAED)}
)

#: The mix of arms in a ``mixed`` cohort (an assumption: roughly what a large centre's registry
#: of CD19-directed immunotherapy for r/r B-ALL might hold). ``car_t`` and ``blinatumomab``
#: cohorts keep the same proportions within their arms.
DEFAULT_ARM_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "tisagenlecleucel": 0.30,
        "brexucabtagene": 0.13,
        "obecabtagene": 0.10,
        "academic_car_t": 0.12,
        "blinatumomab_adult": 0.20,
        "blinatumomab_paediatric": 0.15,
    }
)


@dataclass(frozen=True)
class GeneralRates:
    """Rates shared by every arm: disease, sites, transplant, survival, kinetics, follow-up."""

    # disease at diagnosis
    p190_share_ph: Rate
    kmt2a: Rate
    cns_at_diagnosis: Rate
    t315i_at_relapse_ph: Rate
    # relapse sites before the index therapy (children; adults have fewer extramedullary ones)
    site_isolated_marrow: Rate
    site_marrow_cns: Rate
    site_marrow_testis: Rate
    site_isolated_cns: Rate
    site_isolated_testis: Rate
    site_other_extramedullary: Rate
    adult_extramedullary_factor: Rate
    index_relapse_refractory: Rate
    # remission durations before the index therapy
    cr1_median_months_child: Rate
    cr1_median_months_adult: Rate
    later_cr_median_months: Rate
    # CAR-T details
    donor_derived_share_after_hsct: Rate
    lineage_switch_share_of_cd19_negative: Rate
    tocilizumab_for_crs_grade2plus: Rate
    tocilizumab_for_crs_grade1: Rate
    steroids_for_crs_grade3plus: Rate
    steroids_for_icans_grade2plus: Rate
    crs_icans_correlation: Rate
    crs_response_correlation: Rate
    # transplant and what follows it
    hsct_relapse_factor: Rate
    hsct_nrm: Rate
    acute_gvhd: Rate
    # survival after failure
    death_after_relapse: Rate
    survival_after_relapse_median_months: Rate
    death_after_no_response: Rate
    survival_after_no_response_median_months: Rate
    # kinetics
    responder_cmax_factor: Rate
    cd19_positive_relapse_fb_factor: Rate
    transgene_lloq: Rate
    cmax_crs_correlation: Rate
    # follow-up
    loss_to_follow_up_per_year: Rate

    def rates(self) -> Iterator[tuple[str, Rate]]:
        for f in fields(self):
            yield f.name, getattr(self, f.name)


GENERAL = GeneralRates(
    # disease at diagnosis
    p190_share_ph=Rate(0.7, "assumption", True, note="p190 vs p210 in Ph+ ALL"),
    kmt2a=_a(0.05),
    cns_at_diagnosis=_a(0.08, note="CNS2 or CNS3 at diagnosis"),
    t315i_at_relapse_ph=_a(0.3, note="Ph+ relapse after a second-generation TKI"),
    # relapse sites before the index therapy (children; adults have fewer extramedullary ones)
    site_isolated_marrow=_a(0.62),
    site_marrow_cns=_a(0.10),
    site_marrow_testis=_a(0.04, note="boys only; else isolated marrow"),
    site_isolated_cns=_a(0.12),
    site_isolated_testis=_a(0.04, note="boys only; else isolated CNS"),
    site_other_extramedullary=_a(0.08, note="skin, eye, soft tissue, lymph node, bone"),
    adult_extramedullary_factor=_a(0.5, "factor"),
    index_relapse_refractory=_a(0.4, note="a salvage attempt failed before the index therapy"),
    # remission durations before the index therapy
    cr1_median_months_child=_a(30, "months"),
    cr1_median_months_adult=_a(14, "months"),
    later_cr_median_months=_a(9, "months"),
    # CAR-T details
    donor_derived_share_after_hsct=_a(
        0.3, note="academic CAR-T after a prior allogeneic HSCT made from the HSCT donor"
    ),
    lineage_switch_share_of_cd19_negative=Rate(
        0.15, "CAR-RELAPSE-2023", True, note="7.2% of 48% CD19-negative or lineage switch"
    ),
    tocilizumab_for_crs_grade2plus=_a(0.9),
    tocilizumab_for_crs_grade1=_a(0.15),
    steroids_for_crs_grade3plus=_a(0.7),
    steroids_for_icans_grade2plus=_a(0.85),
    crs_icans_correlation=_a(0.5, "correlation", "latent normal (Gaussian copula)"),
    crs_response_correlation=_a(0.3, "correlation", "latent normal (Gaussian copula)"),
    # transplant and what follows it
    hsct_relapse_factor=_a(0.5, "factor", "relapse risk after consolidative HSCT"),
    hsct_nrm=_a(0.15, note="non-relapse death within 2 years of an allogeneic HSCT"),
    acute_gvhd=_a(0.35),
    # survival after failure
    death_after_relapse=_a(0.8),
    survival_after_relapse_median_months=Rate(
        11.9, "CAR-RELAPSE-2023", unit="months", note="after relapse following CD19-CAR"
    ),
    death_after_no_response=_a(0.85),
    survival_after_no_response_median_months=_a(4, "months"),
    # kinetics
    responder_cmax_factor=Rate(
        1.74,
        "MUELLER-2018",
        unit="factor",
        note="responders' geometric-mean Cmax vs non-responders",
    ),
    cd19_positive_relapse_fb_factor=_a(
        0.01, "factor", "loss of persistence before a CD19-positive relapse"
    ),
    transgene_lloq=_a(20, "copies/ug"),
    cmax_crs_correlation=_a(0.5, "correlation", "latent normal (Gaussian copula)"),
    # follow-up
    loss_to_follow_up_per_year=_a(0.05, "per year"),
)


@dataclass(frozen=True)
class SynthParams:
    """Everything a cohort is drawn from. The defaults are the documented rates.

    ``therapy`` restricts the arms (``car_t``, ``blinatumomab``) or keeps them all (``mixed``);
    ``arm_weights`` gives their mix. Index therapies fall between January of the arm's
    ``first_year`` and ``last_index``; follow-up ends at ``data_cutoff`` (or earlier, lost to
    follow-up). ``id_prefix`` starts every case id (``synth-000001``).
    """

    therapy: Therapy = "mixed"
    arms: Mapping[str, ArmRates] = field(default_factory=lambda: ARMS)
    arm_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_ARM_WEIGHTS)
    general: GeneralRates = GENERAL
    last_index: dt.date = dt.date(2024, 6, 30)
    data_cutoff: dt.date = dt.date(2025, 6, 30)
    id_prefix: str = "synth"

    def __post_init__(self) -> None:
        # plain dicts (not the read-only module constants) so that params pickle to workers
        object.__setattr__(self, "arms", dict(self.arms))
        object.__setattr__(self, "arm_weights", dict(self.arm_weights))
        if self.therapy not in THERAPIES:
            raise ValueError(f"therapy must be one of {', '.join(THERAPIES)}, not {self.therapy!r}")
        unknown = set(self.arm_weights) - set(self.arms)
        if unknown:
            raise ValueError(f"weights given for unknown arms: {', '.join(sorted(unknown))}")
        if not self.weights():
            raise ValueError(f"no arm with a positive weight for therapy {self.therapy!r}")
        if self.data_cutoff <= self.last_index:
            raise ValueError("the data cutoff must come after the last index therapy")

    def weights(self) -> dict[str, float]:
        """Arm weights for this cohort's therapy, normalised to sum to 1."""
        chosen = {
            k: w
            for k, w in self.arm_weights.items()
            if w > 0 and (self.therapy == "mixed" or self.arms[k].therapy == self.therapy)
        }
        total = sum(chosen.values())
        return {k: w / total for k, w in chosen.items()} if total > 0 else {}

    def with_therapy(self, therapy: Therapy) -> SynthParams:
        return replace(self, therapy=therapy)


DEFAULT_PARAMS = SynthParams()


def rate_rows(params: SynthParams = DEFAULT_PARAMS) -> list[dict[str, object]]:
    """Every rate as a row (``scope``, ``name``, ``value``, ``unit``, ``source``, ``approximate``,
    ``note``): for docs and for ``remission synth --json``."""
    rows: list[dict[str, object]] = []
    for arm in params.arms.values():
        for name, r in arm.rates():
            rows.append(_row(arm.key, name, r))
        rows.append(
            {
                "scope": arm.key,
                "name": "relapse_count",
                "value": list(arm.relapse_count),
                "unit": "probabilities",
                "source": "assumption",
                "approximate": True,
                "note": RELAPSE_COUNT_NOTE,
            }
        )
    for name, r in params.general.rates():
        rows.append(_row("general", name, r))
    return rows


def _row(scope: str, name: str, r: Rate) -> dict[str, object]:
    return {
        "scope": scope,
        "name": name,
        "value": r.value,
        "unit": r.unit,
        "source": r.source,
        "approximate": r.approximate,
        "note": r.note,
    }


def _fmt(value: object) -> str:
    if isinstance(value, list):
        return " / ".join(_fmt(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rates_markdown(params: SynthParams = DEFAULT_PARAMS) -> str:
    """The rates table of docs/synth.md, generated from the data (a test keeps them equal)."""
    lines = [
        "| scope | rate | value | unit | source | approximate | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rate_rows(params):
        lines.append(
            f"| {row['scope']} | {row['name']} | {_fmt(row['value'])} | {row['unit']} | "
            f"{row['source']} | {'yes' if row['approximate'] else 'no'} | {row['note']} |"
        )
    return "\n".join(lines) + "\n"
