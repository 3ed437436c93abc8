"""From an extraction result to draft Cases: one per patient, evidence kept (issue 6, item 3).

A draft is an ordinary :class:`~remission.model.Case` with ``status: draft`` and an
``extraction`` block (the text, what read it, every value with its evidence and review status).
Its timeline is written so that :func:`remission.rules.summary.summarize` gives back the
extracted CaseSummary wherever the Case model can say it; what it cannot say is listed in
:data:`NOT_CARRIED` and, for each draft, in its ``notes`` (docs/extraction.md, "What a draft
cannot carry").

How a summary becomes events (each choice follows the rule in ``rules/summary.py`` that reads it):

* the relapse the index therapy treats is a ``relapse`` event before the index therapies, with the
  stated ordinal (``relapse_count``), the sites, the refractory flag and the kinase mutations known
  by then; earlier relapses the text lists come before it;
* a prior transplant is an allogeneic ``hsct`` before that relapse;
* each index-therapy row is one event (a CAR-T infusion, a transplant, or a therapy with one
  agent), all listed in ``index`` in order;
* the best response and MRD are one ``disease_assessment`` of the last index therapy; toxicity
  maxima are ``toxicity`` episodes after the first; a bridge is an allogeneic ``hsct`` in that
  remission; a later relapse, a death and the last follow-up close the course, dated from the first
  index therapy when the follow-up is known.

The extracted timeline events (:class:`~remission.evidence.result.ExtractedEvent`) enrich these
events (dates, doses, donors, grading scales, earlier relapses and prior therapy lines) but never
change a summary value; an enrichment that makes the Case invalid is dropped, never the value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from remission.evidence.result import ExtractedEvent, ExtractionResult, PatientResult
from remission.exceptions import InputError, Problem
from remission.model import (
    Case,
    CaseSummary,
    CohortAggregate,
    Extraction,
    PartialDate,
    Source,
    load_vocabulary,
    parse_time,
)
from remission.model.cohort import AgeStats
from remission.model.events import EVENT_TYPES, TIME_FIELD, event_time
from remission.model.time import DAYS_PER_MONTH
from remission.rules.mrd import mrd_negative
from remission.rules.summary import summarize

__all__ = [
    "NOT_CARRIED",
    "EventHint",
    "build_case_content",
    "carry_gaps",
    "draft_cases",
    "draft_cohort",
    "hints_from_case",
    "hints_from_events",
]

#: Summary values a draft Case cannot express, and why (the Case model and the summary rules
#: decide). Each key is a CaseSummary field; the reason is shown to reviewers in the draft's notes.
NOT_CARRIED: dict[str, str] = {
    "diagnosis": "an unknown diagnosis cannot be carried: a Case's diagnosis defaults to B-ALL",
    "relapse_count": "a relapse count of 0, or none beside stated sites or CNS status: sites "
    "belong to a relapse event, so the draft counts that relapse (1); 0 needs a complete history",
    "prior_hsct": "'no prior transplant' needs a complete history, which a report rarely gives",
    "cns_involvement": "with a relapse event the CNS status is read from its sites: unknown reads "
    "as no CNS involvement, and CNS involvement adds the CNS to the sites",
    "extramedullary_sites": "sites are those of a relapse before the index therapy; without an "
    "index therapy the draft has no 'before'",
    "refractory": "refractory or not is read from a relapse or the diagnosis before the index "
    "therapy; without an index therapy it cannot be placed",
    "index_therapies": "a row needs an agent the vocabulary knows (or a CAR-T); a CAR-T row's "
    "'courses' is not summarised (one infusion per row); a named CAR-T product fills in its "
    "fixed target, cell source and costimulatory domain; a transplant row keeps only its class",
    "response": "a response is read from an assessment of an index therapy; none without one",
    "mrd_negative": "MRD is read from an assessment of an index therapy; none without one",
    "crs_max_grade": "a grade follows an index therapy; none without one",
    "icans_max_grade": "a grade follows an index therapy; none without one",
    "gvhd": "GVHD after an index therapy; none without one",
    "relapse_after": "a relapse after responding needs a response (CR, CRi or PR)",
    "alive_at_last_follow_up": "a follow-up time implies a follow-up contact, which records the "
    "patient alive unless a death is stated",
    "bridged_to_hsct": "a bridge is a transplant in the remission an index therapy achieved (CR "
    "or CRi); 'not transplanted' needs a complete history",
    "follow_up_months": "follow-up is counted from the first index therapy; none without one",
    "abl_kinase_mutations": "only ABL1 kinase-domain mutations written like T315I are summarised",
    "age_years": "ages outside 0-120 years are refused by the model",
    "bcr_abl_transcript": "a transcript type beside 'Ph-negative' contradicts itself and is dropped",
}

_SUMMARY_SITES = ("cns", "testis", "skin", "lymph_node", "soft_tissue", "bone", "other")
_SITE_FOR_SUMMARY = {s: s for s in _SUMMARY_SITES}  # site vocabulary ids that are summary sites
_KINASE_MUTATION = re.compile(r"^[A-Z]\d{2,3}[A-Z]$")


# --- event hints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventHint:
    """An event as an extractor (or an existing draft) states it, used to enrich a draft."""

    id: str
    type: str
    attributes: Mapping[str, Any]
    when: str | None
    index: bool
    order: tuple[int, int]

    @property
    def date(self) -> str | None:
        """The stated time when it is a calendar date (offsets name the extractor's own ids)."""
        if self.when is None:
            return None
        try:
            point = parse_time(self.when)
        except ValueError:
            return None
        return str(point) if isinstance(point, PartialDate) else None


def hints_from_events(events: Iterable[ExtractedEvent]) -> list[EventHint]:
    """Hints from an extractor's events, in the order the course was told."""
    hints = [
        EventHint(e.id, e.type, dict(e.attributes), e.when, e.index, (e.order, i))
        for i, e in enumerate(events)
    ]
    return sorted(hints, key=lambda h: h.order)


def hints_from_case(case: Case) -> list[EventHint]:
    """Hints from a draft's own timeline, so that rebuilding it keeps its enrichments."""
    index_ids = {ev.id for ev in case.index_events()}
    out = []
    for i, ev in enumerate(case.timeline):
        attrs = ev.model_dump(mode="json", by_alias=True, exclude_none=True)
        time_field = TIME_FIELD.get(ev.type, "date")
        for key in ("id", "type", time_field):
            attrs.pop(key, None)
        t = event_time(ev)
        when = str(t) if isinstance(t, PartialDate) else None
        out.append(EventHint(ev.id, ev.type, attrs, when, ev.id in index_ids, (i, 0)))
    return out


# --- building --------------------------------------------------------------------------------


def _valid_event(data: dict[str, Any]) -> bool:
    try:
        EVENT_TYPES[data["type"]].model_validate(data)
    except (ValidationError, ValueError, KeyError):
        return False
    return True


def _enrich(
    base: dict[str, Any],
    hint: EventHint | None,
    allowed: Iterable[str],
    *,
    dates: bool,
    time_field: str = "date",
) -> dict[str, Any]:
    """``base`` with the hint's allowed attributes (and date) added where valid."""
    if hint is None:
        return base
    rich = dict(base)
    for key in allowed:
        if key in hint.attributes and key not in base:
            rich[key] = hint.attributes[key]
    if dates and hint.date is not None and time_field not in base:
        rich[time_field] = hint.date
    if rich == base:
        return base
    if _valid_event(rich):
        return rich
    # one attribute at a time: keep every enrichment that is valid on its own
    kept = dict(base)
    for key, value in rich.items():
        if key in base:
            continue
        trial = {**kept, key: value}
        if _valid_event(trial):
            kept = trial
    return kept


def _site_summary(site_id: str) -> str | None:
    try:
        term = load_vocabulary("sites").lookup(site_id)
    except (KeyError, ValueError):
        return None
    if term is None:
        return None
    summary = term.attributes.get("summary")
    return str(summary) if summary else None


def _site_ids(summary_sites: Sequence[str], hint: EventHint | None) -> list[str]:
    """Relapse sites: the hint's own sites where they summarise alike, then the summary's."""
    sites: list[str] = []
    covered: set[str] = set()
    for raw in (hint.attributes.get("sites") or []) if hint else []:
        if not isinstance(raw, str):
            continue
        term = load_vocabulary("sites").lookup(raw)
        if term is None:
            continue
        summary = term.attributes.get("summary")
        if summary is None or summary in summary_sites:
            if term.id not in sites:
                sites.append(term.id)
            if summary:
                covered.add(str(summary))
    for s in summary_sites:
        if s not in covered and _SITE_FOR_SUMMARY[s] not in sites:
            sites.append(_SITE_FOR_SUMMARY[s])
    return sites


def _car_t_product(agent: str | None) -> str | None:
    if not agent:
        return None
    term = load_vocabulary("car_t_products").lookup(agent)
    return None if term is None or term.id == "investigational" else term.id


def _car_t_event(row: Any, event_id: str) -> dict[str, Any]:
    """A CAR-T infusion for a summary row: a named product, else an investigational construct."""
    data: dict[str, Any] = {"id": event_id, "type": "car_t_infusion"}
    for key in ("target", "cell_source"):
        if getattr(row, key) is not None:
            data[key] = getattr(row, key)
    if row.costimulatory:
        data["costimulatory"] = list(row.costimulatory)
    product = _car_t_product(row.agent)
    if product is not None and _valid_event({**data, "product": product}):
        data["product"] = product
    elif row.agent:
        data["construct_name"] = row.agent[:300]
    return data


def _therapy_event(row: Any, event_id: str) -> dict[str, Any] | None:
    agent = load_vocabulary("agents").lookup(row.agent) if row.agent else None
    if agent is None:
        return None
    data: dict[str, Any] = {"id": event_id, "type": "therapy", "agents": [agent.id]}
    if row.courses is not None and 1 <= row.courses <= 100:
        data["courses"] = row.courses
    return data


@dataclass
class _Roles:
    """Which extracted events enrich which part of the draft."""

    prior_therapies: list[EventHint]
    prior_hsct: EventHint | None
    earlier_relapses: list[EventHint]
    index_relapse: EventHint | None
    car_t: list[EventHint]
    therapies: list[EventHint]
    hsct_index: list[EventHint]
    response: EventHint | None
    toxicity: dict[str, EventHint]
    bridge: EventHint | None
    relapse_after: EventHint | None
    death: EventHint | None
    follow_up: EventHint | None


def _roles(hints: Sequence[EventHint], summary: CaseSummary) -> _Roles:
    positions = [i for i, h in enumerate(hints) if h.index]
    first = positions[0] if positions else None
    last = positions[-1] if positions else None
    before = hints[:first] if first is not None else []
    after = hints[last + 1 :] if last is not None else []
    relapses_before = [h for h in before if h.type == "relapse"]

    def of_type(seq: Sequence[EventHint], kind: str) -> list[EventHint]:
        return [h for h in seq if h.type == kind]

    wanted = {"crs": summary.crs_max_grade, "icans": summary.icans_max_grade}
    toxicity: dict[str, EventHint] = {}
    for h in hints:
        syndrome = h.attributes.get("syndrome")
        if h.type != "toxicity" or not isinstance(syndrome, str):
            continue
        stated = h.attributes.get("grade")
        grade = stated.get("grade") if isinstance(stated, Mapping) else None
        # the episode whose grade is the summary's maximum, else the first of its syndrome
        if syndrome not in toxicity or (grade is not None and grade == wanted.get(syndrome)):
            if syndrome in toxicity and toxicity[syndrome].attributes.get("grade") == stated:
                continue
            toxicity[syndrome] = h
    assessments = (
        [h for h in hints[first or 0 :] if h.type == "disease_assessment"]
        if (first is not None)
        else []
    )
    response = next(
        (h for h in assessments if h.attributes.get("response") == summary.response),
        assessments[0] if assessments else None,
    )
    follow_ups = of_type(hints, "follow_up")
    return _Roles(
        prior_therapies=[h for h in of_type(before, "therapy") if not h.index],
        prior_hsct=next(iter(of_type(before, "hsct")), None),
        earlier_relapses=relapses_before[:-1],
        index_relapse=relapses_before[-1] if relapses_before else None,
        car_t=[h for h in hints if h.index and h.type == "car_t_infusion"],
        therapies=[h for h in hints if h.index and h.type == "therapy"],
        hsct_index=[h for h in hints if h.index and h.type == "hsct"],
        response=response,
        toxicity=toxicity,
        bridge=next(iter(of_type(after, "hsct")), None),
        relapse_after=next(iter(of_type(after, "relapse")), None),
        death=next(iter(of_type(hints, "death")), None),
        follow_up=follow_ups[-1] if follow_ups else None,
    )


def _therapy_hint(row: Any, hints: list[EventHint], used: set[str]) -> EventHint | None:
    """The extracted index therapy that gave this row: same agent first, else the next unused."""
    agent = load_vocabulary("agents").lookup(row.agent) if row.agent else None
    for h in hints:
        names = h.attributes.get("agents") or []
        ids = set()
        for name in names if isinstance(names, list | tuple) else []:
            term = load_vocabulary("agents").lookup(name) if isinstance(name, str) else None
            if term is not None:
                ids.add(term.id)
        if agent is not None and agent.id in ids and h.id not in used:
            return h
    return next((h for h in hints if h.id not in used), None)


def _grade(summary_grade: int, hint: EventHint | None) -> dict[str, Any]:
    scale: Any = "unspecified"
    if hint is not None:
        stated = hint.attributes.get("grade")
        if isinstance(stated, Mapping) and isinstance(stated.get("scale"), str):
            scale = stated["scale"]
        elif isinstance(hint.attributes.get("scale"), str):
            scale = hint.attributes["scale"]
    grade = {"grade": summary_grade, "scale": scale}
    probe = {"id": "g", "type": "toxicity", "syndrome": "crs", "grade": grade}
    return grade if _valid_event(probe) else {"grade": summary_grade, "scale": "unspecified"}


def build_case_content(
    summary: CaseSummary,
    hints: Sequence[EventHint] = (),
    *,
    enrich: bool = True,
    dates: bool = True,
) -> dict[str, Any]:
    """The ``patient``, ``diagnosis``, ``index`` and ``timeline`` of a draft, as case-file data.

    ``enrich=False`` builds from the summary alone (always a valid Case); ``dates=False`` keeps
    the enrichments but not the extracted dates (dates are what most often contradict each other).
    """
    s = summary
    roles = _roles(list(hints) if enrich else [], s)

    def add(
        base: dict[str, Any],
        hint: EventHint | None,
        allowed: Iterable[str],
        time_field: str = "date",
    ) -> dict[str, Any]:
        if not enrich:
            return base
        return _enrich(base, hint, allowed, dates=dates, time_field=time_field)

    # index therapies first: everything else is placed around them
    index_events: list[dict[str, Any]] = []
    used: set[str] = set()
    car_t_hints = iter(roles.car_t)
    hsct_hints = iter(roles.hsct_index)
    for n, row in enumerate(s.index_therapies, 1):
        event: dict[str, Any] | None
        if row.therapy_class == "car_t":
            event = _car_t_event(row, f"car{n}")
            allowed = ["generation", "dose", "fractions", "lymphodepletion", "trial", "note"]
            if row.cell_source == "donor_derived":
                allowed.append("donor")
            if not row.costimulatory:
                allowed.append("costimulatory_either")
            event = add(event, next(car_t_hints, None), allowed)
        elif row.therapy_class == "hsct":
            event = {"id": f"hsct-index{n}", "type": "hsct", "kind": "allogeneic"}
            event = add(
                event,
                next(hsct_hints, None),
                ["donor_type", "donor", "graft_source", "conditioning", "note"],
            )
        else:
            event = _therapy_event(row, f"ther{n}")
            if event is not None:
                hint = _therapy_hint(row, roles.therapies, used)
                if hint is not None:
                    used.add(hint.id)
                event = add(
                    event,
                    hint,
                    ["intent", "route", "dose", "protocol", "line", "note"],
                    time_field="start",
                )
        if event is not None:
            index_events.append(event)
    index_ids = [e["id"] for e in index_events]
    first = index_ids[0] if index_ids else None
    last = index_ids[-1] if index_ids else None

    before: list[dict[str, Any]] = []
    for n, h in enumerate(roles.prior_therapies, 1):
        prior = _enrich(
            {"id": f"prior{n}", "type": "therapy"},
            h,
            ["agents", "protocol", "intent", "line", "courses", "route", "end", "note"],
            dates=dates,
            time_field="start",
        )
        if _valid_event(prior):
            before.append(prior)
    if s.prior_hsct is True:
        before.append(
            add(
                {"id": "hsct0", "type": "hsct", "kind": "allogeneic"},
                roles.prior_hsct,
                ["donor_type", "donor", "graft_source", "conditioning", "note"],
            )
        )

    dx: dict[str, Any] = {}
    if s.diagnosis is not None:
        dx["disease"] = s.diagnosis
    if s.ph_positive is not None:
        dx["ph_positive"] = s.ph_positive
    if s.bcr_abl_transcript is not None and s.ph_positive is not False:
        dx["bcr_abl1_transcript"] = s.bcr_abl_transcript
    mutations = [m for m in dict.fromkeys(s.abl_kinase_mutations) if _KINASE_MUTATION.match(m)]

    needs_relapse = first is not None and (
        (s.relapse_count or 0) >= 1 or bool(s.extramedullary_sites) or s.cns_involvement is not None
    )
    relapse_events: list[dict[str, Any]] = []
    if needs_relapse:
        n_index = s.relapse_count if s.relapse_count and 1 <= s.relapse_count <= 20 else None
        earlier = roles.earlier_relapses if n_index is not None and n_index > 1 else []
        for k, h in enumerate(earlier, 1):
            assert n_index is not None
            number = h.attributes.get("number")
            base: dict[str, Any] = {"id": f"rel{k}", "type": "relapse"}
            if isinstance(number, int) and not isinstance(number, bool) and 1 <= number < n_index:
                base["number"] = number
            relapse_events.append(
                add(base, h, ["sites", "marrow_blasts_pct", "cd19", "cd22", "molecular", "note"])
            )
            if len(relapse_events) >= n_index - 1:
                break
        sites = list(s.extramedullary_sites)
        if s.cns_involvement is True and "cns" not in sites:
            sites.insert(0, "cns")
        rel: dict[str, Any] = {"id": f"rel{len(relapse_events) + 1}", "type": "relapse"}
        if n_index:
            rel["number"] = n_index
        site_ids = _site_ids(sites, roles.index_relapse if enrich else None)
        if s.cns_involvement is False:
            site_ids = [x for x in site_ids if _site_summary(x) != "cns"]
        if site_ids:
            rel["sites"] = site_ids
        if mutations:
            rel["kinase_mutations"] = mutations
        if s.refractory is not None:
            rel["refractory"] = s.refractory
        allowed = [
            "marrow_blasts_pct",
            "cd19",
            "cd22",
            "molecular",
            "genetics",
            "lineage_switch",
            "extent",
            "note",
        ]
        hint_cns = roles.index_relapse.attributes.get("cns_status") if roles.index_relapse else None
        if (hint_cns == "CNS1" and s.cns_involvement is not True) or (
            hint_cns in ("CNS2", "CNS3") and s.cns_involvement is True
        ):
            allowed.append("cns_status")
        relapse_events.append(add(rel, roles.index_relapse, allowed))
        if s.refractory is False:
            for ev in relapse_events:
                ev["refractory"] = False
            dx["primary_refractory"] = False
    else:
        if mutations:
            dx["kinase_mutations"] = mutations
        if s.refractory is not None and first is not None:
            dx["primary_refractory"] = s.refractory

    after: list[dict[str, Any]] = []
    if last is not None and (s.response is not None or s.mrd_negative is not None):
        assessment: dict[str, Any] = {"id": "resp1", "type": "disease_assessment", "assesses": last}
        if s.response is not None:
            assessment["response"] = s.response
        if s.mrd_negative is not None:
            assessment["mrd"] = {"detectable": not s.mrd_negative}
            stated = roles.response.attributes.get("mrd") if roles.response and enrich else None
            if isinstance(stated, Mapping):
                try:
                    from remission.model import MRD

                    call = mrd_negative(MRD.model_validate(stated)).negative
                except (ValidationError, ValueError):
                    call = None
                if call is s.mrd_negative:
                    assessment["mrd"] = dict(stated)
        assessment = add(
            assessment,
            roles.response,
            [
                "marrow_blasts_pct",
                "blood_blasts_pct",
                "anc_10e9_l",
                "platelets_10e9_l",
                "transfusion_independent",
                "car_t_detected",
                "b_cell_aplasia",
                "note",
            ],
        )
        after.append(assessment)
    for syndrome, grade in (("crs", s.crs_max_grade), ("icans", s.icans_max_grade)):
        if grade is None or first is None:
            continue
        hint = roles.toxicity.get(syndrome)
        episode = {
            "id": f"{syndrome}1",
            "type": "toxicity",
            "syndrome": syndrome,
            "after": first,
            "grade": _grade(grade, hint),
        }
        after.append(add(episode, hint, ["resolved", "treatments", "note"], time_field="onset"))
    bridged = s.bridged_to_hsct is True and first is not None
    if bridged:
        after.append(
            add(
                {"id": "hsct1", "type": "hsct", "kind": "allogeneic"},
                roles.bridge,
                ["donor_type", "donor", "graft_source", "conditioning", "note"],
            )
        )
    if s.gvhd is not None and first is not None:
        gvhd: dict[str, Any] = {
            "id": "gvhd1",
            "type": "toxicity",
            "syndrome": "gvhd",
            "after": first,
        }
        if s.gvhd is False:
            gvhd["grade"] = {"grade": 0}
        hint = roles.toxicity.get("gvhd")
        after.append(
            add(gvhd, hint, ["gvhd_kind", "organs", "treatments", "resolved", "note"], "onset")
        )
    if s.relapse_after is True and first is not None:
        rel_after: dict[str, Any] = {"id": "relapse-after", "type": "relapse"}
        if s.relapse_count and 1 <= s.relapse_count < 20:
            rel_after["number"] = s.relapse_count + 1
        after.append(
            add(
                rel_after,
                roles.relapse_after,
                ["sites", "marrow_blasts_pct", "cd19", "cd22", "note"],
            )
        )

    offset = None
    if first is not None and s.follow_up_months is not None and s.follow_up_months >= 0:
        offset = f"{first}+{round(s.follow_up_months * DAYS_PER_MONTH)}d"
    if s.alive_at_last_follow_up is False:
        if s.relapse_after is False:
            after.append({"id": "fu1", "type": "follow_up", "disease_status": "remission"})
        death: dict[str, Any] = {"id": "death", "type": "death"}
        if offset is not None:
            death["date"] = offset
        after.append(add(death, roles.death, ["cause", "note"]))
    elif s.alive_at_last_follow_up is True or offset is not None or s.relapse_after is False:
        fu: dict[str, Any] = {"id": "fu-last", "type": "follow_up", "alive": True}
        if offset is not None:
            fu["date"] = offset
        fu["disease_status"] = (
            "remission" if s.relapse_after is False else "relapse" if s.relapse_after else "unknown"
        )
        after.append(add(fu, roles.follow_up, ["car_t_persistence", "b_cell_aplasia", "note"]))

    patient: dict[str, Any] = {}
    if s.sex is not None:
        patient["sex"] = s.sex
    if s.age_years is not None and 0 <= s.age_years <= 120:
        patient["age"] = {"value": s.age_years, "unit": "years"}
    return {
        "patient": patient,
        "diagnosis": dx,
        "index": index_ids,
        "timeline": [*before, *relapse_events, *index_events, *after],
    }


def carry_gaps(extracted: CaseSummary, drafted: CaseSummary) -> list[tuple[str, str]]:
    """Fields where the draft's own summary differs from the extracted one, with the reason."""
    gaps = []
    ours = drafted.model_dump(by_alias=True)
    for name, value in extracted.model_dump(by_alias=True).items():
        if ours[name] != value:
            reason = NOT_CARRIED.get(name, "the Case model cannot carry this value as extracted")
            gaps.append((name, reason))
    return gaps


def _gap_note(gaps: list[tuple[str, str]], extracted: CaseSummary) -> str | None:
    if not gaps:
        return None
    dumped = extracted.model_dump(mode="json", by_alias=True)
    lines = [
        "Extracted values this draft cannot carry as they stand (check them in review):",
        *(f"- {name} = {dumped[name]!r}: {reason}" for name, reason in gaps),
    ]
    return "\n".join(lines)[:20_000]


def assemble_case(
    base: Mapping[str, Any],
    summary: CaseSummary,
    hints: Sequence[EventHint],
) -> Case:
    """Validate the draft: with all enrichments, else without dates, else from the summary alone."""
    last_error: Exception | None = None
    for enrich, dates in ((True, True), (True, False), (False, False)):
        content = build_case_content(summary, hints, enrich=enrich, dates=dates)
        data = {**base, **content}
        try:
            case = Case.model_validate(data)
        except (ValidationError, ValueError) as exc:
            last_error = exc
            continue
        note = _gap_note(carry_gaps(summary, summarize(case)), summary)
        return case.model_copy(update={"notes": note}) if note != case.notes else case
    raise InputError(
        Problem(f"the extracted values do not make a valid case: {last_error}", base.get("id"))
    )


_SLUG = re.compile(r"[^a-z0-9]+")


def _case_id(result: ExtractionResult, id_prefix: str | None, n: int, total: int) -> str:
    if id_prefix:
        prefix = id_prefix
    else:
        stem = ""
        if result.file:
            name = re.split(r"[\\/]", result.file)[-1]
            stem = _SLUG.sub("-", name.rsplit(".", 1)[0].lower()).strip("-")[:40]
        prefix = f"draft-{stem + '-' if stem else ''}{result.text_sha256[:8]}"
    prefix = prefix[:72]
    return prefix if total == 1 else f"{prefix}-p{n}"


def _check_text(result: ExtractionResult, text: str) -> None:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest != result.text_sha256:
        raise InputError(
            Problem(
                "this text is not the one the extraction was made from (its SHA-256 differs)",
                result.file,
            )
        )


#: Texts longer than this are not copied into the draft (the Extraction block's limit).
MAX_KEPT_TEXT = 2_000_000


def _source(result: ExtractionResult) -> Source:
    kind = result.kind if result.kind in ("case_report", "case_series", "cohort") else "case_report"
    where = f" from {result.file}" if result.file else ""
    return Source(kind=kind, note=f"Drafted by the '{result.extractor}' extractor{where}.")


def draft_case(
    result: ExtractionResult,
    patient: PatientResult,
    text: str,
    case_id: str,
    *,
    hints: Callable[[PatientResult], list[EventHint]] | None = None,
) -> Case:
    """One patient of an extraction result as a draft Case (see :func:`draft_cases`)."""
    extraction = Extraction(
        extractor=result.extractor[:200],
        text_sha256=result.text_sha256,
        file=result.file[:1000] if result.file else None,
        text=text if len(text) <= MAX_KEPT_TEXT else None,
        patient_label=patient.label[:200] if patient.label else None,
        values=patient.values,
    )
    base = {
        "id": case_id,
        "status": "draft",
        "source": _source(result),
        "extraction": extraction,
    }
    event_hints = hints(patient) if hints else hints_from_events(patient.events)
    return assemble_case(base, patient.summary, event_hints)


def draft_cases(result: ExtractionResult, text: str, *, id_prefix: str | None = None) -> list[Case]:
    """One draft Case (``status: draft``) per patient of ``result``, with the text and evidence.

    ``text`` must be the text the result was extracted from (its SHA-256 is checked). Case ids
    are ``draft-<file stem>-<first 8 hex digits of the text's SHA-256>`` (``-p2`` ... for further
    patients) unless ``id_prefix`` is given. A cohort text has no patients: see
    :func:`draft_cohort`.
    """
    _check_text(result, text)
    total = len(result.patients)
    return [
        draft_case(result, p, text, _case_id(result, id_prefix, n, total))
        for n, p in enumerate(result.patients, 1)
    ]


def draft_cohort(
    result: ExtractionResult, text: str, *, id_prefix: str | None = None
) -> CohortAggregate | None:
    """A cohort text's counts as a draft CohortAggregate (``None`` when no count was found).

    The cohort document has no extraction block, so its evidence and review statuses cannot be
    kept with it: the evidence is summarised in its ``notes`` instead (docs/extraction.md).
    """
    _check_text(result, text)
    c = result.cohort
    if c is None or c.n_patients < 1:
        return None
    prefix = id_prefix or _case_id(result, None, 1, 1)
    evidence_lines = []
    for v in result.cohort_values:
        quote = " / ".join(span.text for ev in v.evidence for span in ev.spans)
        evidence_lines.append(f'- {v.field} = {v.value!r}: "{quote[:300]}"')
    notes = "\n".join(
        [
            "Drafted from the text; check each count against its words:",
            *evidence_lines,
        ]
    )[:20_000]
    counts = {
        name: getattr(c, name)
        for name in (
            "n_complete_response",
            "n_mrd_negative",
            "n_bridged_to_hsct",
            "n_crs_any",
            "n_crs_grade3plus",
            "n_icans_any",
        )
        if getattr(c, name) is not None and 0 <= getattr(c, name) <= c.n_patients
    }
    if (
        counts.get("n_crs_grade3plus") is not None
        and counts.get("n_crs_any") is not None
        and counts["n_crs_grade3plus"] > counts["n_crs_any"]
    ):
        counts.pop("n_crs_grade3plus")
    age = None
    if c.median_age_years is not None and 0 <= c.median_age_years <= 120:
        age = AgeStats(median=c.median_age_years)
    return CohortAggregate(
        kind="cohort",
        id=prefix,
        status="draft",
        source=_source(result),
        n_patients=c.n_patients,
        age=age,
        notes=notes,
        **counts,
    )
