"""The cohort page: Table 1, rates with exact CIs, Kaplan–Meier with numbers at risk, swimmer
and subgroups for the cases a filter selects, and the downloads (report, CSV, XLSX).

Everything is :func:`remission.report.cohort_report.cohort_report_context` - the same analysis
(:func:`remission.cohort.analyse_cohort`) and figures as ``remission report --cohort`` - over the
documents :func:`remission.search.matching_ids` selects. Drafts are left out unless asked for.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from remission.api import get_document
from remission.casefile import Document
from remission.exceptions import CaseNotFoundError, CohortError, InputError
from remission.model import Case
from remission.report.cohort_report import cohort_report_context
from remission.report.render import render as render_report
from remission.report.tables import write_csv_tables, write_xlsx_tables
from remission.search import CaseFilter, matching_ids
from remission.web.deps import page_user
from remission.web.pages._common import attachment, error_page, quiet_warnings, store_of
from remission.web.pages.filters import (
    describe_filters,
    filter_fields,
    filter_query,
    parse_filter,
)
from remission.web.templating import render

__all__ = ["MAX_COHORT", "analysis_cache", "cohort_documents", "router"]

router = APIRouter(dependencies=[Depends(page_user)])

#: Most documents one page analyses (a larger cohort: ``remission report --cohort``).
MAX_COHORT = 1000


def _cohort_filter(request: Request) -> tuple[CaseFilter, dict[str, str], list[str]]:
    params = dict(request.query_params)
    params.setdefault("status", "final")  # unreviewed drafts stay out unless asked for
    case_filter, values, problems = parse_filter(params)
    return case_filter, values, problems


def cohort_documents(
    request: Request, case_filter: CaseFilter
) -> tuple[list[Document], list[str], tuple[tuple[str, int], ...]]:
    """The documents a filter selects (at most :data:`MAX_COHORT`), what was left out, and the
    ``(id, version)`` of each document read (the analysis cache key)."""
    store = store_of(request)
    ids = list(matching_ids(store, case_filter))
    notes = []
    if len(ids) > MAX_COHORT:
        notes.append(
            f"{len(ids)} documents match; the page analyses the first {MAX_COHORT} "
            "(narrow the filter, or run `remission report --cohort` for all of them)"
        )
        ids = ids[:MAX_COHORT]
    docs: list[Document] = []
    versions: list[tuple[str, int]] = []
    for doc_id in ids:
        try:
            doc, record = get_document(store, doc_id)
        except (CaseNotFoundError, InputError) as exc:
            notes.append(f"{doc_id} left out: {exc}")
            continue
        docs.append(doc)
        versions.append((doc_id, record.version))
    return docs, notes, tuple(versions)


class _AnalysisCache:
    """The last few cohort analyses, keyed by store, filter and the exact versions analysed:
    the page and its report download share one analysis, and a changed case makes a new key."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def context(
        self,
        store_url: str,
        case_filter: CaseFilter,
        docs: list[Document],
        versions: tuple[tuple[str, int], ...],
    ) -> dict[str, Any]:
        filter_text = case_filter.describe(default="")
        key = (store_url, filter_text, versions)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        with quiet_warnings():  # the analysis keeps its caveats in the report itself
            context = cohort_report_context(docs, title="Cohort report", filter_text=filter_text)
        with self._lock:
            self._items[key] = context
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return context


analysis_cache = _AnalysisCache()


_STYLE_ATTRIBUTE = re.compile(r'\s+style="[^"]*"')


def _without_inline_styles(context: dict[str, Any]) -> dict[str, Any]:
    """pandas' ``to_html`` writes ``style="text-align: right;"`` on header rows; the page's
    Content-Security-Policy refuses inline styles, so they are removed (app.css aligns)."""
    out = dict(context)
    for key, value in context.items():
        if key.endswith("_html") and isinstance(value, str):
            out[key] = _STYLE_ATTRIBUTE.sub("", value)
    out["survival"] = [
        {**row, "risk_html": _STYLE_ATTRIBUTE.sub("", row["risk_html"])}
        for row in context.get("survival", [])
    ]
    return out


@router.get("/cohort", response_class=HTMLResponse, name="cohort_page")
def cohort_page(request: Request) -> HTMLResponse:
    case_filter, values, problems = _cohort_filter(request)
    docs, notes, versions = cohort_documents(request, case_filter)
    context: dict[str, Any] = {
        "values": values,
        "fields": filter_fields(values),
        "problems": problems,
        "notes": notes,
        "query": filter_query(values),
        "described": describe_filters(values) or "all stored documents",
        "n_docs": len(docs),
        "report": None,
    }
    if docs:
        try:
            context["report"] = _without_inline_styles(
                analysis_cache.context(store_of(request).url, case_filter, docs, versions)
            )
        except CohortError as exc:
            context["problems"] = [*problems, str(exc)]
    return render(request, "cohort/page.html", context)


@router.get("/cohort/report.html", name="cohort_report_download")
def cohort_report_download(request: Request) -> Response:
    """The self-contained cohort report (as ``remission report --cohort`` writes it)."""
    case_filter, _, _ = _cohort_filter(request)
    docs, _, versions = cohort_documents(request, case_filter)
    if not docs:
        return error_page(request, 404, "No cases", "no stored case matches these filters")
    try:
        context = analysis_cache.context(store_of(request).url, case_filter, docs, versions)
        html = render_report("cohort.html", **context)
    except CohortError as exc:
        return error_page(request, 422, "Cannot analyse", str(exc))
    return attachment(html, "cohort-report.html", "text/html; charset=utf-8")


def _cases(request: Request) -> list[Case]:
    case_filter, _, _ = _cohort_filter(request)
    docs, _, _ = cohort_documents(request, case_filter)
    return [d for d in docs if isinstance(d, Case)]


@router.get("/cohort/tables.zip", name="cohort_tables_csv")
def cohort_tables_csv(request: Request) -> Response:
    """CaseSummary rows, observations and the data dictionary as CSV files in one ZIP."""
    cases = _cases(request)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="remission-csv-") as folder:
        paths = write_csv_tables(cases, Path(folder))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
    return attachment(buffer.getvalue(), "remission-tables.zip", "application/zip")


@router.get("/cohort/tables.xlsx", name="cohort_tables_xlsx")
def cohort_tables_xlsx(request: Request) -> Response:
    """The same tables as one XLSX workbook (a sheet per table)."""
    cases = _cases(request)
    with tempfile.TemporaryDirectory(prefix="remission-xlsx-") as folder:
        path = write_xlsx_tables(cases, Path(folder) / "remission-tables.xlsx")
        data = path.read_bytes()
    return attachment(
        data,
        "remission-tables.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
