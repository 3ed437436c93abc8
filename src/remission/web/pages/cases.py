"""The case list (search and filters) and the case page (what a case report shows, live).

The case page shows :func:`remission.report.case_data.case_report_data` (the same summary,
derived grades with their drivers, responses and intervals as the HTML report), which the store
keeps beside each version from the moment it is saved, so showing a case derives nothing and
does not even validate the document; versions without it (saved by another remission version)
are derived when shown. Figures are separate image routes (:mod:`remission.web.pages.figures`)
and the CAR-T kinetics panel (model fitting takes a while) comes as an HTMX fragment once the
page is shown. Each worker also keeps the context of the case versions viewed last (a stored
version never changes), so a repeated view costs one history query and the template.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from remission.api import export_document, summarize_document
from remission.exceptions import CaseNotFoundError
from remission.kinetics.from_case import car_t_series
from remission.model import Case
from remission.report.case_data import case_report_data, report_is_current
from remission.report.case_report import kinetics_panels, render_case_report
from remission.search import search_cases
from remission.store import StoredRecord, VersionInfo
from remission.web.deps import page_user
from remission.web.diffs import version_diff
from remission.web.pages._common import (
    attachment,
    document_of,
    error_page,
    is_htmx,
    load_document,
    load_record,
    quiet_warnings,
    store_of,
    warnings_held,
)
from remission.web.pages.filters import (
    describe_filters,
    filter_fields,
    filter_query,
    parse_filter,
)
from remission.web.templating import render

__all__ = ["router", "tagged_lines", "text_diff"]

router = APIRouter(dependencies=[Depends(page_user)])

PAGE_SIZE = 50


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/cases", status_code=303)


_CLASS_LABELS = {
    "car_t": "CAR-T",
    "bispecific": "bispecific",
    "antibody_drug_conjugate": "ADC",
    "tki": "TKI",
    "chemotherapy": "chemotherapy",
    "hsct": "HSCT",
    "other": "other",
}


def _therapy_text(therapy: dict[str, Any]) -> str:
    """ "CAR-T tisagenlecleucel (CD19)" from one index-therapy entry of a summary."""
    parts = [_CLASS_LABELS.get(str(therapy.get("class")), str(therapy.get("class") or ""))]
    if therapy.get("agent"):
        parts.append(str(therapy["agent"]).replace("_", " "))
    if therapy.get("target"):
        parts.append(f"({therapy['target']})")
    return " ".join(p for p in parts if p)


def _row(item: Any) -> dict[str, Any]:
    s = item.summary or {}
    therapies = [t for t in s.get("index_therapies") or [] if isinstance(t, dict)]
    therapy = "; ".join(_therapy_text(t) for t in therapies)
    if item.kind == "cohort":
        therapy = therapy or "aggregate series"
    return {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "version": item.version,
        "updated": item.updated_at.strftime("%Y-%m-%d %H:%M"),
        "age": s.get("age_years") if item.kind == "case" else s.get("median_age_years"),
        "sex": s.get("sex"),
        "ph": s.get("ph_positive"),
        "therapy": therapy,
        "response": s.get("response"),
        "crs": s.get("crs_max_grade"),
        "icans": s.get("icans_max_grade"),
        "cns": s.get("cns_involvement"),
        "sites": ", ".join(s.get("extramedullary_sites") or []),
        "n": s.get("n_patients"),
    }


@router.get("/cases", response_class=HTMLResponse, name="case_list")
def case_list(request: Request) -> HTMLResponse:
    """Stored cases, filtered; HTMX asks for the results table only."""
    params = dict(request.query_params)
    try:
        page_no = max(1, int(params.get("page", "1") or "1"))
    except ValueError:
        page_no = 1
    case_filter, values, problems = parse_filter(params, limit=PAGE_SIZE)
    case_filter = case_filter.model_copy(update={"offset": (page_no - 1) * PAGE_SIZE})
    result = search_cases(store_of(request), case_filter)
    pages = max(1, -(-result.total // PAGE_SIZE))
    context = {
        "rows": [_row(item) for item in result.items],
        "total": result.total,
        "page": page_no,
        "pages": pages,
        "values": values,
        "q": values.get("q", ""),
        "fields": filter_fields(values),
        "problems": problems,
        "prev_query": filter_query(values, page=page_no - 1) if page_no > 1 else None,
        "next_query": filter_query(values, page=page_no + 1) if page_no < pages else None,
        "query": filter_query(values),
        "described": describe_filters(values),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "cases/_results.html", context)
    return render(request, "cases/list.html", context)


def _history_rows(versions: list[VersionInfo]) -> list[dict[str, Any]]:
    return [
        {
            "version": v.version,
            "status": v.status,
            "author": v.author,
            "reason": v.reason,
            "when": v.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
        for v in reversed(versions)
    ]


@dataclass(frozen=True, slots=True)
class _CaseView:
    """What the case page shows of one stored version, computed once (versions never change)."""

    record: StoredRecord
    context: dict[str, Any]  # the report data (a Case) or the document and summary (a cohort)


_views: OrderedDict[tuple[str, str, int], _CaseView] = OrderedDict()
_views_lock = threading.Lock()
VIEW_CACHE_SIZE = 256
"""Case versions whose page context each worker keeps (a few hundred kB each at most)."""


def _view_of(request: Request, record: StoredRecord) -> _CaseView | HTMLResponse:
    """The page context of a stored version: the report data saved with it when it is of this
    remission version (nothing to derive or even validate), else derived from the document."""
    if record.kind == "case" and report_is_current(record.report):
        return _CaseView(record, cast(dict[str, Any], record.report))
    doc = document_of(request, record)
    if isinstance(doc, HTMLResponse):
        return doc
    if not isinstance(doc, Case):
        summary = summarize_document(doc).model_dump(mode="json", by_alias=True)
        return _CaseView(record, {"doc": doc, "summary": summary})
    return _CaseView(record, case_report_data(doc))


def _case_view(request: Request, case_id: str, version: int) -> _CaseView | HTMLResponse:
    """The page context of ``version`` of ``case_id``: from the cache, else loaded (and derived
    when the store has no current report data for it).

    Keyed by (store, id, version): a stored version is immutable, so an entry never goes stale;
    a new save is a new version and so a new key. Least recently used entries go first.
    """
    key = (store_of(request).url, case_id, version)
    with _views_lock:
        view = _views.get(key)
        if view is not None:
            _views.move_to_end(key)
            return view
    record = load_record(request, case_id, version)
    if isinstance(record, HTMLResponse):
        return record
    found = _view_of(request, record)
    if isinstance(found, HTMLResponse):
        return found
    with _views_lock:
        _views[key] = found
        while len(_views) > VIEW_CACHE_SIZE:
            _views.popitem(last=False)
    return found


@router.get("/cases/{case_id}", response_class=HTMLResponse, name="case_page")
def case_page(request: Request, case_id: str, version: int | None = None) -> HTMLResponse:
    """One case: summary, timeline, toxicity, responses, intervals, kinetics, history."""
    store = store_of(request)
    try:
        versions = store.history(case_id)
    except CaseNotFoundError as exc:
        return error_page(request, 404, "Not found", str(exc))
    current = versions[-1].version
    wanted = current if version is None else version
    if not any(v.version == wanted for v in versions):
        found = load_document(request, case_id, wanted)  # the store's own "no version" page
        if not isinstance(found, tuple):
            return found
    view = _case_view(request, case_id, wanted)
    if not isinstance(view, _CaseView):
        return view
    record = replace(view.record, current_version=current)
    line = (
        f"Version {record.version} of {record.current_version}, saved "
        f"{record.created_at.strftime('%Y-%m-%d %H:%M UTC')} by {record.author} ({record.reason})."
    )
    common = {
        "record": record,
        "history": _history_rows(versions),
        "latest": record.version == record.current_version,
        "version_line": line,
    }
    if record.kind != "case":
        return render(request, "cases/aggregate.html", {**common, **view.context})
    status = "Draft, not reviewed" if record.status == "draft" else "Final"
    ctx = {**view.context, **common, "status_line": f"{status}. {line}"}
    return render(request, "cases/case.html", ctx)


# -- the kinetics panel (fitted once per version) ----------------------------------------------

_kinetics_cache: OrderedDict[tuple[str, str, int], list[dict[str, Any]]] = OrderedDict()
_kinetics_lock = threading.Lock()


def _panels(store_url: str, case: Case, version: int) -> list[dict[str, Any]]:
    key = (store_url, case.id, version)
    with _kinetics_lock:
        if key in _kinetics_cache:
            _kinetics_cache.move_to_end(key)
            return _kinetics_cache[key]
    with warnings_held():  # kinetics_panels records the fit's caveats with catch_warnings
        panels = kinetics_panels(case, figures=False)
    with _kinetics_lock:
        _kinetics_cache[key] = panels
        while len(_kinetics_cache) > 128:
            _kinetics_cache.popitem(last=False)
    return panels


@router.get("/cases/{case_id}/kinetics", response_class=HTMLResponse, name="case_kinetics")
def case_kinetics(request: Request, case_id: str, version: int | None = None) -> HTMLResponse:
    """The CAR-T kinetics panel: NCA figures and the fitted Stein 2019 model, per series."""
    found = load_document(request, case_id, version)
    if not isinstance(found, tuple):
        return found
    doc, record = found
    if not isinstance(doc, Case):
        return error_page(request, 404, "Not found", f"{case_id} is a cohort aggregate")
    panels = _panels(store_of(request).url, doc, record.version)
    series_ids = [s.id for s in car_t_series(doc)]
    rows = []
    for sid, panel in zip(series_ids, panels, strict=False):
        fit = panel.get("fit")
        rows.append(
            {
                **panel,
                "series_id": sid,
                "estimates": [e.to_dict() for e in fit.estimates] if fit is not None else [],
                "fit_method": fit.method if fit is not None else "",
                "fit_notes": list(fit.notes) if fit is not None else [],
            }
        )
    name = "cases/_kinetics.html" if is_htmx(request) else "cases/kinetics.html"
    return render(request, name, {"panels": rows, "case_id": case_id, "version": record.version})


# -- versions ----------------------------------------------------------------------------------


def tagged_lines(unified: str) -> list[dict[str, str]]:
    """A unified diff's lines tagged head / hunk / add / del / same (for colouring)."""
    lines = []
    for line in unified.splitlines():
        if line.startswith(("+++", "---")):
            kind = "head"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        lines.append({"kind": kind, "text": line})
    return lines


def text_diff(old_text: str, new_text: str, old_label: str, new_label: str) -> list[dict[str, str]]:
    """Two texts compared line by line (the saved case file and a user's unsaved text)."""
    unified = "\n".join(
        difflib.unified_diff(
            old_text.splitlines(), new_text.splitlines(), old_label, new_label, lineterm=""
        )
    )
    return tagged_lines(unified)


@router.get("/cases/{case_id}/diff", response_class=HTMLResponse, name="case_diff")
def case_diff(
    request: Request, case_id: str, a: int | None = None, b: int | None = None
) -> HTMLResponse:
    """What changed between two versions (default: the last two): field by field and as a diff
    of the YAML export (:func:`remission.web.diffs.version_diff`)."""
    store = store_of(request)
    try:
        versions = [v.version for v in store.history(case_id)]
    except CaseNotFoundError as exc:
        return error_page(request, 404, "Not found", str(exc))
    newest = versions[-1]
    b = newest if b is None else b
    a = max(1, b - 1) if a is None else a
    for v in (a, b):
        if v not in versions:
            return error_page(
                request, 404, "Not found", f"{case_id} has no version {v} (versions 1 to {newest})"
            )
    diff = version_diff(store, case_id, a, b)
    context = {
        "case_id": case_id,
        "a": a,
        "b": b,
        "changes": [
            {
                "path": c.path,
                "change": c.change,
                "before": _short(c.before),
                "after": _short(c.after),
            }
            for c in diff.changes
        ],
        "lines": tagged_lines(diff.unified),
    }
    if is_htmx(request):
        return render(request, "cases/_diff.html", context)
    return render(request, "cases/diff.html", context)


def _short(value: Any, limit: int = 160) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- downloads ---------------------------------------------------------------------------------


@router.get("/cases/{case_id}/report.html", name="case_report_download")
def case_report_download(request: Request, case_id: str, version: int | None = None) -> Response:
    """The self-contained HTML case report (the same file as ``remission report``)."""
    found = load_document(request, case_id, version)
    if not isinstance(found, tuple):
        return found
    doc, record = found
    if not isinstance(doc, Case):
        return error_page(request, 404, "Not found", f"{case_id} is a cohort aggregate")
    line = (
        f"Version {record.version}, saved {record.created_at.strftime('%Y-%m-%d %H:%M UTC')} "
        f"by {record.author}."
    )
    with quiet_warnings():
        html = render_case_report(doc, version_line=line)
    return attachment(html, f"{case_id}-v{record.version}.html", "text/html; charset=utf-8")


@router.get("/cases/{case_id}/export.yaml", name="case_yaml_download")
def case_yaml_download(request: Request, case_id: str, version: int | None = None) -> Response:
    """The case file (YAML) of a version, as ``remission export`` writes it."""
    try:
        text = export_document(store_of(request), case_id, version)
    except CaseNotFoundError as exc:
        return error_page(request, 404, "Not found", str(exc))
    suffix = f"-v{version}" if version else ""
    return attachment(text, f"{case_id}{suffix}.yaml", "application/yaml; charset=utf-8")
