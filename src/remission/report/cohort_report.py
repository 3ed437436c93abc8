"""The cohort report: Table 1, rates, survival, competing risks, swimmer and subgroups, in one
self-contained HTML page. Every number comes from :func:`remission.cohort.analyse_cohort`; this
module only arranges it (tables are rendered from the same data frames an export writes)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from remission.cohort import RATE_DEFINITIONS, CohortReport, analyse_cohort
from remission.exceptions import EstimationWarning
from remission.figures.survival import plot_forest, plot_kaplan_meier
from remission.figures.swimmer import plot_swimmer
from remission.model import Case, CohortAggregate
from remission.report.render import figure_data_uri, render

__all__ = ["cohort_report_context", "render_cohort_report"]

#: Above this many patients the swimmer plot shows the longest follow-ups only.
SWIMMER_ROWS = 60


def _html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, na_rep="—", border=0, escape=True)


def _survival_rows(report: CohortReport) -> list[dict[str, Any]]:
    rows = []
    for km in report.survival.values():
        landmarks = "; ".join(
            f"{lm.months:g} mo: {lm.estimate * 100:.0f} % ({(lm.ci_lower or 0) * 100:.0f}–{(lm.ci_upper or 0) * 100:.0f})"
            if lm.estimable and lm.estimate is not None
            else f"{lm.months:g} mo: —"
            for lm in km.landmarks
        )
        rows.append(
            {
                "label": km.label,
                "n": km.n,
                "events": km.n_events,
                "median": km.median.text if km.median is not None else (km.reason or "—"),
                "landmarks": landmarks or "—",
                "follow_up": km.follow_up.text if km.follow_up is not None else "—",
                "risk_html": _html(km.risk_frame())
                if km.estimable
                else f"<p class='muted'>{km.reason}</p>",
            }
        )
    return rows


def cohort_report_context(
    documents: Sequence[Case | CohortAggregate],
    *,
    title: str = "Cohort report",
    filter_text: str = "",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Everything the cohort page shows, as plain data and inline figures."""
    step = progress or (lambda _msg: None)
    step("analysing the cohort")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # gathered into report.caveats
        report = analyse_cohort(documents)
    data = report.data
    cases = [d for d in documents if isinstance(d, Case)]
    n_agg = sum(isinstance(d, CohortAggregate) for d in documents)
    step("drawing figures")
    estimable = [km for km in report.survival.values() if km.estimable]
    km_png = figure_data_uri(plot_kaplan_meier(estimable)) if estimable else None
    responses = {r.case_id: r.summary.response for r in data.patients}
    overall = {r.case_id: r.outcomes["OS"] for r in data.patients if "OS" in r.outcomes}
    swimmer_png = (
        figure_data_uri(
            plot_swimmer(cases, max_rows=SWIMMER_ROWS, responses=responses, survival=overall)
        )
        if cases
        else None
    )
    forest_png = (
        figure_data_uri(plot_forest(report.subgroups)) if report.subgroups.comparisons else None
    )
    definitions = {d.name: d.definition for d in RATE_DEFINITIONS}
    rates = [{**r.to_dict(), "definition": definitions.get(r.name, "")} for r in report.rates.rates]
    pooled = []
    for p in report.pooled.rates:
        d = p.to_dict()
        parts = []
        for c in d.get("components", []):
            kind = "aggregate" if c.get("kind") == "aggregate" else "individual"
            status = f"{c['k']}/{c['n']}" if c.get("included") else f"left out: {c.get('reason')}"
            parts.append(f"{c.get('source')} ({kind}): {status}")
        text = (
            d["rate"]["text"]
            if d.get("estimable") and d.get("rate")
            else (d.get("reason") or "not pooled")
        )
        pooled.append(
            {"label": d.get("label", p.name), "text": text, "components": "; ".join(parts)}
        )
    excluded = [
        {"endpoint": ep, "case_id": e.case_id, "reason": e.reason}
        for ep in ("OS", "EFS", "RFS", "DOR")
        for e in data.excluded(ep)
    ]
    step("writing the page")
    subtitle = (
        f"{len(cases)} individual case(s)"
        + (f" and {n_agg} aggregate series" if n_agg else "")
        + (f"; filter: {filter_text}" if filter_text else "")
        + f"; day 0: {data.anchor}."
    )
    return {
        "title": title,
        "subtitle": subtitle,
        "anchor": data.anchor,
        "table1_html": _html(report.table1.display_frame()),
        "rates": rates,
        "pooled": pooled if n_agg else [],
        "km_png": km_png,
        "survival": _survival_rows(report),
        "ci_method": next(iter(report.survival.values())).ci_method if report.survival else "",
        "competing_html": (
            _html(report.competing.landmark_frame())
            if report.competing.estimable
            else f"<p class='muted'>{report.competing.reason}</p>"
        ),
        "swimmer_png": swimmer_png,
        "forest_png": forest_png,
        "subgroups_html": _html(report.subgroups.to_frame()),
        "not_estimable": report.not_estimable(),
        "excluded": excluded,
        "caveats": list(report.caveats),
    }


def render_cohort_report(documents: Sequence[Case | CohortAggregate], **kwargs: Any) -> str:
    """The cohort report as one self-contained HTML document."""
    return render("cohort.html", **cohort_report_context(documents, **kwargs))
