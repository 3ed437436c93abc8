"""The case report's data: what the case page and the HTML report show of a case, derived once.

Pure and matplotlib-free (figures are drawn elsewhere), so it can run whenever a version is
saved: :func:`remission.api.record_for` keeps the result beside the version in the store, and
the web app shows a case from it without deriving anything. Every number carries its definition.
"""

from __future__ import annotations

from typing import Any

from remission.exceptions import InputError, RemissionError
from remission.figures.labs import LAB_KINDS, burden_points
from remission.figures.timeline import timeline_data
from remission.model import Case, CaseSummary, ToxicityEpisode, load_vocabulary
from remission.model.events import EVENT_LABELS, event_time
from remission.report.render import _fmt
from remission.rules import (
    CaseGrading,
    case_responses,
    duration_of_response,
    event_free_survival,
    grade_case,
    overall_survival,
    relapse_free_survival,
    summarize,
)

__all__ = [
    "OUTCOME_DEFINITIONS",
    "REPORT_DATA_FORMAT",
    "REPORT_KEYS",
    "case_report_data",
    "report_is_current",
    "report_stamp",
]


#: One-line definitions shown beside each endpoint (full rules: docs/rules.md, "Outcome intervals").
OUTCOME_DEFINITIONS = {
    "OS": "Overall survival: to death from any cause; censored at the last contact.",
    "EFS": "Event-free survival: no response by the day-28 assessment (event at day 0), relapse or "
    "death; censored at the last contact.",
    "RFS": "Relapse-free survival from the response: relapse or death.",
    "DoR": "Duration of response: from the first CR/CRi to relapse; death in remission from "
    "another cause is censored.",
}


def _what(ev: Any) -> str:
    if ev.type == "therapy":
        text = " + ".join(load_vocabulary("agents").get(a).label for a in ev.agents)
        if ev.protocol:
            text = f"{ev.protocol} {text}".strip()
        return text + (f" ({ev.courses} courses)" if ev.courses else "")
    if ev.type == "relapse":
        return (f"#{ev.number} " if ev.number else "") + (", ".join(ev.sites) or "sites not stated")
    if ev.type == "car_t_infusion":
        return " ".join(
            x
            for x in (
                ev.product if ev.product != "investigational" else ev.construct_name or "",
                ev.target or "",
                (ev.cell_source or "").replace("_", "-"),
            )
            if x
        )
    if ev.type == "hsct":
        return " ".join(x for x in (ev.kind, (ev.donor_type or "").replace("_", " ")) if x)
    if ev.type == "disease_assessment":
        return f"response {ev.response}" if ev.response else (ev.note or "")
    if ev.type == "toxicity":
        grade = f" grade {ev.grade.grade} ({ev.grade.scale})" if ev.grade else ""
        return (ev.term or ev.syndrome.upper()) + grade
    if ev.type == "follow_up":
        return ("alive" if ev.alive else "dead") + f", {ev.disease_status}"
    if ev.type == "death":
        return f"cause: {ev.cause}"
    return getattr(ev, "label", "")


def _summary_rows(summary: CaseSummary) -> list[dict[str, str]]:
    rows = []
    data = summary.model_dump(mode="json", by_alias=True)
    for name, info in CaseSummary.model_fields.items():
        value = data[name]
        if name == "index_therapies":
            value = "; ".join(
                " ".join(_fmt(v) for v in t.values() if v not in (None, [], "")) for t in value
            )
        rows.append({"name": name, "value": _fmt(value), "definition": info.description or ""})
    return rows


def _outcomes(case: Case) -> list[dict[str, str]]:
    rows = []
    for name, func in (
        ("OS", overall_survival),
        ("EFS", event_free_survival),
        ("RFS", relapse_free_survival),
        ("DoR", duration_of_response),
    ):
        try:
            o = func(case)
        except RemissionError as exc:
            rows.append(
                {
                    "name": name,
                    "anchor": "—",
                    "time": "—",
                    "status": f"not computable: {exc}",
                    "precision": "",
                    "definition": OUTCOME_DEFINITIONS[name],
                }
            )
            continue
        if not o.computable or o.interval is None:
            rows.append(
                {
                    "name": name,
                    "anchor": o.anchor or "—",
                    "time": "—",
                    "status": f"not computable: {o.reason}",
                    "precision": "",
                    "definition": OUTCOME_DEFINITIONS[name],
                }
            )
            continue
        rows.append(
            {
                "name": name,
                "anchor": o.anchor or "—",
                "time": f"{o.interval.months:.1f} months ({o.interval.days:.0f} days)",
                "status": ("event: " if o.event else "censored: ") + str(o.end or ""),
                "precision": o.interval.precision,
                "definition": OUTCOME_DEFINITIONS[name],
            }
        )
    return rows


#: The shape of :func:`case_report_data`; a stored copy of another shape (or made by another
#: remission version, whose rules may differ) is derived again instead of shown.
REPORT_DATA_FORMAT = 1


def report_stamp() -> str:
    """What :func:`case_report_data` puts under ``stamp``: the remission version and data format."""
    from remission import __version__

    return f"remission {__version__}, report data {REPORT_DATA_FORMAT}"


#: The keys :func:`case_report_data` gives (what the case page reads).
REPORT_KEYS = frozenset(
    {
        "stamp", "case_id", "case_status", "has_extraction", "source", "case_notes",
        "patient_line", "diagnosis_line", "index_line", "summary_rows", "timeline_notes",
        "timeline_anchor", "events", "episodes", "assessment_count", "stated_toxicities",
        "responses", "has_burden", "outcomes", "series", "has_labs", "notes",
    }
)  # fmt: skip


def report_is_current(report: object) -> bool:
    """Whether stored report data can be shown as it is: made by this remission version, in
    this format, with every key (anything else is derived again from the document)."""
    return (
        isinstance(report, dict)
        and report.get("stamp") == report_stamp()
        and REPORT_KEYS.issubset(report)
    )


def _has_labs(case: Case) -> bool:
    vocab = load_vocabulary("analytes")
    return any(vocab.get(s.analyte).attributes.get("kind") in LAB_KINDS for s in case.observations)


def _has_burden(case: Case) -> bool:
    index = case.index_events()
    anchor = index[0].id if index else "diagnosis"
    try:
        return bool(burden_points(case, anchor))
    except (KeyError, ValueError):
        return False


def case_report_data(
    case: Case,
    *,
    day0: str | None = None,
    grading: CaseGrading | None = None,
    summary: CaseSummary | None = None,
) -> dict[str, Any]:
    """Everything the case page shows but the figures, as JSON-able plain data (strings,
    numbers, lists and dicts), stamped with :func:`report_stamp`.

    Derived once per saved version and kept beside it in the store
    (:func:`remission.api.record_for`), so showing a case needs no re-derivation. ``day0``: the
    timeline's day 0 (an event id or ``diagnosis``; default the first index therapy).
    ``grading`` and ``summary``: :func:`~remission.rules.grade_case` and
    :func:`~remission.rules.summarize` of this case when the caller has them already.
    """
    if grading is None:
        grading = grade_case(case)
    if summary is None:
        summary = summarize(case, grading=grading)
    p, d = case.patient, case.diagnosis
    age = f"{p.age.value:g} {p.age.unit} (at {p.age.at})" if p.age else "age not stated"
    diag: list[str] = [d.disease]
    if d.ph_positive is not None:
        diag.append("Ph-positive" if d.ph_positive else "Ph-negative")
    if d.bcr_abl1_transcript:
        diag.append(d.bcr_abl1_transcript)
    diag += list(d.kinase_mutations) + list(d.genetics)
    if day0 is not None and day0 != "diagnosis" and day0 not in case.resolved_times:
        raise InputError(f"case {case.id!r} has no event {day0!r} to use as day 0")
    tl = timeline_data(case, day0)
    analytes = load_vocabulary("analytes")
    return {
        "stamp": report_stamp(),
        "case_id": case.id,
        "case_status": case.status,
        "has_extraction": case.extraction is not None,
        "source": (
            {"citation": case.source.citation, "doi": case.source.doi}
            if case.source is not None and case.source.citation
            else None
        ),
        "case_notes": case.notes or "",
        "patient_line": f"{p.sex or 'sex not stated'}, {age}",
        "diagnosis_line": ", ".join(diag) + (f"; diagnosed {d.date}" if d.date else ""),
        "index_line": ", ".join(f"{e.id} ({EVENT_LABELS[e.type]})" for e in case.index_events())
        or "none",
        "summary_rows": _summary_rows(summary),
        "timeline_notes": list(tl.notes),
        "timeline_anchor": tl.anchor,
        "events": [
            {
                "id": ev.id,
                "type": EVENT_LABELS[ev.type],
                "when": str(event_time(ev)) if event_time(ev) is not None else "—",
                "what": _what(ev),
            }
            for ev in case.timeline
        ],
        "episodes": [
            {
                "syndrome": ep.syndrome.upper(),
                "number": ep.number,
                "follows": ep.follows or "—",
                "onset": str(ep.onset_at),
                "resolved": str(ep.resolution_at) if ep.resolution_at else "ongoing",
                "max_grade": ep.max_grade,
                "drivers": "; ".join(ep.drivers),
            }
            for ep in grading.episodes
        ],
        "assessment_count": len(case.assessments),
        "stated_toxicities": [
            {
                "id": ev.id,
                "syndrome": ev.syndrome.upper(),
                "grade": f"{ev.grade.grade} ({ev.grade.scale})" if ev.grade else "not stated",
                "treatments": ", ".join(ev.treatments) or "—",
            }
            for ev in case.events(ToxicityEpisode)
        ],
        "responses": [
            {
                "assessment": r["assessment"],
                "label": r["label"] or "—",
                "basis": r["basis"],
                "reasons": "; ".join(r["reasons"]),
            }
            for r in (c.to_dict() for c in case_responses(case))
        ],
        "has_burden": _has_burden(case),
        "outcomes": _outcomes(case),
        "series": [
            {"id": s.id, "label": f"{analytes.get(s.analyte).label} ({s.specimen})"}
            for s in case.observations
            if s.is_car_t
        ],
        "has_labs": _has_labs(case),
        "notes": list(grading.notes),
    }
