"""The case report: one self-contained HTML page of a case as case reports show it.

The context is assembled from the same API the CLI uses (summary, rules, kinetics, figures); this
module only arranges it. Every number carries its definition.
"""

from __future__ import annotations

import warnings
from typing import Any

from remission.exceptions import InputError, RemissionError
from remission.figures.kinetics import plot_kinetic_profile
from remission.figures.labs import plot_burden, plot_labs
from remission.figures.timeline import plot_timeline, timeline_data
from remission.kinetics import fit_stein, nca
from remission.kinetics.from_case import car_t_series, profile_from_series
from remission.model import Case, CaseSummary, ToxicityEpisode, load_vocabulary
from remission.model.events import EVENT_LABELS, event_time
from remission.report.render import figure_data_uri, render
from remission.rules import (
    case_responses,
    duration_of_response,
    event_free_survival,
    grade_case,
    overall_survival,
    relapse_free_survival,
    summarize,
)

__all__ = ["OUTCOME_DEFINITIONS", "case_report_context", "kinetics_panels", "render_case_report"]

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
    from remission.report.render import _fmt

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


def kinetics_panels(case: Case, *, figures: bool = True) -> list[dict[str, Any]]:
    """One panel per CAR-T series: NCA figures, the Stein 2019 fit (with its caveats) and, when
    ``figures`` is true, the profile plot as a PNG data URI (the web page draws it separately)."""
    out = []
    for series in car_t_series(case):
        entry: dict[str, Any] = {
            "title": f"{load_vocabulary('analytes').get(series.analyte).label} "
            f"({series.specimen}, series {series.id})",
            "png": None,
            "fit": None,
            "metrics": [],
            "method": "",
            "notes": [],
        }
        try:
            profile = profile_from_series(case, series.id)
            result = nca(profile)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    fit = fit_stein(profile)
                except InputError as exc:
                    fit = None
                    entry["notes"].append(f"Stein 2019 model not fitted: {exc}")
            entry["notes"] += [str(w.message) for w in caught]
            entry["fit"] = fit
            if figures:
                entry["png"] = figure_data_uri(
                    plot_kinetic_profile(profile, fit=fit, nca_result=result)
                )
            metrics = result.to_dict()["metrics"]
            for m in metrics.values():
                value = "—" if m["value"] is None else f"{m['value']:.4g} {m['unit']}".strip()
                entry["metrics"].append({"label": m["label"], "value": value})
            entry["method"] = "NCA: " + result.method_text
        except InputError as exc:
            entry["notes"].append(f"cannot be analysed: {exc}")
        out.append(entry)
    return out


def case_report_context(
    case: Case, *, version_line: str = "", day0: str | None = None, figures: bool = True
) -> dict[str, Any]:
    """Everything the case page shows, as plain data. ``day0``: the timeline's day 0 (an event id
    or ``diagnosis``; default the first index therapy). ``figures=False`` leaves out the figures
    and the kinetics panels (drawing and model fitting take most of the time; the web app serves
    them as separate image routes)."""
    summary = summarize(case)
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
    grading = grade_case(case)
    notes = list(grading.notes)
    return {
        "case": case,
        "status_line": f"{'Draft, not reviewed' if case.status == 'draft' else 'Final'}. {version_line}".strip(),
        "patient_line": f"{p.sex or 'sex not stated'}, {age}",
        "diagnosis_line": ", ".join(diag) + (f"; diagnosed {d.date}" if d.date else ""),
        "index_line": ", ".join(f"{e.id} ({EVENT_LABELS[e.type]})" for e in case.index_events())
        or "none",
        "summary_rows": _summary_rows(summary),
        "timeline_png": figure_data_uri(plot_timeline(case, day0)) if figures else None,
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
        "burden_png": figure_data_uri(plot_burden(case)) if figures else None,
        "outcomes": _outcomes(case),
        "kinetics": kinetics_panels(case) if figures else [],
        "labs_png": figure_data_uri(plot_labs(case)) if figures else None,
        "notes": notes,
    }


def render_case_report(case: Case, *, version_line: str = "", day0: str | None = None) -> str:
    """The case report as one self-contained HTML document."""
    return render("case.html", **case_report_context(case, version_line=version_line, day0=day0))
