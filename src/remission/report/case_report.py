"""The case report: one self-contained HTML page of a case as case reports show it.

The context is assembled from the same API the CLI uses (summary, rules, kinetics, figures); this
module only arranges it. Every number carries its definition.
"""

from __future__ import annotations

import warnings
from typing import Any

from remission.exceptions import InputError
from remission.figures.labs import plot_burden, plot_labs
from remission.figures.timeline import plot_timeline
from remission.kinetics import fit_stein, nca
from remission.kinetics.from_case import car_t_series, profile_from_series
from remission.model import Case, load_vocabulary
from remission.report.case_data import (
    OUTCOME_DEFINITIONS,
    REPORT_DATA_FORMAT,
    case_report_data,
    report_stamp,
)
from remission.report.render import figure_data_uri, render

__all__ = [
    "OUTCOME_DEFINITIONS",
    "REPORT_DATA_FORMAT",
    "case_report_context",
    "case_report_data",
    "kinetics_panels",
    "render_case_report",
    "report_stamp",
]


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
                from remission.figures.kinetics import plot_kinetic_profile  # matplotlib: lazily

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
    """Everything the case report shows: :func:`case_report_data`, the case itself and, when
    ``figures`` is true, the figures as PNG data URIs and the kinetics panels (drawing and model
    fitting take most of the time; the web app serves them as separate image routes)."""
    data = case_report_data(case, day0=day0)
    status = "Draft, not reviewed" if case.status == "draft" else "Final"
    return {
        **data,
        "case": case,
        "status_line": f"{status}. {version_line}".strip(),
        "timeline_png": figure_data_uri(plot_timeline(case, day0)) if figures else None,
        "burden_png": figure_data_uri(plot_burden(case)) if figures else None,
        "kinetics": kinetics_panels(case) if figures else [],
        "labs_png": figure_data_uri(plot_labs(case)) if figures else None,
    }


def render_case_report(case: Case, *, version_line: str = "", day0: str | None = None) -> str:
    """The case report as one self-contained HTML document."""
    return render("case.html", **case_report_context(case, version_line=version_line, day0=day0))
