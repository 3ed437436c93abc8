"""The virtual-cohort generator: one synthetic r/r B-ALL course per call, as a validated Case.

Pure: no I/O, no global state. Each case is drawn from its own random stream,
``SeedSequence(seed, spawn_key=(index,))`` (:func:`case_rng`), so case ``index`` of seed ``S``
is the same whatever the cohort size, order or number of worker processes, and the same seed
always gives the same cases (and, through :func:`remission.casefile.dump_document`, the same
bytes).

What one case holds (docs/synth.md, "What is generated"): a diagnosis with its genetics; a
front-line protocol (with a TKI when Ph-positive); remissions, relapses by site (marrow, CNS,
testis, skin, eye, soft tissue ...), salvage lines, a prior allogeneic HSCT, prior blinatumomab or
inotuzumab; then the index therapy - a CAR-T infusion (leukapheresis, bridging, pre-infusion
marrow, lymphodepletion, product and dose) or blinatumomab cycles - with daily CRS and ICANS
bedside findings (ICE from age 12, CAPD below), the tocilizumab, steroids and anti-seizure drugs
given for them, the day-28 (or end-of-cycle) response with MRD, CAR-T transgene levels from the
Stein 2019 model with between-patient variability, assay noise and BLQ samples, B cells, IL-6
and ferritin; and the course after it: HSCT consolidation, GVHD, relapse (CD19-negative or
positive, lineage switch), salvage, death (disease, toxicity, non-relapse) or the last follow-up.

Every probability comes from :mod:`remission.synth.rates`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from remission.kinetics import (
    STEIN2019_IIV_VARIANCE,
    STEIN2019_RESIDUAL_SD,
    STEIN2019_TYPICAL,
    SteinParams,
    sample_patient_params,
    simulate_profile,
    stein_concentration,
)
from remission.model import Case
from remission.model.time import DAYS_PER_MONTH
from remission.synth.rates import DEFAULT_PARAMS, ArmRates, GeneralRates, SynthParams

__all__ = ["case_id", "case_rng", "generate_case", "generate_case_data", "generate_cohort"]

T = TypeVar("T")

CAR_T_ASSESSMENT_DAYS = 14  # daily CRS/ICANS findings to day 14 at least (product labels)
BLINA_ASSESSMENT_DAYS = 9  # hospitalised for the first 9 days of cycle 1 (Blincyto label)
TRANSGENE_DAYS = (1, 4, 7, 10, 14, 21, 28, 42, 56, 90, 180, 270, 365, 545, 730, 1095)
BCELL_DAYS = (0, 28, 56, 90, 180, 270, 365, 545, 730, 1095)
CYTOKINE_DAYS = (0, 1, 2, 3, 4, 5, 7, 10, 14)
BCELL_LLOQ = 5.0  # cells/uL: aplastic samples are reported below it
#: Days from leukapheresis to infusion, by arm (an assumption; academic products are fastest).
VEIN_TO_VEIN = {"tisagenlecleucel": (28, 45), "brexucabtagene": (14, 24), "obecabtagene": (18, 30)}


def case_id(index: int, prefix: str = "synth") -> str:
    """The pseudonymous id of case ``index``: ``synth-000001``."""
    return f"{prefix}-{index:06d}"


def case_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of case ``index`` of a cohort drawn with ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def generate_case(
    rng: np.random.Generator, index: int, params: SynthParams = DEFAULT_PARAMS
) -> Case:
    """One synthetic course, validated as a :class:`~remission.model.Case`."""
    return Case.model_validate(generate_case_data(rng, index, params))


def generate_case_data(
    rng: np.random.Generator, index: int, params: SynthParams = DEFAULT_PARAMS
) -> dict[str, Any]:
    """The same course as plain data (what a case file holds), before validation."""
    return _Builder(rng, index, params).build()


def generate_cohort(
    n: int, seed: int = 0, params: SynthParams = DEFAULT_PARAMS, *, start: int = 1
) -> Iterator[Case]:
    """Cases ``start`` to ``start + n - 1`` of the cohort drawn with ``seed``."""
    if n < 0:
        raise ValueError("n must not be negative")
    for index in range(start, start + n):
        yield generate_case(case_rng(seed, index), index, params)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _phi(z: float) -> float:
    """Standard normal distribution function."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits (files stay short and platform-stable)."""
    if x == 0 or not math.isfinite(x):
        return 0.0
    return float(f"{x:.{digits}g}")


def _grade_distribution(any_: float, g3plus: float, g4share: float) -> list[float]:
    """P(grade 0..4) from the published any-grade and grade >= 3 rates.

    Grade 1-2 episodes are split 55:45 between grades 1 and 2 (an assumption, docs/synth.md).
    """
    g3plus = min(g3plus, any_)
    low = any_ - g3plus
    return [1.0 - any_, 0.55 * low, 0.45 * low, g3plus * (1.0 - g4share), g3plus * g4share]


def _grade_from_u(u: float, dist: Sequence[float]) -> int:
    acc = 0.0
    for grade, p in enumerate(dist):
        acc += p
        if u <= acc:
            return grade
    return len(dist) - 1


@dataclass(frozen=True)
class _DateRef:
    day: int


@dataclass
class _Event:
    day: int  # days from diagnosis
    data: dict[str, Any]
    seq: int = 0


@dataclass
class _Course:
    """What was decided about the index therapy and its aftermath (days from the index day)."""

    responds: bool = False
    remission_code: str = "NR"
    mrd_negative: bool = False
    crs_grade: int = 0
    icans_grade: int = 0
    fatal: str | None = None  # "crs" or "icans"
    death_day: int | None = None
    death_cause: str | None = None
    relapse_day: int | None = None
    relapse_cd19_negative: bool = False
    lineage_switch: bool = False
    hsct_day: int | None = None
    follow_up_end: int = 0
    transgene: SteinParams | None = None
    bcell_recovery_day: float | None = None
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, rng: np.random.Generator, index: int, params: SynthParams):
        self.rng = rng
        self.index = index
        self.p = params
        self.g: GeneralRates = params.general
        weights = params.weights()
        keys = sorted(weights)
        self.arm: ArmRates = params.arms[self.choice(keys, [weights[k] for k in keys])]
        self.events: list[_Event] = []
        self._seq = 0
        self._ids: dict[str, int] = {}
        self.diagnosis: dict[str, Any] = {}
        self.assessments: list[dict[str, Any]] = []
        self.observations: list[dict[str, Any]] = []
        self.crs_levels: dict[int, int] = {}
        self.t315i = False
        self.last_sites: list[str] = ["marrow"]
        self.index_relapse: dict[str, Any] | None = None
        self.screen_blasts = 50.0
        self._last_therapy_id = "induction"
        self.v2v = 21

    # -- random draws -------------------------------------------------------------------------

    def u(self) -> float:
        return float(self.rng.random())

    def bern(self, p: float) -> bool:
        return self.u() < p

    def ri(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return int(self.rng.integers(lo, hi + 1))

    def unif(self, lo: float, hi: float, digits: int = 1) -> float:
        return round(lo + (hi - lo) * self.u(), digits)

    def choice(self, items: Sequence[T], probs: Sequence[float] | None = None) -> T:
        if probs is None:
            return items[int(self.rng.integers(len(items)))]
        total = float(sum(probs))
        u = self.u() * total
        acc = 0.0
        for item, p in zip(items, probs, strict=True):
            acc += p
            if u < acc:
                return item
        return items[-1]

    def lognormal_days(self, median: float, sigma: float, lo: int = 1, hi: int = 100_000) -> int:
        value = median * math.exp(sigma * float(self.rng.standard_normal()))
        return int(min(max(round(value), lo), hi))

    def beta_scaled(self, lo: float, hi: float, median: float) -> float:
        """A value in [lo, hi] with roughly the given median (beta, shape a = 2)."""
        q = min(max((median - lo) / (hi - lo), 0.05), 0.9)
        a = 2.0
        b = max((a - 1 / 3) / q - a + 2 / 3, 1.05)
        return lo + (hi - lo) * float(self.rng.beta(a, b))

    # -- ids and events -----------------------------------------------------------------------

    def new_id(self, stem: str) -> str:
        n = self._ids.get(stem, 0) + 1
        self._ids[stem] = n
        return f"{stem}{n}"

    def add(self, day: int, data: dict[str, Any]) -> dict[str, Any]:
        self._seq += 1
        self.events.append(_Event(day, data, self._seq))
        return data

    def date(self, day: int) -> _DateRef:
        """A calendar date ``day`` days after the diagnosis (written once that date is drawn)."""
        return _DateRef(day)

    def _render(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event with its calendar dates written out (they are top-level fields)."""
        return {
            k: (self.dx_date + dt.timedelta(days=v.day)).isoformat()
            if isinstance(v, _DateRef)
            else v
            for k, v in event.items()
        }

    @staticmethod
    def rel(anchor: str, offset: int) -> str:
        if offset == 0:
            return anchor
        return f"{anchor}{'+' if offset > 0 else '-'}{abs(offset)}d"

    # -- the whole case -----------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        a = self.arm
        self.sex = "male" if self.bern(a.male.value) else "female"
        self.age = self.beta_scaled(a.age_min, a.age_max, a.age_median.value)
        self.age_int = int(self.age)
        self.child = self.age < 18
        self.weight = self._weight()
        first = dt.date(a.first_year, 1, 1)
        span = (self.p.last_index - first).days
        self.index_date = first + dt.timedelta(days=self.ri(0, max(span, 0)))
        self.ph = self.bern(a.ph_positive.value)
        self.primary_refractory = self.bern(a.primary_refractory.value)
        self.car_t = a.therapy == "car_t"
        self.index_id = "car1" if self.car_t else "blina1"

        history_days = self._history()  # events from day 0 (diagnosis) up to the index day
        self.index_day = history_days
        if self.index_day > (self.age - 0.2) * 365.25:  # a long history: the patient is older
            self.age = self.index_day / 365.25 + 0.2 + self.u()
            self.age_int = int(self.age)
        self.dx_date = self.index_date - dt.timedelta(days=self.index_day)
        self.diagnosis = {"date": self.dx_date.isoformat(), **self.diagnosis}
        fu_limit = (self.p.data_cutoff - self.index_date).days
        loss = 60 + int(
            self.rng.exponential(365.25 / max(self.g.loss_to_follow_up_per_year.value, 1e-9))
        )
        course = _Course(follow_up_end=min(fu_limit, loss))
        if self.car_t:
            self._car_t(course)
        else:
            self._blinatumomab(course)
        self._aftermath(course)

        birth = self.index_date - dt.timedelta(days=round(self.age * 365.25))
        ordered = sorted(self.events, key=lambda e: (e.day, e.seq))
        data: dict[str, Any] = {
            "schema_version": 1,
            "kind": "case",
            "id": case_id(self.index, self.p.id_prefix),
            "status": "final",
            "source": {
                "kind": "synthetic",
                "note": f"Virtual patient drawn by remission synth: arm {a.key} "
                f"(rates from {a.study}, see docs/synth.md). Not a real patient.",
            },
            "complete_history": True,
            "patient": {
                "sex": self.sex,
                "birth_year": birth.year,
                "age": {"value": self.age_int, "unit": "years", "at": self.index_id},
            },
            "diagnosis": self.diagnosis,
            "index": self.index_ids,
            "timeline": [self._render(e.data) for e in ordered],
        }
        if self.assessments:
            data["assessments"] = self.assessments
        if self.observations:
            data["observations"] = self.observations
        return data

    def _weight(self) -> float:
        """Body weight in kg from age (an illustrative growth curve, +-15 %)."""
        age = self.age
        if age < 12:
            base = 8.0 + 2.6 * age
        elif age < 18:
            base = 39.0 + 4.0 * (age - 12)
        else:
            base = 72.0 if self.sex == "male" else 63.0
        return base * (0.85 + 0.3 * self.u())

    # -- history before the index therapy -----------------------------------------------------

    def _history(self) -> int:
        """Diagnosis to the index relapse; returns the index day (days from diagnosis)."""
        a, g = self.arm, self.g
        child = self.child
        self.kmt2a = self.bern(g.kmt2a.value)
        genetics: list[str] = []
        if self.kmt2a:
            genetics.append("KMT2A::AFF1")
        elif not self.ph:
            pool = (
                ["ETV6::RUNX1", "high hyperdiploidy", "IKZF1 deletion", "iAMP21", "TCF3::PBX1"]
                if child
                else [
                    "IKZF1 deletion",
                    "Ph-like (CRLF2 rearranged)",
                    "low hypodiploidy",
                    "TP53 mutation",
                ]
            )
            if self.bern(0.6):
                genetics.append(self.choice(pool))
        elif self.bern(0.5):
            genetics.append("IKZF1 deletion")
        cns_dx = "CNS1"
        if self.bern(g.cns_at_diagnosis.value):
            cns_dx = self.choice(["CNS2", "CNS3"], [0.6, 0.4])
        self.diagnosis = {
            "disease": "B-ALL",
            "ph_positive": self.ph,
            "kmt2a_rearranged": self.kmt2a,
            "cd19": "positive",
            "cns_status": cns_dx,
            "wbc_10e9_l": _sig(10.0 * math.exp(1.2 * float(self.rng.standard_normal())), 2),
            "primary_refractory": self.primary_refractory,
        }
        if self.ph:
            self.diagnosis["bcr_abl1_transcript"] = (
                "p190" if self.bern(g.p190_share_ph.value) else "p210"
            )
        if genetics:
            self.diagnosis["genetics"] = genetics

        # how many relapses, which remission a transplant came in, where prior agents fell
        n_rel = 0 if self.primary_refractory else 1 + self.choice([0, 1, 2, 3], a.relapse_count)
        if self.age < 6:  # a young child has had little time for many relapses
            n_rel = min(n_rel, 1 if self.age < 4 else 2)
        self.n_rel = n_rel
        # the published share is of all patients; primary refractory ones had none here
        p_hsct = min(a.prior_hsct.value / max(1.0 - a.primary_refractory.value, 0.05), 0.95)
        prior_hsct = n_rel >= 1 and self.age >= 2 and self.bern(p_hsct)
        hsct_cr = 0
        if prior_hsct:
            hsct_cr = n_rel if (n_rel == 1 or self.bern(0.75)) else n_rel - 1
        blin_at = (
            self.ri(1, max(n_rel, 1)) if self.car_t and self.bern(a.prior_blinatumomab.value) else 0
        )
        ino_at = (
            self.ri(1, max(n_rel, 1))
            if self.car_t and not child and self.bern(a.prior_inotuzumab.value)
            else 0
        )
        self.prior_hsct_id: str | None = None
        self.prior_donor: dict[str, Any] | None = None

        # remission lengths (and the transplant's place in its remission), kept inside the
        # patient's life: they shrink for the young
        cr1 = (g.cr1_median_months_child if child else g.cr1_median_months_adult).value
        durations = [
            self.lognormal_days(cr1 * DAYS_PER_MONTH, 0.5, lo=120)
            if r == 1
            else self.lognormal_days(g.later_cr_median_months.value * DAYS_PER_MONTH, 0.5, lo=100)
            for r in range(1, n_rel + 1)
        ]
        hsct_offset = self.ri(60, 120) if hsct_cr else 0
        if hsct_cr:
            durations[hsct_cr - 1] = max(durations[hsct_cr - 1], hsct_offset + self.ri(90, 360))
        fixed = 45 * (n_rel + 1) + 120
        budget = max((self.age - 0.6) * 365.25 - fixed, 60.0)
        if sum(durations) > budget:
            scale = budget / sum(durations)
            durations = [max(int(d * scale), 60) for d in durations]
            if hsct_cr:
                hsct_offset = min(hsct_offset, max(durations[hsct_cr - 1] - 45, 20))

        # front line
        day = self.ri(1, 4)
        ind_id = "induction"
        agents, protocol = self._frontline()
        self.add(
            day,
            {
                "id": ind_id,
                "type": "therapy",
                "start": self.date(day),
                "end": self.date(day + 32),
                "protocol": protocol,
                "agents": agents,
                "line": 1,
                "intent": "induction",
            },
        )
        eval_day = day + 33
        line = 1
        if self.primary_refractory:
            self.add(
                eval_day,
                {
                    "id": "induction-eval",
                    "type": "disease_assessment",
                    "date": self.date(eval_day),
                    "assesses": ind_id,
                    "response": "NR",
                    "marrow_blasts_pct": self.unif(12, 70),
                },
            )
            last = eval_day
            attempts = ["blinatumomab"] if blin_at else []
            if ino_at:
                attempts.append("inotuzumab")
            if not attempts or self.bern(0.5):
                attempts.insert(0, "chemo")
            for kind in attempts:
                line += 1
                last = self._failed_salvage(last, kind, line)
            return last + self._index_preparation_days()

        self.add(
            eval_day,
            {
                "id": "induction-eval",
                "type": "disease_assessment",
                "date": self.date(eval_day),
                "assesses": ind_id,
                "response": "CR",
                "marrow_blasts_pct": self.unif(0, 2),
                "mrd": self._mrd(negative=self.bern(0.7), method="flow"),
            },
        )
        cr_start = eval_day
        cons_len = min(durations[0] - 30, 730) if durations else 700
        if hsct_cr == 1:
            cons_len = hsct_offset - 14
        cons_end = cr_start + max(cons_len, 5)
        self.add(
            cr_start + 7,
            {
                "id": "consolidation",
                "type": "therapy",
                "start": self.date(cr_start + 7),
                "end": self.date(cons_end),
                "protocol": protocol,
                "agents": self._consolidation_agents(),
                "intent": "consolidation",
            },
        )
        relapse_day = cr_start
        for r in range(1, n_rel + 1):
            duration = durations[r - 1]
            if hsct_cr == r:
                self._hsct(cr_start + hsct_offset, prior=True)
            relapse_day = cr_start + duration
            rel = self._relapse_before_index(relapse_day, r)
            if r < n_rel:
                line += 1
                kind = "blinatumomab" if blin_at == r else "inotuzumab" if ino_at == r else "chemo"
                start = relapse_day + self.ri(3, 10)
                end = self._salvage(start, kind, line, rel)
                ev_day = end + self.ri(2, 6)
                self.add(
                    ev_day,
                    {
                        "id": self.new_id("salvage-eval"),
                        "type": "disease_assessment",
                        "date": self.date(ev_day),
                        "assesses": self._last_therapy_id,
                        "response": "CR",
                        "marrow_blasts_pct": self.unif(0, 2),
                        "mrd": self._mrd(negative=self.bern(0.6), method="flow"),
                    },
                )
                cr_start = ev_day
            else:
                self.index_relapse = rel
                last = relapse_day
                attempts = []
                if blin_at == r:
                    attempts.append("blinatumomab")
                if ino_at == r:
                    attempts.append("inotuzumab")
                if not attempts and self.bern(self.g.index_relapse_refractory.value):
                    attempts.append("chemo")
                for kind in attempts:
                    line += 1
                    last = self._failed_salvage(last, kind, line)
                if attempts:
                    rel["refractory"] = True
                return last + self._index_preparation_days()
        raise AssertionError("unreachable")  # pragma: no cover

    def _index_preparation_days(self) -> int:
        """Days from the last event of the history to the index therapy.

        CAR-T: leukapheresis 3-14 days later, then the product's vein-to-vein time (an
        assumption per product); blinatumomab: 7-21 days.
        """
        if not self.car_t:
            return self.ri(7, 21)
        self.v2v = self.ri(*VEIN_TO_VEIN.get(self.arm.key, (10, 21)))
        return self.ri(3, 14) + self.v2v

    def _frontline(self) -> tuple[list[str], str]:
        if self.child:
            protocol = (
                "EsPhALL2017"
                if self.ph
                else self.choice(
                    ["AIEOP-BFM ALL 2009", "AIEOP-BFM ALL 2017", "COG AALL0932", "UKALL 2011"]
                )
            )
            agents = ["prednisone", "vincristine", "daunorubicin", "pegaspargase", "methotrexate"]
            if self.ph:
                agents.append("imatinib")
        else:
            if self.ph:
                protocol = self.choice(["hyper-CVAD + dasatinib", "GRAAPH-2014", "EWALL-PH-01"])
                agents = ["vincristine", "dexamethasone", "cyclophosphamide", "dasatinib"]
            else:
                protocol = self.choice(
                    ["hyper-CVAD", "GRAALL-2014", "GMALL 08/2013", "CALGB 10403"]
                )
                agents = ["vincristine", "dexamethasone", "daunorubicin", "pegaspargase"]
        agents.append("triple_intrathecal")
        return agents, protocol

    def _consolidation_agents(self) -> list[str]:
        agents = ["methotrexate", "mercaptopurine", "cytarabine", "cyclophosphamide"]
        if self.ph:
            agents.append("imatinib" if self.child else "dasatinib")
        return agents

    def _mrd(self, negative: bool, method: str = "flow") -> dict[str, Any]:
        sens = {"flow": 1e-4, "ngs": 1e-6, "rq_pcr_ig_tr": 1e-5, "rt_qpcr_fusion": 1e-5}[method]
        if negative:
            return {"value": 0, "detectable": False, "method": method, "sensitivity": sens}
        lo = 1e-4 if method != "ngs" else 1e-5
        value = _sig(lo * math.exp(self.u() * math.log(200.0)), 2)
        return {"value": value, "detectable": True, "method": method, "sensitivity": sens}

    def _sites(self) -> list[str]:
        g = self.g
        em = 1.0 if self.child else g.adult_extramedullary_factor.value
        cats = ["marrow", "marrow_cns", "marrow_testis", "cns", "testis", "other"]
        probs = [
            g.site_isolated_marrow.value,
            g.site_marrow_cns.value * em,
            g.site_marrow_testis.value * em,
            g.site_isolated_cns.value * em,
            g.site_isolated_testis.value * em,
            g.site_other_extramedullary.value * em,
        ]
        probs[0] = max(1.0 - sum(probs[1:]), 0.0)
        cat = self.choice(cats, probs)
        male = self.sex == "male"
        if cat == "marrow_testis":
            return ["marrow", "testis"] if male else ["marrow"]
        if cat == "testis":
            return ["testis"] if male else ["cns"]
        if cat == "marrow_cns":
            return ["marrow", "cns"]
        if cat == "cns":
            return ["cns"]
        if cat == "other":
            site = self.choice(["skin", "eye", "soft_tissue", "lymph_node", "bone"])
            return ["marrow", site] if self.bern(0.5) else [site]
        return ["marrow"]

    def _relapse_before_index(self, day: int, number: int) -> dict[str, Any]:
        sites = self._sites()
        marrow = "marrow" in sites
        if marrow and len(sites) == 1:
            blasts = self.unif(25, 95)
        elif marrow:
            blasts = self.unif(5, 90)
        else:
            blasts = self.unif(0, 4)
        rel: dict[str, Any] = {
            "id": f"rel{number}",
            "type": "relapse",
            "date": self.date(day),
            "number": number,
            "sites": sites,
            "marrow_blasts_pct": blasts,
            "cd19": "positive",
        }
        if "cns" in sites:
            rel["cns_status"] = "CNS3" if len(sites) == 1 or self.bern(0.6) else "CNS2"
        if self.ph and self.bern(self.g.t315i_at_relapse_ph.value):
            rel["kinase_mutations"] = ["T315I"]
            self.t315i = True
        self.add(day, rel)
        self.last_sites = sites
        self.last_marrow_blasts = blasts
        return rel

    def _salvage_agents(self, kind: str, sites: Sequence[str]) -> tuple[list[str], str | None]:
        if kind == "blinatumomab":
            return ["blinatumomab"], None
        if kind == "inotuzumab":
            return ["inotuzumab_ozogamicin"], None
        if self.child:
            protocol = self.choice(
                ["IntReALL SR 2010", "IntReALL HR", "UKALL R3", "ALL-REZ BFM 2002"]
            )
            agents = ["dexamethasone", "vincristine", "pegaspargase", "mitoxantrone"]
        else:
            protocol = self.choice(["FLAG-Ida", "hyper-CVAD", "mini-hyper-CVD"])
            agents = (
                ["fludarabine", "cytarabine", "idarubicin"]
                if protocol == "FLAG-Ida"
                else ["cyclophosphamide", "vincristine", "dexamethasone", "methotrexate"]
            )
        if self.ph:
            agents.append("ponatinib" if self.t315i else "dasatinib")
        if "cns" in sites:
            agents.append("triple_intrathecal")
        if "testis" in sites:
            agents.append("testicular_irradiation")
        return agents, protocol

    def _salvage(self, start: int, kind: str, line: int, rel: dict[str, Any] | None) -> int:
        sites = rel["sites"] if rel else []
        agents, protocol = self._salvage_agents(kind, sites)
        length = 27 if kind == "blinatumomab" else 21 if kind == "inotuzumab" else 28
        tid = self.new_id("blina-prior" if kind == "blinatumomab" else "salvage")
        ev: dict[str, Any] = {
            "id": tid,
            "type": "therapy",
            "start": self.date(start),
            "end": self.date(start + length),
            "agents": agents,
            "line": line,
            "intent": "salvage",
        }
        if protocol:
            ev["protocol"] = protocol
        if kind == "blinatumomab":
            ev["cycle"] = 1
        self.add(start, ev)
        self._last_therapy_id = tid
        return start + length

    def _failed_salvage(self, last: int, kind: str, line: int) -> int:
        rel = self.index_relapse
        start = last + self.ri(4, 10)
        end = self._salvage(start, kind, line, rel)
        ev_day = end + self.ri(2, 5)
        self.add(
            ev_day,
            {
                "id": self.new_id("salvage-eval"),
                "type": "disease_assessment",
                "date": self.date(ev_day),
                "assesses": self._last_therapy_id,
                "response": "NR",
                "marrow_blasts_pct": self.unif(10, 80),
            },
        )
        return ev_day

    def _donor_type(self, prior_hsct: bool) -> str:
        if prior_hsct:
            return self.choice(
                ["haploidentical", "matched_unrelated", "mismatched_unrelated", "cord_blood"],
                [0.5, 0.3, 0.1, 0.1],
            )
        return self.choice(
            [
                "matched_sibling",
                "matched_unrelated",
                "haploidentical",
                "mismatched_unrelated",
                "cord_blood",
            ],
            [0.25, 0.4, 0.25, 0.05, 0.05],
        )

    def _hsct(self, day: int, prior: bool, anchor: str | None = None, anchor_day: int = 0) -> str:
        hid = self.new_id("hsct")
        second = self.prior_hsct_id is not None
        donor_type = self._donor_type(second)
        if self.child:
            cond = {
                "intensity": "myeloablative",
                "agents": ["total_body_irradiation", "etoposide"],
                "tbi_gy": 12,
            }
        elif second or self.age > 55:
            cond = {"intensity": "reduced_intensity", "agents": ["fludarabine", "treosulfan"]}
        else:
            cond = {
                "intensity": "myeloablative",
                "agents": ["total_body_irradiation", "cyclophosphamide"],
                "tbi_gy": 12,
            }
        ev: dict[str, Any] = {
            "id": hid,
            "type": "hsct",
            "date": self.rel(anchor, day - anchor_day) if anchor else self.date(day),
            "kind": "allogeneic",
            "donor_type": donor_type,
            "graft_source": "cord_blood"
            if donor_type == "cord_blood"
            else self.choice(["bone_marrow", "peripheral_blood"], [0.4, 0.6]),
            "conditioning": cond,
        }
        if prior:
            self.prior_hsct_id = hid
            self.prior_donor = {
                "relation": {
                    "matched_sibling": "sibling",
                    "haploidentical": self.choice(["parent", "sibling"]),
                    "cord_blood": "cord",
                }.get(donor_type, "unrelated"),
                "type": donor_type,
            }
        self.add(day, ev)
        return hid

    # -- the index therapy --------------------------------------------------------------------

    def _index_sites(self) -> list[str]:
        return list(self.last_sites) if self.n_rel else ["marrow"]

    def _pre_therapy_marrow(self) -> float:
        sites = self._index_sites()
        if "marrow" not in sites:
            return self.unif(0, 4)
        med = self.arm.marrow_blasts_median.value
        return round(self.beta_scaled(5.0, 98.0, med), 1)

    def _screening(self, day: int, anchor: str, anchor_day: int) -> float:
        blasts = self._pre_therapy_marrow()
        ev: dict[str, Any] = {
            "id": "pre-index-marrow",
            "type": "disease_assessment",
            "date": self.rel(anchor, day - anchor_day),
            "marrow_blasts_pct": blasts,
            "note": "Marrow before the index therapy (disease burden).",
        }
        sites = self._index_sites()
        em = [s for s in sites if s not in ("marrow", "cns")]
        if em:
            ev["extramedullary"] = [{"site": s, "status": "present"} for s in em]
        if "cns" in sites:
            ev["csf"] = {
                "wbc_per_ul": self.ri(5, 60),
                "rbc_per_ul": self.ri(0, 5),
                "blasts_present": True,
            }
        self.add(day, ev)
        self.screen_blasts = blasts
        return blasts

    def _latent(self, course: _Course) -> float:
        """Correlated latent normals: response, CRS, ICANS, CAR-T expansion (Gaussian copula)."""
        g, a = self.g, self.arm
        e = self.rng.standard_normal(4)
        ci, cr, cc = (
            g.crs_icans_correlation.value,
            g.crs_response_correlation.value,
            g.cmax_crs_correlation.value,
        )
        z_crs = float(e[0])
        z_icans = ci * z_crs + math.sqrt(1 - ci * ci) * float(e[1])
        z_resp = cr * z_crs + math.sqrt(1 - cr * cr) * float(e[2])
        z_cmax = cc * z_crs + math.sqrt(1 - cc * cc) * float(e[3])
        course.responds = _phi(z_resp) > 1.0 - a.remission.value
        course.crs_grade = _grade_from_u(
            _phi(z_crs),
            _grade_distribution(a.crs_any.value, a.crs_grade3plus.value, a.crs_grade4_share.value),
        )
        course.icans_grade = _grade_from_u(
            _phi(z_icans),
            _grade_distribution(
                a.icans_any.value, a.icans_grade3plus.value, a.icans_grade4_share.value
            ),
        )
        severe = 1.0 - (1.0 - a.crs_grade3plus.value) * (1.0 - a.icans_grade3plus.value)
        if (
            (course.crs_grade >= 3 or course.icans_grade >= 3)
            and severe > 0
            and self.bern(min(a.fatal_toxicity.value / severe, 1.0))
        ):
            course.fatal = "icans" if course.icans_grade >= course.crs_grade else "crs"
        if course.responds:
            cr_share = a.cr_share_of_remissions.value
            course.remission_code = "CR" if self.bern(cr_share) else "CRi"
            course.mrd_negative = self.bern(a.mrd_negative_in_remission.value)
        return z_cmax

    def _car_t(self, course: _Course) -> None:
        a, day0 = self.arm, self.index_day
        anchor = "car1"
        product = {
            "tisagenlecleucel": "tisagenlecleucel",
            "brexucabtagene": "brexucabtagene_autoleucel",
            "obecabtagene": "obecabtagene_autoleucel",
        }.get(a.key, "investigational")
        donor_derived = (
            product == "investigational"
            and self.prior_hsct_id is not None
            and self.bern(self.g.donor_derived_share_after_hsct.value)
        )
        v2v = self.v2v
        aph_day = day0 - v2v
        self.add(
            aph_day,
            {
                "id": "apheresis",
                "type": "other",
                "date": self.rel(anchor, -v2v),
                "label": "donor lymphocyte collection for CAR-T manufacture"
                if donor_derived
                else "leukapheresis for CAR-T manufacture",
            },
        )
        ld_days = {"brexucabtagene_autoleucel": 4, "obecabtagene_autoleucel": 6}.get(product, 5)
        if self.bern(a.bridging.value) and v2v - ld_days > 12:
            start = aph_day + self.ri(2, 5)
            end = day0 - ld_days - self.ri(3, 6)
            self.add(
                start,
                {
                    "id": "bridging",
                    "type": "therapy",
                    "start": self.rel(anchor, start - day0),
                    "end": self.rel(anchor, end - day0),
                    "agents": self._bridging_agents(),
                    "intent": "bridging",
                },
            )
        blasts = self._screening(day0 - ld_days - 2, anchor, day0)
        z_cmax = self._latent(course)

        car: dict[str, Any] = {
            "id": anchor,
            "type": "car_t_infusion",
            "date": self.index_date.isoformat(),
            "product": product,
            "lymphodepletion": {
                "agents": ["fludarabine", "cyclophosphamide"],
                "start": self.rel(anchor, -ld_days),
            },
        }
        if product == "tisagenlecleucel":
            if self.weight <= 50:
                dose = {
                    "value": _sig(float(self.rng.triangular(0.2, 3.1, 5.0)) * 1e6, 2),
                    "unit": "cells/kg",
                }
            else:
                dose = {
                    "value": _sig(float(self.rng.triangular(0.1, 1.0, 2.5)) * 1e8, 2),
                    "unit": "cells",
                }
            car["dose"] = dose
        elif product == "brexucabtagene_autoleucel":
            car["dose"] = {"value": 1.0e6, "unit": "cells/kg"}
        elif product == "obecabtagene_autoleucel":
            car["dose"] = {"value": 4.1e8, "unit": "cells"}
            car["fractions"] = 2
            car["note"] = "Split dose guided by the pre-lymphodepletion marrow: " + (
                "10 x 10^6 on day 1, 400 x 10^6 on day 10 (blasts > 20 %)."
                if blasts > 20
                else "100 x 10^6 on day 1, 310 x 10^6 on day 10 (blasts <= 20 %)."
            )
        else:
            kind = self.choice(["cd28", "41bb", "dual"], [0.4, 0.45, 0.15])
            car["construct_name"] = {
                "cd28": "CD19-28z (academic)",
                "41bb": "CD19-BBz (academic)",
                "dual": "CD19/CD22 bispecific CAR (academic)",
            }[kind]
            car["target"] = "CD19/CD22" if kind == "dual" else "CD19"
            car["costimulatory"] = ["CD28"] if kind == "cd28" else ["4-1BB"]
            car["cell_source"] = "donor_derived" if donor_derived else "autologous"
            car["dose"] = {"value": _sig(self.unif(0.5, 3.0, 2) * 1e6, 2), "unit": "cells/kg"}
            if donor_derived and self.prior_donor is not None:
                car["donor"] = {**self.prior_donor, "same_as": self.prior_hsct_id}
        self.add(day0, car)
        self.index_ids = [anchor]
        self.costim_cd28 = product == "brexucabtagene_autoleucel" or car.get("costimulatory") == [
            "CD28"
        ]

        # CAR-T kinetics (Stein 2019 through remission.kinetics)
        g = self.g
        omega = dict(STEIN2019_IIV_VARIANCE)
        cmax = STEIN2019_TYPICAL.cmax * math.exp(math.sqrt(omega["cmax"]) * z_cmax)
        if not course.responds:
            cmax /= g.responder_cmax_factor.value
        omega["cmax"] = 0.0
        typical = STEIN2019_TYPICAL.replace(cmax=cmax)
        course.transgene = sample_patient_params(1, typical=typical, omega=omega, rng=self.rng)[0]

        self._toxicity(course, anchor, CAR_T_ASSESSMENT_DAYS)

    def _bridging_agents(self) -> list[str]:
        sites = self._index_sites()
        if self.ph:
            agents = ["ponatinib" if self.t315i else "dasatinib", "dexamethasone"]
        elif not self.child and self.bern(0.25):
            agents = ["inotuzumab_ozogamicin"]
        else:
            agents = self.choice(
                [
                    ["vincristine", "dexamethasone"],
                    ["mercaptopurine", "methotrexate"],
                    ["cytarabine"],
                ]
            )
        if "cns" in sites:
            agents = [*agents, "triple_intrathecal"]
        return list(agents)

    def _blinatumomab(self, course: _Course) -> None:
        day0, anchor = self.index_day, "blina1"
        self._screening(day0 - self.ri(2, 6), anchor, day0)
        self._latent(course)
        flat = self.weight >= 45
        self.add(
            day0,
            {
                "id": anchor,
                "type": "therapy",
                "start": self.index_date.isoformat(),
                "end": self.rel(anchor, 27),
                "agents": ["blinatumomab"],
                "cycle": 1,
                "intent": "salvage",
                "route": "iv",
                "dose": {"value": 28, "unit": "ug/day"}
                if flat
                else {"value": 15, "unit": "ug/m2/day"},
                "note": "Continuous infusion; "
                + ("9 ug/day on days 1-7." if flat else "5 ug/m2/day on days 1-7.")
                + " Dexamethasone premedication.",
            },
        )
        self.index_ids = [anchor]
        self.costim_cd28 = False
        self._toxicity(course, anchor, BLINA_ASSESSMENT_DAYS)

    # -- CRS and ICANS: daily bedside findings --------------------------------------------------

    def _levels(self, grade: int, onset: int, duration: int) -> dict[int, int]:
        """Day -> level of a syndrome episode peaking at ``grade`` (rises, peaks, falls)."""
        if grade <= 0:
            return {}
        peak = onset + round((0.25 + 0.35 * self.u()) * (duration - 1))
        return {
            t: max(1, grade - abs(t - peak) if t <= peak else grade - (t - peak) // 2)
            for t in range(onset, onset + duration)
        }

    def _toxicity(self, course: _Course, anchor: str, min_days: int) -> None:
        a, g = self.arm, self.g
        crs_g = 5 if course.fatal == "crs" else course.crs_grade
        icans_g = 5 if course.fatal == "icans" else course.icans_grade
        crs: dict[int, int] = {}
        crs_onset = None
        if crs_g:
            crs_onset = self.lognormal_days(a.crs_onset_median_day.value, 0.45, lo=1, hi=16)
            dur = self.lognormal_days(
                a.crs_duration_median_days.value * (0.7 + 0.15 * crs_g), 0.35, lo=2, hi=25
            )
            crs = self._levels(crs_g, crs_onset, dur)
        icans: dict[int, int] = {}
        if icans_g:
            onset = self.lognormal_days(a.icans_onset_median_day.value, 0.35, lo=1, hi=28)
            if crs_onset is not None:
                onset = max(onset, crs_onset + self.ri(1, 3))
            dur = self.lognormal_days(
                a.icans_duration_median_days.value * (0.7 + 0.15 * icans_g), 0.45, lo=1, hi=25
            )
            icans = self._levels(icans_g, onset, dur)
        death_day = None
        if course.fatal == "crs":
            death_day = next(t for t, lv in sorted(crs.items()) if lv == 5)
            crs = {t: lv for t, lv in crs.items() if t <= death_day}
        elif course.fatal == "icans":
            death_day = next(t for t, lv in sorted(icans.items()) if lv == 5)
            icans = {t: lv for t, lv in icans.items() if t <= death_day}
        last = max([min_days, *(t + 1 for t in crs), *(t + 1 for t in icans)])
        if death_day is not None:
            last = death_day
            course.death_day = death_day
            course.death_cause = course.fatal

        # treatments: tocilizumab for CRS, steroids for CRS >= 3 and ICANS >= 2, levetiracetam
        treat: dict[int, list[str]] = {}
        crs_days = sorted(crs)
        if crs_days:
            g2 = [t for t in crs_days if crs[t] >= 2]
            if g2 and self.bern(g.tocilizumab_for_crs_grade2plus.value):
                treat.setdefault(g2[0], []).append("tocilizumab")
                g3 = [t for t in crs_days if crs[t] >= 3 and t > g2[0]]
                if g3 and self.bern(0.5):
                    treat.setdefault(g3[0], []).append("tocilizumab")
            elif not g2 and len(crs_days) >= 3 and self.bern(g.tocilizumab_for_crs_grade1.value):
                treat.setdefault(crs_days[1], []).append("tocilizumab")
            g3 = [t for t in crs_days if crs[t] >= 3]
            if g3 and self.bern(g.steroids_for_crs_grade3plus.value):
                treat.setdefault(g3[0], []).append("dexamethasone")
        icans_days = sorted(icans)
        i2 = [t for t in icans_days if icans[t] >= 2]
        if i2 and self.bern(g.steroids_for_icans_grade2plus.value):
            treat.setdefault(i2[0], []).append("dexamethasone")
        if icans_g >= 4 and self.bern(0.3):
            treat.setdefault(i2[0], []).append("anakinra")
        if death_day is not None:
            treat = {t: ags for t, ags in treat.items() if t <= death_day}
        self.crs_levels = crs
        masked_from = None
        if crs_onset is not None:
            started = [
                t
                for t, ags in treat.items()
                if t >= crs_onset
                and any(x in ("tocilizumab", "dexamethasone", "methylprednisolone") for x in ags)
            ]
            masked_from = min(started) + 1 if started else None

        crs_route = self.choice(["hypotension", "hypoxia"])
        icans_route = self.choice(
            ["ice", "seizure", "consciousness", "edema"], [0.55, 0.2, 0.15, 0.1]
        )
        tremor = self.bern(0.35)
        seizure_days: list[int] = []
        entries: list[dict[str, Any]] = []
        for t in range(0, last + 1):
            entry: dict[str, Any] = {"at": self.rel(anchor, t)}
            level = crs.get(t, 0)
            masked = masked_from is not None and t >= masked_from and level > 0
            entry["crs"] = self._crs_findings(level, masked, crs_route, crs_g)
            ilevel = icans.get(t, 0)
            entry["icans"] = self._icans_findings(ilevel, icans_route, icans_g, tremor)
            if entry["icans"].get("seizure", "none") != "none":
                seizure_days.append(t)
            entries.append(entry)
        if seizure_days:
            treat.setdefault(seizure_days[0], []).append("levetiracetam")
        self.assessments = entries
        course.crs_grade = min(crs_g, 5)
        course.icans_grade = min(icans_g, 5)
        day0 = self.index_day
        for t in sorted(treat):
            agents = list(dict.fromkeys(treat[t]))
            for agent in agents:
                stem = {"tocilizumab": "toci", "dexamethasone": "dex", "levetiracetam": "lev"}.get(
                    agent, agent
                )
                ev: dict[str, Any] = {
                    "id": self.new_id(stem),
                    "type": "therapy",
                    "start": self.rel(anchor, t),
                    "agents": [agent],
                    "intent": "toxicity_management",
                }
                if agent == "tocilizumab":
                    ev["dose"] = {"value": 12 if self.weight < 30 else 8, "unit": "mg/kg"}
                self.add(day0 + t, ev)

    def _crs_findings(self, level: int, masked: bool, route: str, top: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if level == 0:
            out["temperature_c"] = self.unif(36.3, 37.6)
            return out
        if masked:
            out["temperature_c"] = self.unif(36.5, 37.7)
            out["fever_masked_after_crs"] = True
        else:
            out["temperature_c"] = self.unif(38.1, 39.0) if level == 1 else self.unif(38.4, 40.6)
        lv = min(level, 4)
        hyp = route == "hypotension"
        if lv == 2:
            if hyp:
                out["hypotension"] = True
                out["fluids_only"] = True
            elif self.age < 6 and self.bern(0.5):
                out["oxygen"] = {"device": "blow_by"}
            else:
                out["oxygen"] = {"device": "nasal_cannula", "flow_l_min": self.ri(1, 6)}
        elif lv == 3:
            if hyp:
                out["hypotension"] = True
                out["vasopressors"] = (
                    ["norepinephrine", "vasopressin"] if self.bern(0.2) else ["norepinephrine"]
                )
            else:
                device = self.choice(
                    [
                        "high_flow_nasal_cannula",
                        "simple_facemask",
                        "non_rebreather",
                        "venturi_mask",
                    ],
                    [0.6, 0.2, 0.1, 0.1],
                )
                out["oxygen"] = (
                    {"device": device, "flow_l_min": self.ri(8, 40)}
                    if device == "high_flow_nasal_cannula"
                    else {"device": device}
                )
        elif lv == 4:
            if hyp:
                out["hypotension"] = True
                out["vasopressors"] = self.choice(
                    [
                        ["norepinephrine", "epinephrine"],
                        ["norepinephrine", "phenylephrine", "vasopressin"],
                    ]
                )
            else:
                out["oxygen"] = {
                    "device": self.choice(["bipap", "cpap", "invasive_mechanical_ventilation"])
                }
        if level == 5:
            out["death_due_to_crs"] = True
        return out

    def _icans_findings(self, level: int, route: str, top: int, tremor: bool) -> dict[str, Any]:
        child = self.age_int < 12
        out: dict[str, Any] = {"age_years": self.age_int}

        def score(lo_ice: int, hi_ice: int, lo_capd: int, hi_capd: int) -> None:
            if child:
                out["capd_score"] = self.ri(lo_capd, hi_capd)
            else:
                out["ice_score"] = self.ri(lo_ice, hi_ice)

        lv = min(level, 4)
        peak_route = route if lv == min(top, 4) else "ice"
        if lv == 0:
            score(10, 10, 0, 0)
        elif lv == 1:
            score(7, 9, 1, 8)
            if self.bern(0.3):
                out["consciousness"] = "depressed_awakens_spontaneously"
        elif lv == 2:
            score(3, 6, 2, 8)
            if child or self.bern(0.4):
                out["consciousness"] = "awakens_to_voice"
        elif lv == 3:
            if peak_route == "seizure":
                score(3, 8, 3, 8)
                out["seizure"] = "rapidly_resolving_clinical"
            elif peak_route == "consciousness":
                score(1, 2, 9, 20)
                out["consciousness"] = "awakens_only_to_tactile"
            elif peak_route == "edema":
                score(3, 6, 3, 8)
                out["icp_edema"] = "focal_edema"
            else:
                score(0, 2, 9, 24)
        else:
            if peak_route == "seizure":
                score(0, 2, 12, 24)
                out["seizure"] = self.choice(
                    ["prolonged_over_5_min", "repetitive_without_return_to_baseline"]
                )
            elif peak_route == "edema" or level == 5:
                out["consciousness"] = "vigorous_stimuli_or_unarousable"
                out["icp_edema"] = "diffuse_edema"
            elif peak_route == "ice" and self.bern(0.3):
                score(3, 6, 5, 8)
                out["motor"] = "deep_focal_weakness"
            else:
                out["consciousness"] = "vigorous_stimuli_or_unarousable"
        if level >= 1 and tremor and self.bern(0.6):
            out["other_findings"] = ["tremor"] if self.bern(0.8) else ["tremor", "headache"]
        if level == 5:
            out["death_due_to_icans"] = True
        return out

    # -- response and what follows ------------------------------------------------------------

    def _response_findings(self, course: _Course, code: str, anchor: str) -> dict[str, Any]:
        sites = self._index_sites()
        out: dict[str, Any] = {"response": code}
        if code in ("CR", "CRi", "CRh"):
            if course.mrd_negative:
                out["marrow_blasts_pct"] = self.unif(0, 1)
            else:
                out["marrow_blasts_pct"] = self.unif(0.5, 3)
            if code == "CR":
                out["anc_10e9_l"] = self.unif(1.0, 4.5)
                out["platelets_10e9_l"] = self.ri(100, 350)
                out["transfusion_independent"] = True
            elif code == "CRh":
                out["anc_10e9_l"] = self.unif(0.6, 0.9)
                out["platelets_10e9_l"] = self.ri(55, 95)
            else:
                if self.bern(0.5):
                    out["anc_10e9_l"] = self.unif(0.1, 0.5)
                    out["platelets_10e9_l"] = self.ri(20, 150)
                else:
                    out["anc_10e9_l"] = self.unif(0.5, 3.0)
                    out["platelets_10e9_l"] = self.ri(8, 50)
            method = (
                "rt_qpcr_fusion"
                if self.ph and self.bern(0.4)
                else self.choice(["flow", "ngs", "rq_pcr_ig_tr"], [0.75, 0.15, 0.1])
            )
            out["mrd"] = self._mrd(course.mrd_negative, method)
            em = [s for s in sites if s not in ("marrow", "cns")]
            if em:
                out["extramedullary"] = [{"site": s, "status": "resolved"} for s in em]
            if "cns" in sites:
                out["csf"] = {
                    "wbc_per_ul": self.ri(0, 4),
                    "rbc_per_ul": self.ri(0, 3),
                    "blasts_present": False,
                }
        else:
            base = self.screen_blasts
            if base >= 5:
                out["marrow_blasts_pct"] = round(
                    min(max(base * (0.6 + 0.6 * self.u()), 5.5), 98), 1
                )
            else:
                out["marrow_blasts_pct"] = self.unif(0, 4)
            out["anc_10e9_l"] = self.unif(0.0, 0.8, 2)
            out["platelets_10e9_l"] = self.ri(5, 60)
            em = [s for s in sites if s not in ("marrow", "cns")]
            if em:
                out["extramedullary"] = [{"site": s, "status": "present"} for s in em]
            if "cns" in sites:
                out["csf"] = {
                    "wbc_per_ul": self.ri(5, 40),
                    "rbc_per_ul": self.ri(0, 3),
                    "blasts_present": True,
                }
        return out

    def _transgene_level(self, course: _Course, day: float) -> float:
        assert course.transgene is not None
        return float(stein_concentration([day], course.transgene)[0])

    def _aftermath(self, course: _Course) -> None:
        a, g, day0 = self.arm, self.g, self.index_day
        anchor = self.index_id
        fu = course.follow_up_end
        if course.death_day is not None:
            self._close(course, course.death_day)
            return
        resp_day = 28 if self.car_t else 29
        if fu < resp_day:
            self._close(course, None)
            return

        # relapse, transplant, deaths (days from the index therapy)
        hsct_planned = course.responds and self.bern(a.hsct_in_remission.value)
        if course.responds:
            hsct_at = self.ri(60, 120) if self.car_t else self.ri(80, 115)
            p_rel = a.relapse_in_remission.value
            if hsct_planned:
                p_rel *= g.hsct_relapse_factor.value
            if self.bern(p_rel):
                t_rel = self.lognormal_days(
                    a.relapse_median_months.value * DAYS_PER_MONTH, 0.7, lo=resp_day + 30
                )
                if hsct_planned and t_rel < hsct_at + 60:
                    if self.bern(0.5):
                        hsct_planned = False
                    else:
                        t_rel = hsct_at + self.ri(60, 400)
                course.relapse_day = t_rel
                course.relapse_cd19_negative = self.bern(a.cd19_negative_share.value)
                course.lineage_switch = (
                    self.car_t
                    and course.relapse_cd19_negative
                    and self.bern(g.lineage_switch_share_of_cd19_negative.value)
                )
            if hsct_planned:
                course.hsct_day = hsct_at
            deaths: list[tuple[int, str]] = []
            if self.bern(a.early_nrm.value):
                deaths.append((self.ri(35, 180), "infection"))
            if course.hsct_day is not None and self.bern(g.hsct_nrm.value):
                deaths.append(
                    (
                        course.hsct_day + self.ri(30, 540),
                        self.choice(["gvhd", "infection", "treatment_related"], [0.4, 0.45, 0.15]),
                    )
                )
            if course.relapse_day is not None and self.bern(g.death_after_relapse.value):
                after = self.lognormal_days(
                    g.survival_after_relapse_median_months.value * DAYS_PER_MONTH, 0.8, lo=10
                )
                deaths.append((course.relapse_day + after, "disease"))
        else:
            deaths = []
            if self.bern(g.death_after_no_response.value):
                deaths.append(
                    (
                        self.lognormal_days(
                            g.survival_after_no_response_median_months.value * DAYS_PER_MONTH,
                            0.6,
                            lo=resp_day + 5,
                        ),
                        "disease",
                    )
                )
        if deaths:
            t, cause = min(deaths)
            if course.relapse_day is not None and t <= course.relapse_day:
                course.relapse_day = None  # died in remission before the relapse would have come
            if course.hsct_day is not None and t <= course.hsct_day:
                course.hsct_day = None
            course.death_day, course.death_cause = t, cause
        end = min(fu, course.death_day) if course.death_day is not None else fu
        if course.death_day is not None and course.death_day > fu:
            course.death_day = None
        if course.relapse_day is not None and course.relapse_day > end:
            course.relapse_day = None
        if course.hsct_day is not None and course.hsct_day >= end:
            course.hsct_day = None

        if self.car_t:
            self._car_t_bcells(course)
            self._car_t_response_events(course, anchor, resp_day, end)
        else:
            self._blina_response_events(course, anchor, resp_day, end)

        if course.hsct_day is not None:
            hid = self._hsct(day0 + course.hsct_day, prior=False, anchor=anchor, anchor_day=day0)
            if self.bern(g.acute_gvhd.value):
                onset = course.hsct_day + self.ri(14, 60)
                if onset < end:
                    ev: dict[str, Any] = {
                        "id": "gvhd1",
                        "type": "toxicity",
                        "syndrome": "gvhd",
                        "gvhd_kind": "acute",
                        "after": hid,
                        "onset": self.rel(hid, onset - course.hsct_day),
                        "grade": {
                            "grade": self.choice([1, 2, 3], [0.4, 0.4, 0.2]),
                            "scale": "MAGIC",
                        },
                        "organs": self.choice(
                            [["skin"], ["skin", "gut"], ["gut"], ["skin", "liver"]]
                        ),
                        "treatments": ["methylprednisolone"],
                    }
                    resolved = onset + self.ri(14, 60)
                    if resolved < end:
                        ev["resolved"] = self.rel(hid, resolved - course.hsct_day)
                    self.add(day0 + onset, ev)

        if course.relapse_day is not None:
            self._relapse_after_index(course, end)
        self._close(course, course.death_day)

    def _car_t_bcells(self, course: _Course) -> None:
        """When B cells recover: after the CAR-T level falls below quantification (+2-8 weeks)."""
        if not course.responds or course.transgene is None:
            return
        lloq = self.g.transgene_lloq.value
        if course.relapse_day is not None and not course.relapse_cd19_negative:
            course.transgene = course.transgene.replace(
                fb=course.transgene.fb * self.g.cd19_positive_relapse_fb_factor.value
            )
        grid = np.arange(course.transgene.tmax, 2000.0, 7.0)
        below = np.nonzero(stein_concentration(grid, course.transgene) < lloq)[0]
        if below.size:
            course.bcell_recovery_day = float(grid[below[0]]) + self.ri(14, 56)
        if (
            course.relapse_day is not None
            and not course.relapse_cd19_negative
            and course.bcell_recovery_day is not None
            and course.bcell_recovery_day > course.relapse_day - 14
        ):
            course.bcell_recovery_day = max(float(course.relapse_day) - self.ri(14, 45), 35.0)

    def _aplastic(self, course: _Course, t: float) -> bool:
        return course.responds and (
            course.bcell_recovery_day is None or t < course.bcell_recovery_day
        )

    def _car_t_response_events(self, course: _Course, anchor: str, resp_day: int, end: int) -> None:
        day0 = self.index_day
        ev = {
            "id": "car1-d28",
            "type": "disease_assessment",
            "date": self.rel(anchor, resp_day),
            "assesses": anchor,
            **self._response_findings(
                course, course.remission_code if course.responds else "NR", anchor
            ),
        }
        if course.responds:
            ev["car_t_detected"] = True
            ev["b_cell_aplasia"] = self._aplastic(course, resp_day)
        self.add(day0 + resp_day, ev)
        m3 = 90
        stop = min(x for x in (end, course.relapse_day, course.hsct_day) if x is not None)
        if course.responds and m3 < stop:
            code = course.remission_code  # the best response stays the day-28 one
            soon = course.relapse_day is not None and course.relapse_day < m3 + 60
            mrd_neg = course.mrd_negative and not soon
            saved = course.mrd_negative
            course.mrd_negative = mrd_neg
            findings = self._response_findings(course, code, anchor)
            course.mrd_negative = saved
            findings.pop("extramedullary", None)
            findings.pop("csf", None)
            level = self._transgene_level(course, m3)
            self.add(
                day0 + m3,
                {
                    "id": "car1-m3",
                    "type": "disease_assessment",
                    "date": self.rel(anchor, m3),
                    "assesses": anchor,
                    **findings,
                    "car_t_detected": level >= self.g.transgene_lloq.value,
                    "b_cell_aplasia": self._aplastic(course, m3),
                },
            )
        self._car_t_observations(course, anchor, end)

    def _blina_response_events(self, course: _Course, anchor: str, resp_day: int, end: int) -> None:
        day0 = self.index_day
        code = course.remission_code if course.responds else "NR"
        if code == "CRi" and self.bern(0.5):
            code = "CRh"
        self.add(
            day0 + resp_day,
            {
                "id": "blina1-eval",
                "type": "disease_assessment",
                "date": self.rel(anchor, resp_day),
                "assesses": anchor,
                **self._response_findings(course, code, anchor),
            },
        )
        if not course.responds:
            return
        stop = min(x for x in (end, course.relapse_day, course.hsct_day) if x is not None)
        c2 = 42
        if c2 + 29 >= stop:
            return
        self.add(
            day0 + c2,
            {
                "id": "blina2",
                "type": "therapy",
                "start": self.rel(anchor, c2),
                "end": self.rel("blina2", 27),
                "agents": ["blinatumomab"],
                "cycle": 2,
                "intent": "salvage",
                "route": "iv",
                "dose": {"value": 28, "unit": "ug/day"}
                if self.weight >= 45
                else {"value": 15, "unit": "ug/m2/day"},
            },
        )
        self.index_ids = ["blina1", "blina2"]
        findings = self._response_findings(course, code, anchor)
        findings.pop("extramedullary", None)
        self.add(
            day0 + c2 + 29,
            {
                "id": "blina2-eval",
                "type": "disease_assessment",
                "date": self.rel("blina2", 29),
                "assesses": "blina2",
                **findings,
            },
        )
        if course.hsct_day is None:
            c3 = c2 + 42
            cycles = 0
            while cycles < 3 and c3 + 42 * cycles + 28 < stop:
                cycles += 1
            if cycles:
                self.add(
                    day0 + c3,
                    {
                        "id": "blina-consolidation",
                        "type": "therapy",
                        "start": self.rel(anchor, c3),
                        "end": self.rel(anchor, c3 + 42 * (cycles - 1) + 27),
                        "agents": ["blinatumomab"],
                        "courses": cycles,
                        "intent": "consolidation",
                        "note": f"Consolidation cycles 3 to {2 + cycles}.",
                    },
                )

    def _car_t_observations(self, course: _Course, anchor: str, end: int) -> None:
        if course.transgene is None:
            return
        g = self.g
        obs_end = end
        if course.hsct_day is not None:
            obs_end = min(obs_end, course.hsct_day - 1)
        if course.relapse_day is not None:
            obs_end = min(obs_end, course.relapse_day)
        series: list[dict[str, Any]] = []
        days = [d for d in TRANSGENE_DAYS if d <= obs_end]
        if days:
            lloq = g.transgene_lloq.value
            prof = simulate_profile(
                course.transgene,
                days,
                sigma=STEIN2019_RESIDUAL_SD,
                lloq=lloq,
                rng=self.rng,
                unit="copies/ug",
            )
            points: list[dict[str, Any]] = []
            for d, v, b in zip(days, prof.values, prof.blq, strict=True):
                if b:
                    points.append({"day": d, "blq": True})
                else:
                    points.append({"day": d, "value": max(_sig(float(v)), lloq)})
            series.append(
                {
                    "id": "cart-qpcr",
                    "analyte": "car_t_transgene_copies",
                    "unit": "copies/ug",
                    "specimen": "blood",
                    "method": "qPCR",
                    "anchor": anchor,
                    "lloq": lloq,
                    "points": points,
                }
            )
        bdays = [d for d in BCELL_DAYS if d <= obs_end]
        if bdays:
            bpoints: list[dict[str, Any]] = []
            for d in bdays:
                if d == 0:
                    v = 8.0 * math.exp(0.8 * float(self.rng.standard_normal()))
                elif course.responds and self._aplastic(course, d):
                    bpoints.append({"day": d, "blq": True})
                    continue
                elif course.responds:
                    v = 150.0 * math.exp(0.6 * float(self.rng.standard_normal()))
                else:
                    v = 25.0 * math.exp(0.8 * float(self.rng.standard_normal()))
                if v < BCELL_LLOQ:
                    bpoints.append({"day": d, "blq": True})
                else:
                    bpoints.append({"day": d, "value": max(_sig(v, 2), BCELL_LLOQ)})
            series.append(
                {
                    "id": "bcells",
                    "analyte": "b_cells_per_ul",
                    "unit": "cells/uL",
                    "specimen": "blood",
                    "method": "flow cytometry",
                    "anchor": anchor,
                    "lloq": BCELL_LLOQ,
                    "points": bpoints,
                }
            )
        series.extend(self._cytokines(course, anchor, min(end, 14)))
        self.observations = series

    def _cytokines(self, course: _Course, anchor: str, last: int) -> list[dict[str, Any]]:
        """IL-6 and ferritin around the CRS peak (illustrative shapes, docs/synth.md)."""
        levels = sorted(self.crs_levels.items())
        peak_day, peak = max(levels, key=lambda x: (x[1], -x[0])) if levels else (3, 0)
        il6_base = 6.0 * math.exp(0.5 * float(self.rng.standard_normal()))
        il6_peak = (
            il6_base * 10 ** (0.3 + 0.55 * peak) * math.exp(0.4 * float(self.rng.standard_normal()))
        )
        fer_base = 800.0 * math.exp(0.6 * float(self.rng.standard_normal()))
        fer_peak = (
            fer_base * (1.3 + 1.4 * peak) * math.exp(0.25 * float(self.rng.standard_normal()))
        )
        il6_pts, fer_pts = [], []
        for d in CYTOKINE_DAYS:
            if d > last:
                break
            if peak == 0:
                il6 = il6_base * math.exp(0.3 * float(self.rng.standard_normal()))
                fer = fer_base * math.exp(0.15 * float(self.rng.standard_normal()))
            else:
                if d <= peak_day:
                    frac = d / peak_day if peak_day else 1.0
                    il6 = il6_base * (il6_peak / il6_base) ** frac
                    fer = fer_base * (fer_peak / fer_base) ** frac
                else:
                    il6 = max(il6_peak * 0.5 ** ((d - peak_day) / 1.5), il6_base)
                    fer = max(fer_peak * 0.5 ** ((d - peak_day) / 4.0), fer_base)
            il6_pts.append({"day": d, "value": _sig(il6, 3)})
            fer_pts.append({"day": d, "value": _sig(fer, 3)})
        out = []
        if il6_pts:
            out.append(
                {
                    "id": "il6",
                    "analyte": "il6",
                    "unit": "pg/mL",
                    "specimen": "serum",
                    "anchor": anchor,
                    "points": il6_pts,
                }
            )
            out.append(
                {
                    "id": "ferritin",
                    "analyte": "ferritin",
                    "unit": "ng/mL",
                    "specimen": "serum",
                    "anchor": anchor,
                    "points": fer_pts,
                }
            )
        return out

    def _relapse_after_index(self, course: _Course, end: int) -> None:
        assert course.relapse_day is not None
        day0, anchor = self.index_day, self.index_id
        t = course.relapse_day
        sites = self.choice(
            [["marrow"], ["marrow", "cns"], ["cns"], ["marrow", "skin"], ["soft_tissue"]],
            [0.8, 0.06, 0.07, 0.03, 0.04],
        )
        rel: dict[str, Any] = {
            "id": "rel-post",
            "type": "relapse",
            "date": self.rel(anchor, t),
            "number": self.n_rel + 1,
            "sites": sites,
            "marrow_blasts_pct": self.unif(20, 90) if "marrow" in sites else self.unif(0, 4),
            "cd19": "negative" if course.relapse_cd19_negative else "positive",
        }
        if "cns" in sites:
            rel["cns_status"] = "CNS3"
        if course.lineage_switch:
            rel["lineage_switch"] = True
            rel["note"] = "Lineage switch to acute myeloid leukaemia."
        self.add(day0 + t, rel)
        s = t + self.ri(5, 14)
        if s < end:
            agents: list[str]
            protocol: str | None
            if course.lineage_switch:
                agents, protocol = ["fludarabine", "cytarabine", "idarubicin"], "FLAG-Ida"
            elif course.relapse_cd19_negative:
                agents, protocol = (
                    (["inotuzumab_ozogamicin"], None)
                    if not self.child or self.bern(0.5)
                    else (
                        ["dexamethasone", "vincristine", "pegaspargase", "mitoxantrone"],
                        "UKALL R3",
                    )
                )
            elif self.car_t and self.bern(0.6):
                agents, protocol = ["blinatumomab"], None
            else:
                agents, protocol = ["fludarabine", "cytarabine", "idarubicin"], "FLAG-Ida"
            ev: dict[str, Any] = {
                "id": "salvage-post",
                "type": "therapy",
                "start": self.rel(anchor, s),
                "agents": agents,
                "intent": "salvage",
            }
            if protocol:
                ev["protocol"] = protocol
            self.add(day0 + s, ev)

    def _close(self, course: _Course, death_day: int | None) -> None:
        """Death or the last follow-up, and the non-responders' salvage."""
        day0, anchor = self.index_day, self.index_id
        fu = course.follow_up_end
        resp_day = 28 if self.car_t else 29
        salvage = (
            not course.responds
            and course.fatal is None
            and fu > resp_day + 7
            and (death_day is None or death_day > resp_day + 10)
        )
        if salvage:
            s = resp_day + self.ri(3, 7)
            agents = (
                ["inotuzumab_ozogamicin"]
                if not self.child and self.bern(0.5)
                else ["fludarabine", "cytarabine", "idarubicin"]
            )
            self.add(
                day0 + s,
                {
                    "id": "salvage-nr",
                    "type": "therapy",
                    "start": self.rel(anchor, s),
                    "agents": agents,
                    "intent": "salvage",
                },
            )
        if death_day is not None:
            self.add(
                day0 + death_day,
                {
                    "id": "death",
                    "type": "death",
                    "date": self.rel(anchor, death_day),
                    "cause": course.death_cause or "unknown",
                },
            )
            return
        if course.relapse_day is not None:
            status = "relapse"
        elif course.responds:
            status = "remission"
        else:
            status = "refractory" if fu >= resp_day else "unknown"
        ev: dict[str, Any] = {
            "id": "last-follow-up",
            "type": "follow_up",
            "date": self.rel(anchor, fu),
            "alive": True,
            "disease_status": status,
        }
        if self.car_t and course.transgene is not None and course.hsct_day is None:
            ev["car_t_persistence"] = (
                self._transgene_level(course, fu) >= self.g.transgene_lloq.value
            )
            if course.responds:
                ev["b_cell_aplasia"] = self._aplastic(course, fu)
        self.add(day0 + fu, ev)
