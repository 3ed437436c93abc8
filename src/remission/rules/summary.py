"""Derive the CaseSummary row from a Case (DESIGN.md, "CaseSummary").

Each field's rule is written beside it. Unknown stays ``None``: a field is filled only when the
Case states what it needs. Two conventions decide "before" and "after" the index therapy:

* the timeline is listed in the order things happened (undated events are placed by order);
* ``Case.complete_history`` says whether an absent event means it did not happen (a centre's own
  record) or merely was not reported (a case report). Only a complete history turns "no HSCT
  listed" into ``prior_hsct = False``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from remission.exceptions import InputError
from remission.model import (
    HSCT,
    CarTInfusion,
    Case,
    CaseSummary,
    CohortAggregate,
    CohortSummary,
    Death,
    DiseaseAssessment,
    Event,
    FollowUp,
    IndexTherapySummary,
    Relapse,
    Therapy,
    ToxicityEpisode,
    load_vocabulary,
)
from remission.rules.episodes import CaseGrading, grade_case
from remission.rules.mrd import mrd_negative
from remission.rules.response import RESPONSE_RANK

__all__ = ["SUMMARY_RESPONSE", "summarize", "summarize_cohort"]

#: How a response code is summarised: CRh and MLFS (marrow remission without full count
#: recovery) as CRi, SD and PD as NR (clinical-criteria.md section 3.1). An interpretation,
#: documented in docs/rules.md. Which response is best follows ``response.RESPONSE_RANK``.
SUMMARY_RESPONSE: dict[str, str] = {
    "CR": "CR",
    "CRi": "CRi",
    "CRh": "CRi",
    "MLFS": "CRi",
    "PR": "PR",
    "SD": "NR",
    "NR": "NR",
    "PD": "NR",
}

_AGENT_CLASS_TO_SUMMARY = {
    "chemotherapy": "chemotherapy",
    "corticosteroid": "chemotherapy",
    "tki": "tki",
    "bispecific": "bispecific",
    "antibody_drug_conjugate": "antibody_drug_conjugate",
}
_KINASE_MUTATION = re.compile(r"^[A-Z]\d{2,3}[A-Z]$")


def _position(case: Case) -> dict[str, int]:
    return {ev.id: i for i, ev in enumerate(case.timeline)}


def _index_therapy_rows(events: Sequence[Event]) -> list[IndexTherapySummary]:
    agents = load_vocabulary("agents")
    rows: list[IndexTherapySummary] = []
    for ev in events:
        if isinstance(ev, CarTInfusion):
            agent = None if ev.product == "investigational" else ev.product
            rows.append(
                IndexTherapySummary(
                    therapy_class="car_t",
                    agent=agent or ev.construct_name,
                    target=ev.target if ev.target in ("CD19", "CD22", "CD19/CD22") else None,
                    cell_source=ev.cell_source,
                    costimulatory=[c for c in ev.costimulatory if c in ("CD28", "4-1BB")],
                )
            )
        elif isinstance(ev, HSCT):
            rows.append(IndexTherapySummary(therapy_class="hsct"))
        elif isinstance(ev, Therapy):
            for agent in ev.agents:
                attrs = agents.get(agent).attributes
                cls = _AGENT_CLASS_TO_SUMMARY.get(str(attrs.get("class")), "other")
                target = attrs.get("target")
                rows.append(
                    IndexTherapySummary(
                        therapy_class=cls,
                        agent=agent,
                        target=target if target in ("CD19", "CD22", "CD19/CD22") else None,
                        courses=ev.courses,
                    )
                )
    return rows


def _best_response(case: Case, event_ids: set[str]) -> str | None:
    stated = [
        ev.response
        for ev in case.timeline
        if isinstance(ev, DiseaseAssessment)
        and ev.assesses in event_ids
        and ev.response is not None
    ]
    if not stated:
        return None
    return SUMMARY_RESPONSE[max(stated, key=lambda code: RESPONSE_RANK[code])]


def _bridged_to_hsct(
    case: Case, index_ids: set[str], after: list[Event], pos: dict[str, int], complete: bool
) -> bool | None:
    """An allogeneic HSCT after an index therapy, in the remission that therapy achieved.

    The HSCT must follow a CR or CRi to the last index therapy before it with no relapse in
    between; a transplant after failure or relapse is salvage, not a bridge (DESIGN.md).
    """
    transplants = [ev for ev in after if isinstance(ev, HSCT) and ev.kind == "allogeneic"]
    if not transplants:
        return False if complete else None
    for hsct in transplants:
        prior_index = [i for i in index_ids if pos[i] < pos[hsct.id]]
        if not prior_index:
            continue
        last = max(prior_index, key=lambda i: pos[i])
        in_remission = _best_response(case, {last}) in ("CR", "CRi")
        relapsed = any(
            isinstance(ev, Relapse) and pos[last] < pos[ev.id] < pos[hsct.id]
            for ev in case.timeline
        )
        if in_remission and not relapsed:
            return True
    return False


def _stated_for(ev: ToxicityEpisode, index: Sequence[Event], pos: dict[str, int]) -> str | None:
    """The index therapy a stated toxicity grade belongs to: its ``after``, else the last index
    therapy listed before it."""
    if ev.after is not None:
        return ev.after
    before = [i.id for i in index if pos[i.id] < pos[ev.id]]
    return before[-1] if before else None


def summarize(
    case: Case,
    *,
    mrd_thresholds: dict[str, float] | None = None,
    grading: CaseGrading | None = None,
) -> CaseSummary:
    """The CaseSummary of one Case. Pure: reads only the Case.

    ``grading``: :func:`~remission.rules.episodes.grade_case` of this same case when the caller
    has it already (the case report needs both), so the assessments are not graded twice.
    """
    if grading is not None and grading.case_id != case.id:
        raise InputError(
            f"the grading given is of case {grading.case_id!r}, not of case {case.id!r}"
        )
    pos = _position(case)
    index = case.index_events()
    index_ids = {ev.id for ev in index}
    first = min((pos[e.id] for e in index), default=None)
    complete = case.complete_history
    before = [ev for ev in case.timeline if first is not None and pos[ev.id] < first]
    after = [
        ev
        for ev in case.timeline
        if first is not None and pos[ev.id] > first and ev.id not in index_ids
    ]

    # age: at the index therapy if stated there, else as stated (usually at diagnosis)
    age = case.patient.age
    age_years = round(age.years, 2) if age is not None else None

    dx = case.diagnosis
    diagnosis = {"B-ALL": "B-ALL", "T-ALL": "T-ALL"}.get(dx.disease, "other")

    relapses_before = [ev for ev in before if isinstance(ev, Relapse)]
    index_relapse = relapses_before[-1] if relapses_before else None
    mutations = list(dx.kinase_mutations)
    for rel in relapses_before:
        mutations.extend(rel.kinase_mutations)
    mutations = [m for m in dict.fromkeys(mutations) if _KINASE_MUTATION.match(m)]

    relapse_count: int | None
    if index_relapse is not None:
        relapse_count = index_relapse.number or len(relapses_before)
    else:
        relapse_count = 0 if complete and first is not None else None

    refractory_flags = [dx.primary_refractory, *(r.refractory for r in relapses_before)]
    refractory_flags += [
        True for ev in before if isinstance(ev, DiseaseAssessment) and ev.response in ("NR", "PD")
    ]
    refractory = (
        True
        if any(f is True for f in refractory_flags)
        else (False if refractory_flags and all(f is False for f in refractory_flags) else None)
    )

    allo_before = [ev for ev in before if isinstance(ev, HSCT) and ev.kind == "allogeneic"]
    prior_hsct = True if allo_before else (False if complete and first is not None else None)

    # sites at the relapse the index therapy treats, with progression sites seen before the index
    sites_vocab = load_vocabulary("sites")
    em_sites: list[str] = []
    cns: bool | None = None
    if index_relapse is not None:
        site_ids = list(index_relapse.sites)
        for ev in before[pos[index_relapse.id] :]:
            if isinstance(ev, DiseaseAssessment):
                site_ids += [f.site for f in ev.extramedullary if f.status in ("present", "new")]
                if ev.csf is not None and ev.csf.blasts_present:
                    site_ids.append("cns")
        for site in site_ids:
            summary_site = sites_vocab.get(site).attributes.get("summary")
            if summary_site and summary_site not in em_sites:
                em_sites.append(str(summary_site))
        cns = "cns" in em_sites or index_relapse.cns_status in ("CNS2", "CNS3")

    # response and MRD: assessments that judge an index therapy
    judged = [
        ev for ev in case.timeline if isinstance(ev, DiseaseAssessment) and ev.assesses in index_ids
    ]
    response = _best_response(case, index_ids)
    calls = [mrd_negative(ev.mrd, mrd_thresholds).negative for ev in judged if ev.mrd is not None]
    mrd_neg = (
        True
        if any(c is True for c in calls)
        else (False if calls and all(c is False for c in calls) else None)
    )

    # toxicity: stated maximum grades of episodes following an index therapy; an index therapy
    # with daily assessments but no stated grade gets the ASTCT 2019 grade computed from them
    if grading is None and case.assessments:
        grading = grade_case(case)

    def max_grade(syndrome: Literal["crs", "icans"]) -> int | None:
        stated = [
            ev
            for ev in case.timeline
            if isinstance(ev, ToxicityEpisode)
            and ev.syndrome == syndrome
            and ev.grade is not None
            and (
                ev.after in index_ids
                or (ev.after is None and first is not None and pos[ev.id] > first)
            )
        ]
        grades = [ev.grade.grade for ev in stated if ev.grade is not None]
        if grading is not None:
            covered = {_stated_for(ev, index, pos) for ev in stated}
            for ev in index:
                if ev.id not in covered:
                    computed = grading.max_grade(syndrome, follows=ev.id)
                    if computed is not None:
                        grades.append(computed)
        return max(grades) if grades else None

    gvhd_eps = [ev for ev in after if isinstance(ev, ToxicityEpisode) and ev.syndrome == "gvhd"]
    gvhd = (
        True
        if any(ev.grade is None or ev.grade.grade > 0 for ev in gvhd_eps)
        else (False if gvhd_eps else None)
    )

    relapses_after = [ev for ev in after if isinstance(ev, Relapse)]
    responded = response in ("CR", "CRi", "PR")
    follow_ups = [ev for ev in after if isinstance(ev, FollowUp)]
    death = next((ev for ev in after if isinstance(ev, Death)), None)
    if relapses_after and responded:
        relapse_after: bool | None = True
    elif responded and (complete or any(f.disease_status == "remission" for f in follow_ups[-1:])):
        relapse_after = False
    else:
        relapse_after = None

    if death is not None:
        alive: bool | None = False
    elif follow_ups:
        alive = follow_ups[-1].alive
    else:
        alive = None

    bridged = _bridged_to_hsct(case, index_ids, after, pos, complete)

    follow_up_months = None
    last = death or (follow_ups[-1] if follow_ups else None)
    if index and last is not None:
        iv = case.interval(index[0].id, last.id)
        if iv is not None:
            follow_up_months = round(max(iv.months, 0.0), 1)

    return CaseSummary(
        age_years=age_years,
        sex=case.patient.sex,
        diagnosis=diagnosis,
        ph_positive=dx.ph_positive,
        bcr_abl_transcript=dx.bcr_abl1_transcript
        if dx.bcr_abl1_transcript in ("p210", "p190")
        else None,
        abl_kinase_mutations=mutations,
        relapse_count=relapse_count,
        refractory=refractory,
        prior_hsct=prior_hsct,
        extramedullary_sites=em_sites,
        cns_involvement=cns,
        index_therapies=_index_therapy_rows(index),
        response=response,
        mrd_negative=mrd_neg,
        crs_max_grade=max_grade("crs"),
        icans_max_grade=max_grade("icans"),
        gvhd=gvhd,
        relapse_after=relapse_after,
        alive_at_last_follow_up=alive,
        bridged_to_hsct=bridged,
        follow_up_months=follow_up_months,
    )


def summarize_cohort(cohort: CohortAggregate) -> CohortSummary:
    """The cohort-level summary of an aggregate document: its stated numbers, unchanged."""
    median = None
    if cohort.age is not None and cohort.age.median is not None:
        median = cohort.age.median / (12 if cohort.age.unit == "months" else 1)
    return CohortSummary(
        n_patients=cohort.n_patients,
        median_age_years=median,
        n_complete_response=cohort.n_complete_response,
        n_mrd_negative=cohort.n_mrd_negative,
        n_bridged_to_hsct=cohort.n_bridged_to_hsct,
        n_crs_any=cohort.n_crs_any,
        n_crs_grade3plus=cohort.n_crs_grade3plus,
        n_icans_any=cohort.n_icans_any,
    )
