"""Response to therapy, classified from what one disease assessment measured.

Source: ``shared/reference/clinical-criteria.md`` section 3.1 (NCCN ALL and CIBMTR response
criteria, which agree on the core; the BBMT 2010 ALL response table for PR and PD; the TOWER
blinatumomab trial for CRh) and section 3.2 for MRD (thresholds live in :mod:`remission.rules.mrd`
and are not repeated here).

- **CR**: marrow blasts < 5 %, no circulating blasts, no extramedullary disease, ANC
  >= 1.0 x 10^9/L, platelets >= 100 x 10^9/L, transfusion independent (when stated).
- **CRh**: as CR but ANC > 0.5 and platelets > 50 x 10^9/L without reaching the CR counts.
- **CRi**: every CR criterion except the ANC and/or platelet thresholds.
- **PR**: >= 50 % reduction of marrow blasts to 5-25 % (needs the baseline).
- **PD**: >= 25 % increase in marrow or circulating blasts, or new extramedullary disease.
- **NR** (refractory): none of the above.

What the definitions leave open is decided here and documented in ``docs/rules.md``
("Response"): which unreported findings are taken as absent, how unknown counts narrow the
classes, when PD and PR can be called without a baseline, how a stated response is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any, Literal

from remission.model import (
    HSCT,
    MRD,
    CarTInfusion,
    Case,
    Death,
    DiseaseAssessment,
    FollowUp,
    Relapse,
    Therapy,
    load_vocabulary,
)
from remission.rules.mrd import mrd_negative

__all__ = [
    "RESPONSE_CRITERIA",
    "RESPONSE_RANK",
    "SUPPORTIVE_INTENTS",
    "Durability",
    "ExtramedullaryResponse",
    "MRDResponse",
    "ResponseCall",
    "ResponseCriteria",
    "assess_response",
    "baseline_for",
    "case_responses",
    "classify_response",
    "durable_response",
    "extramedullary_response",
    "mrd_response",
]


@dataclass(frozen=True)
class ResponseCriteria:
    """Every response threshold, once, with its source (clinical-criteria.md section 3.1)."""

    #: CR/CRi/CRh: marrow blasts strictly below 5 % (NCCN, CIBMTR).
    marrow_blasts_below_pct: float = 5.0
    #: CR: ANC >= 1.0 x 10^9/L (NCCN, CIBMTR).
    anc_cr: float = 1.0
    #: CR: platelets >= 100 x 10^9/L (NCCN, CIBMTR).
    platelets_cr: float = 100.0
    #: CRh: ANC strictly above 0.5 x 10^9/L (TOWER blinatumomab trial).
    anc_crh: float = 0.5
    #: CRh: platelets strictly above 50 x 10^9/L (TOWER).
    platelets_crh: float = 50.0
    #: PR: marrow blasts reduced by at least this fraction (BBMT 2010 table: >= 50 %) ...
    pr_reduction: float = 0.5
    #: ... to at most this percentage (5-25 %).
    pr_max_pct: float = 25.0
    #: PD: blasts increased by at least this fraction (BBMT 2010 table: >= 25 %).
    pd_increase: float = 0.25
    #: A CR is durable when it lasts at least this many weeks (CIBMTR: >= 4 weeks).
    durable_weeks: float = 4.0


RESPONSE_CRITERIA = ResponseCriteria()

#: Order of the classes from best to worst (used for "best response" and the monotonicity rule:
#: more blasts never give a better class). SD and MLFS are stated-only codes.
RESPONSE_RANK: dict[str, int] = {
    "CR": 6,
    "CRh": 5,
    "CRi": 4,
    "MLFS": 4,
    "PR": 3,
    "SD": 2,
    "NR": 2,
    "PD": 1,
}

#: Which computed classes a stated code agrees with. CRh is a CR with incomplete recovery, so a
#: stated CRi and a computed CRh (or the reverse) agree; MLFS (marrow clear, counts not
#: recovered) agrees with CRi and CRh; SD is no response; a stated NR agrees with PD.
_AGREES: dict[str, frozenset[str]] = {
    "CR": frozenset({"CR"}),
    "CRh": frozenset({"CRh", "CRi"}),
    "CRi": frozenset({"CRi", "CRh"}),
    "MLFS": frozenset({"CRi", "CRh"}),
    "PR": frozenset({"PR"}),
    "SD": frozenset({"NR"}),
    "NR": frozenset({"NR", "PD"}),
    "PD": frozenset({"PD"}),
}

Basis = Literal["criteria", "stated", "none"]
SiteState = Literal["new", "present", "reduced", "resolved", "absent"]
_SEVERITY: dict[str, int] = {"absent": 0, "resolved": 1, "reduced": 2, "present": 3, "new": 4}


# --------------------------------------------------------------------------------------------
# Extramedullary disease
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtramedullaryResponse:
    """Extramedullary disease at one assessment, site by site, and its overall status.

    ``status``: ``not_assessed`` (nothing reported), ``none`` (every reported site free and none
    known involved before), ``complete`` (involved sites resolved), ``partial`` (every remaining
    site reduced), ``persistent`` (a site still involved), ``progression`` (a new site).
    """

    status: Literal["not_assessed", "none", "complete", "partial", "persistent", "progression"]
    sites: dict[str, SiteState] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    @property
    def reported(self) -> bool:
        return self.status != "not_assessed"

    @property
    def disease_present(self) -> bool:
        return self.status in ("partial", "persistent", "progression")

    @property
    def new_disease(self) -> bool:
        return self.status == "progression"

    @property
    def all_reduced(self) -> bool:
        """Every involved site is reduced (none merely present or new)."""
        return self.status == "partial"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "sites": dict(self.sites), "reasons": list(self.reasons)}


def _baseline_em(baseline: DiseaseAssessment | Relapse | None) -> dict[str, SiteState]:
    if baseline is None:
        return {}
    if isinstance(baseline, Relapse):
        vocab = load_vocabulary("sites")
        return {
            s: "present" for s in baseline.sites if not vocab.get(s).attributes.get("medullary")
        }
    return _em_sites(baseline)[0]


def _em_sites(a: DiseaseAssessment) -> tuple[dict[str, SiteState], list[str]]:
    sites: dict[str, SiteState] = {}
    reasons: list[str] = []

    def put(site: str, state: SiteState, why: str) -> None:
        if site not in sites or _SEVERITY[state] > _SEVERITY[sites[site]]:
            sites[site] = state
        reasons.append(why)

    for f in a.extramedullary:
        put(f.site, f.status, f"{f.site}: {f.status}")
    imaging_state: dict[str, SiteState] = {
        "positive": "present",
        "reduced": "reduced",
        "negative": "resolved",
    }
    for img in a.imaging:
        state = imaging_state[img.result]
        for site in img.sites or ("imaging",):
            put(site, state, f"{img.modality} {img.result}" + (f" ({site})" if img.sites else ""))
    if a.csf is not None:
        if a.csf.blasts_present is True or a.csf.clinical_signs:
            put("cns", "present", "CSF blasts or clinical signs of CNS disease")
        elif a.csf.blasts_present is False:
            put("cns", "absent", "no blasts in the CSF")
    return sites, reasons


def extramedullary_response(
    assessment: DiseaseAssessment, baseline: DiseaseAssessment | Relapse | None = None
) -> ExtramedullaryResponse:
    """Extramedullary response from findings, imaging and CSF (clinical-criteria.md 3.1).

    Per site the worst report wins (new > present > reduced > resolved > absent). A site reported
    present now and explicitly free (absent or resolved) at the ``baseline`` is new. Negative
    imaging without named sites clears the sites known involved at the baseline. A negative
    CSF after CNS involvement is a resolved CNS site.
    """
    sites, reasons = _em_sites(assessment)
    before = _baseline_em(baseline)
    if "imaging" in sites and sites["imaging"] == "resolved":
        del sites["imaging"]
        for site, state in before.items():
            if state in ("present", "reduced", "new") and site not in sites:
                sites[site] = "resolved"
                reasons.append(f"{site}: negative imaging after involvement")
        if not sites:
            sites["imaging"] = "absent"
    for site, state in list(sites.items()):
        was = before.get(site)
        if state in ("present", "reduced") and was in ("absent", "resolved"):
            sites[site] = "new"
            reasons.append(f"{site}: involved now, free at the baseline")
        elif state == "absent" and was in ("present", "reduced", "new"):
            sites[site] = "resolved"
    if not sites:
        return ExtramedullaryResponse(
            "not_assessed", {}, ("no extramedullary finding, imaging or CSF reported",)
        )
    states = set(sites.values())
    status: Literal["not_assessed", "none", "complete", "partial", "persistent", "progression"]
    if "new" in states:
        status = "progression"
    elif "present" in states:
        status = "persistent"
    elif "reduced" in states:
        status = "partial"
    elif "resolved" in states:
        status = "complete"
    else:
        status = "none"
    return ExtramedullaryResponse(status, sites, tuple(reasons))


# --------------------------------------------------------------------------------------------
# MRD response
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MRDResponse:
    """MRD response category (clinical-criteria.md 3.2; negativity from :func:`mrd_negative`).

    ``complete``: MRD not detected by an assay sensitive enough; ``negative_below_threshold``:
    quantified but below the threshold; ``positive``: at or above it (MRD persistence);
    ``indeterminate``: not detected by an assay that does not reach the threshold.
    """

    category: Literal["complete", "negative_below_threshold", "positive", "indeterminate"]
    negative: bool | None
    threshold: float
    method: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "negative": self.negative,
            "threshold": self.threshold,
            "method": self.method,
            "reason": self.reason,
        }


def mrd_response(mrd: MRD, thresholds: dict[str, float] | None = None) -> MRDResponse:
    """The MRD response category of one result; negativity by :func:`mrd_negative`."""
    call = mrd_negative(mrd, thresholds)
    if call.negative is None:
        category: Literal["complete", "negative_below_threshold", "positive", "indeterminate"] = (
            "indeterminate"
        )
    elif call.negative is False:
        category = "positive"
    elif mrd.value is not None and mrd.value > 0:
        category = "negative_below_threshold"
    else:
        category = "complete"
    return MRDResponse(category, call.negative, call.threshold, mrd.method, call.reason)


# --------------------------------------------------------------------------------------------
# The response class
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseCall:
    """The response at one assessment and how it was reached.

    ``response`` is the class (None: cannot be assessed). ``basis``: ``criteria`` when the
    counts decide it, ``stated`` when the stated response is used (counts absent, or consistent
    with the counts but not decided by them), ``none`` when neither is available. ``possible``
    lists the classes the counts leave open; ``assumptions`` the unreported findings taken as
    absent; ``missing`` what would decide; ``conflict`` a stated response the counts contradict.
    """

    response: str | None
    basis: Basis
    stated: str | None = None
    possible: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    conflict: str | None = None
    mrd: MRDResponse | None = None
    extramedullary: ExtramedullaryResponse | None = None
    assessment: str | None = None

    @property
    def remission(self) -> bool | None:
        """True for CR, CRh, CRi (and a stated MLFS); None when the response is unknown."""
        if self.response is None:
            return None
        return self.response in ("CR", "CRh", "CRi", "MLFS")

    @property
    def label(self) -> str | None:
        """The class with the MRD status, e.g. ``"CR, MRD-negative"``."""
        if self.response is None:
            return None
        if self.mrd is None or self.mrd.negative is None:
            return self.response
        return f"{self.response}, MRD-{'negative' if self.mrd.negative else 'positive'}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessment": self.assessment,
            "response": self.response,
            "label": self.label,
            "basis": self.basis,
            "stated": self.stated,
            "possible": list(self.possible),
            "reasons": list(self.reasons),
            "assumptions": list(self.assumptions),
            "missing": list(self.missing),
            "conflict": self.conflict,
            "mrd": None if self.mrd is None else self.mrd.to_dict(),
            "extramedullary": None
            if self.extramedullary is None
            else self.extramedullary.to_dict(),
        }


def _recovery(anc: float, plt: float, ti: bool, c: ResponseCriteria, crh: bool) -> str:
    if ti and anc >= c.anc_cr and plt >= c.platelets_cr:
        return "CR"
    if crh and ti and anc > c.anc_crh and plt > c.platelets_crh:
        return "CRh"
    return "CRi"


def _classes(
    m: float,
    blood: float,
    anc: float,
    plt: float,
    ti: bool,
    em: ExtramedullaryResponse,
    m0: float | None,
    b0: float | None,
    c: ResponseCriteria,
    crh: bool,
) -> set[str]:
    """The classes consistent with one set of values (``m0`` None: baseline marrow unknown)."""
    cut = c.marrow_blasts_below_pct
    grow = 1.0 + c.pd_increase
    if em.new_disease:
        return {"PD"}
    if m0 is not None and m >= cut and m >= grow * m0:
        return {"PD"}
    if b0 is not None and b0 > 0 and blood >= grow * b0:
        return {"PD"}
    if m < cut and blood == 0 and not em.disease_present:
        return {_recovery(anc, plt, ti, c, crh)}
    # Residual disease: PR when what was measurable has at least halved, else NR.
    marrow_parts: set[str]
    if m0 is None:
        if m < cut:
            marrow_parts = {"improved", "not_involved"}
        elif m <= c.pr_max_pct:
            marrow_parts = {"improved", "not_improved"}
        else:
            marrow_parts = {"not_improved"}
    elif m0 >= cut:
        halved = m <= c.pr_max_pct and m <= (1.0 - c.pr_reduction) * m0
        marrow_parts = {"improved" if halved else "not_improved"}
    else:
        marrow_parts = {"not_involved" if m < cut else "not_improved"}
    em_part = "reduced" if em.all_reduced else ("present" if em.disease_present else "none")
    out: set[str] = set()
    for part in marrow_parts:
        ok = (
            part in ("improved", "not_involved")
            and em_part in ("none", "reduced")
            and (part == "improved" or em_part == "reduced")
        )
        out.add("PR" if ok else "NR")
    return out


def _baseline_values(
    baseline: DiseaseAssessment | Relapse | None,
) -> tuple[float | None, float | None]:
    if baseline is None:
        return None, None
    if isinstance(baseline, Relapse):
        return baseline.marrow_blasts_pct, None
    return baseline.marrow_blasts_pct, baseline.blood_blasts_pct


def classify_response(
    assessment: DiseaseAssessment,
    baseline: DiseaseAssessment | Relapse | None = None,
    *,
    crh: bool = True,
    criteria: ResponseCriteria = RESPONSE_CRITERIA,
    mrd_thresholds: dict[str, float] | None = None,
) -> ResponseCall:
    """Classify one disease assessment (clinical-criteria.md 3.1).

    ``baseline`` is the assessment (or the relapse) before the therapy, for PR (>= 50 %
    reduction) and PD (>= 25 % increase); without it PD is called only for new extramedullary
    disease and PR stays open. ``crh=False`` folds CRh into CRi (NCCN/CIBMTR have no CRh).

    Interpretations (docs/rules.md, "Response"): circulating blasts, extramedullary
    disease and transfusion dependence that are not reported are taken as absent and listed in
    ``assumptions``; an MRD-negative marrow stands for marrow blasts < 5 % when no percentage is
    given; unknown ANC or platelets leave every class they could give open (``possible``), and
    the stated response decides among them when it agrees. Without marrow blasts the response
    cannot be assessed from counts and the stated response is reported as stated.
    """
    c = criteria
    stated = assessment.response
    reasons: list[str] = []
    assumptions: list[str] = []
    missing: list[str] = []
    mrd = mrd_response(assessment.mrd, mrd_thresholds) if assessment.mrd is not None else None
    em = extramedullary_response(assessment, baseline)
    m0, b0 = _baseline_values(baseline)

    def done(
        response: str | None,
        basis: Basis,
        possible: set[str] | None = None,
        conflict: str | None = None,
    ) -> ResponseCall:
        ordered = tuple(sorted(possible or (), key=lambda r: -RESPONSE_RANK[r]))
        return ResponseCall(
            response=response,
            basis=basis,
            stated=stated,
            possible=ordered,
            reasons=tuple(reasons),
            assumptions=tuple(assumptions),
            missing=tuple(missing),
            conflict=conflict,
            mrd=mrd,
            extramedullary=em,
            assessment=assessment.id,
        )

    m = assessment.marrow_blasts_pct
    if (
        m is None
        and mrd is not None
        and mrd.negative
        and assessment.mrd is not None
        and assessment.mrd.sample == "marrow"
    ):
        m = 0.0
        assumptions.append(
            "marrow blasts not given: the MRD-negative marrow is taken as < 5 % blasts"
        )
    if em.new_disease:
        reasons.append("new extramedullary disease: progressive disease")
        return _with_stated(done, {"PD"}, stated, reasons)
    if m is None:
        missing.append("marrow blast percentage")
        if m0 is not None or b0 is not None:
            blood = assessment.blood_blasts_pct
            if (
                b0 is not None
                and b0 > 0
                and blood is not None
                and blood >= (1 + c.pd_increase) * b0
            ):
                reasons.append(
                    f"circulating blasts {blood:g} % >= {1 + c.pd_increase:g} x baseline {b0:g} %: "
                    "progressive disease"
                )
                return _with_stated(done, {"PD"}, stated, reasons)
        reasons.append("marrow blasts not given: the response cannot be assessed from counts")
        if stated is not None:
            reasons.append(f"the stated response {stated} is reported as stated")
            return done(stated, "stated")
        return done(None, "none")

    blood = assessment.blood_blasts_pct
    if blood is None:
        assumptions.append("circulating blasts not reported: taken as absent")
        blood = 0.0
    if not em.reported:
        assumptions.append("extramedullary disease not reported: taken as absent")
    ti = assessment.transfusion_independent
    if ti is None:
        assumptions.append("transfusion independence not stated: not required")
    if m0 is None:
        missing.append(
            "baseline marrow blasts (PR needs a >= 50 % reduction, PD a >= 25 % increase)"
        )
    anc_values = (
        [assessment.anc_10e9_l]
        if assessment.anc_10e9_l is not None
        else [c.anc_crh, (c.anc_crh + c.anc_cr) / 2, c.anc_cr]
    )
    plt_values = (
        [assessment.platelets_10e9_l]
        if assessment.platelets_10e9_l is not None
        else [c.platelets_crh, (c.platelets_crh + c.platelets_cr) / 2, c.platelets_cr]
    )
    possible: set[str] = set()
    for anc, plt in product(anc_values, plt_values):
        possible |= _classes(m, blood, anc, plt, ti is not False, em, m0, b0, c, crh)
    if possible & {"CR", "CRh", "CRi"}:
        if assessment.anc_10e9_l is None:
            missing.append("ANC")
        if assessment.platelets_10e9_l is None:
            missing.append("platelet count")
    reasons.extend(_explain(assessment, m, blood, em, m0, b0, ti, c))
    return _with_stated(done, possible, stated, reasons)


def _with_stated(
    done: Any, possible: set[str], stated: str | None, reasons: list[str]
) -> ResponseCall:
    if len(possible) == 1:
        (only,) = possible
        conflict = None
        if stated is not None and only not in _AGREES[stated]:
            conflict = f"stated {stated}, but the counts give {only}"
        return done(only, "criteria", possible, conflict)
    if stated is not None and _AGREES[stated] & possible:
        reasons.append(
            f"the counts allow {', '.join(sorted(possible))}; the stated {stated} agrees and is "
            "used"
        )
        return done(stated, "stated", possible)
    conflict = None
    if stated is not None:
        conflict = f"stated {stated}, but the counts allow only {', '.join(sorted(possible))}"
    reasons.append(f"the counts allow {', '.join(sorted(possible))}: not decided")
    return done(None, "none", possible, conflict)


def _explain(
    a: DiseaseAssessment,
    m: float,
    blood: float,
    em: ExtramedullaryResponse,
    m0: float | None,
    b0: float | None,
    ti: bool | None,
    c: ResponseCriteria,
) -> list[str]:
    out = [
        f"marrow blasts {m:g} % ({'<' if m < c.marrow_blasts_below_pct else '>='} "
        f"{c.marrow_blasts_below_pct:g} %)"
    ]
    if blood > 0:
        out.append(f"circulating blasts {blood:g} %")
    if em.disease_present:
        out.append(f"extramedullary disease {em.status}")
    if m0 is not None:
        out.append(f"baseline marrow blasts {m0:g} %")
    if b0 is not None:
        out.append(f"baseline circulating blasts {b0:g} %")
    if a.anc_10e9_l is not None:
        out.append(f"ANC {a.anc_10e9_l:g} x 10^9/L (CR needs >= {c.anc_cr:g}, CRh > {c.anc_crh:g})")
    if a.platelets_10e9_l is not None:
        out.append(
            f"platelets {a.platelets_10e9_l:g} x 10^9/L (CR needs >= {c.platelets_cr:g}, "
            f"CRh > {c.platelets_crh:g})"
        )
    if ti is False:
        out.append("transfusion dependent: counts not counted as recovered")
    return out


# --------------------------------------------------------------------------------------------
# Case-level helpers
# --------------------------------------------------------------------------------------------


#: Therapy intents that do not treat the leukaemia itself: they do not break the link between a
#: baseline and the therapy it is the baseline of (an interpretation, docs/rules.md).
SUPPORTIVE_INTENTS: frozenset[str] = frozenset(
    {
        "lymphodepletion",
        "conditioning",
        "cns_prophylaxis",
        "gvhd_prophylaxis",
        "gvhd_treatment",
        "toxicity_management",
    }
)


def _treats(ev: Any, judged: str | None) -> bool:
    if isinstance(ev, CarTInfusion | HSCT):
        return True
    if isinstance(ev, Therapy):
        return ev.intent not in SUPPORTIVE_INTENTS and (judged is None or ev.added_to != judged)
    return False


def baseline_for(case: Case, assessment_id: str) -> DiseaseAssessment | Relapse | None:
    """The baseline of an assessment: the disease status just before the therapy it judges.

    The judged therapy is the one the assessment ``assesses``, else the last anti-leukaemic
    therapy (a therapy, CAR-T infusion or transplant) listed before it. The baseline is the
    latest disease assessment or relapse with a marrow blast percentage listed before that
    therapy, provided no other anti-leukaemic therapy lies between them (after a bridging or
    salvage course the old count no longer describes the disease the therapy met). Supportive
    courses (lymphodepletion, conditioning, CNS prophylaxis, GVHD or toxicity treatment) and
    agents ``added_to`` the judged therapy do not count as another therapy. None when there is
    no such baseline.
    """
    ids = [ev.id for ev in case.timeline]
    ev = case.event(assessment_id)
    if not isinstance(ev, DiseaseAssessment):
        raise TypeError(f"{assessment_id!r} is not a disease assessment")
    judged = ev.assesses if ev.assesses in ids else None
    before = case.timeline[: ids.index(judged if judged is not None else assessment_id)]
    if judged is None:
        for i in range(len(before) - 1, -1, -1):
            if _treats(before[i], None):
                judged = before[i].id
                before = before[:i]
                break
    for prior in reversed(before):
        if _treats(prior, judged):
            return None
        if isinstance(prior, DiseaseAssessment | Relapse) and prior.marrow_blasts_pct is not None:
            return prior
    return None


def assess_response(
    case: Case,
    assessment_id: str,
    *,
    crh: bool = True,
    mrd_thresholds: dict[str, float] | None = None,
) -> ResponseCall:
    """Classify one assessment of a case, with the baseline from :func:`baseline_for`."""
    ev = case.event(assessment_id)
    if not isinstance(ev, DiseaseAssessment):
        raise TypeError(f"{assessment_id!r} is not a disease assessment")
    return classify_response(
        ev, baseline_for(case, assessment_id), crh=crh, mrd_thresholds=mrd_thresholds
    )


def case_responses(
    case: Case, *, crh: bool = True, mrd_thresholds: dict[str, float] | None = None
) -> list[ResponseCall]:
    """Every disease assessment of a case, classified, in timeline order."""
    return [
        assess_response(case, ev.id, crh=crh, mrd_thresholds=mrd_thresholds)
        for ev in case.timeline
        if isinstance(ev, DiseaseAssessment)
    ]


@dataclass(frozen=True)
class Durability:
    """Whether a remission lasted the required weeks (CIBMTR: >= 4 weeks).

    ``durable`` True: a later assessment or follow-up shows the remission continuing at least
    that long after, or the next relapse came no sooner. False: a relapse or a non-remission
    assessment came sooner. None: not shown either way (``reason`` says why).
    """

    assessment: str
    durable: bool | None
    evidence: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessment": self.assessment,
            "durable": self.durable,
            "evidence": self.evidence,
            "reason": self.reason,
        }


def durable_response(
    case: Case, assessment_id: str, *, criteria: ResponseCriteria = RESPONSE_CRITERIA
) -> Durability:
    """Is the remission shown at ``assessment_id`` durable (>= 4 weeks)?

    Walks the events listed after it. A relapse (or a follow-up in relapse, or an assessment that
    is no longer a remission) certainly sooner than 4 weeks: not durable. A remission assessment
    or a follow-up "in remission" at least 4 weeks later, or the ending relapse at least 4 weeks
    later: durable. A death, or times that straddle 4 weeks or cannot be placed: undecided.
    The class at the assessment is not withdrawn when durability is not shown: case reports
    rarely give the confirming marrow.
    """

    weeks = criteria.durable_weeks
    need = weeks * 7
    call = assess_response(case, assessment_id)
    if not call.remission:
        return Durability(
            assessment_id,
            None,
            None,
            f"no remission at {assessment_id} ({call.response or 'unknown'})",
        )
    ids = [ev.id for ev in case.timeline]
    for ev in case.timeline[ids.index(assessment_id) + 1 :]:
        ends = isinstance(ev, Relapse) and not ev.molecular
        ends = ends or (isinstance(ev, FollowUp) and ev.disease_status in ("relapse", "refractory"))
        holds = isinstance(ev, FollowUp) and ev.disease_status == "remission"
        if isinstance(ev, DiseaseAssessment):
            later = assess_response(case, ev.id)
            if later.remission is True:
                holds = True
            elif later.remission is False:
                ends = True
        if isinstance(ev, Death):
            iv = case.interval(assessment_id, ev.id)
            if iv is not None and iv.lo >= need:
                continue
            return Durability(
                assessment_id,
                None,
                ev.id,
                f"death at {ev.id} before {weeks:g} weeks could be shown",
            )
        if not (ends or holds):
            continue
        iv = case.interval(assessment_id, ev.id)
        if iv is None:
            return Durability(
                assessment_id, None, ev.id, f"{ev.id} cannot be placed relative to {assessment_id}"
            )
        if ends:
            if iv.hi < need:
                return Durability(
                    assessment_id,
                    False,
                    ev.id,
                    f"{ev.id} after {iv.describe()}: sooner than {weeks:g} weeks",
                )
            if iv.lo >= need:
                return Durability(
                    assessment_id, True, ev.id, f"remission until {ev.id}, {iv.describe()} later"
                )
            return Durability(
                assessment_id,
                None,
                ev.id,
                f"{ev.id} about {weeks:g} weeks later ({iv.describe()}): undecided",
            )
        if holds and iv.lo >= need:
            return Durability(
                assessment_id, True, ev.id, f"still in remission at {ev.id}, {iv.describe()} later"
            )
    return Durability(
        assessment_id, None, None, f"no later assessment shows the remission at {weeks:g} weeks"
    )
