"""Extraction pages: a report's text in, stored drafts out, and the review of a draft.

``/extract`` reads pasted text or an uploaded ``.txt`` file, runs the rule-based extractor and
stores a draft case per patient (:mod:`remission.evidence.api`: ``extract_texts``,
``drafts_for``, ``save_drafts``). ``/drafts/{id}/review`` shows the report text with every
evidence span highlighted (``<mark>`` elements with ids) beside the draft's values; each value is
accepted, edited or rejected through HTMX (:func:`remission.evidence.api.review_value`, which
applies :func:`remission.evidence.review.decide` and saves a version checked against the one
the reviewer saw), and a draft with nothing pending is finalised into an ordinary case.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from remission.evidence.api import (
    MAX_TEXT_BYTES,
    ReportText,
    accept_all_values,
    drafts_for,
    extract_texts,
    finalize_draft,
    get_extractor,
    read_report,
    review_value,
    save_drafts,
    text_warnings,
)
from remission.evidence.evaluate import Extractor
from remission.evidence.review import ACTIONS
from remission.exceptions import (
    InputError,
    Problem,
    StoreError,
    VersionConflictError,
)
from remission.model import Case
from remission.report.render import _fmt
from remission.web.deps import page_editor
from remission.web.pages._common import (
    error_page,
    form_int,
    form_text,
    in_thread,
    is_htmx,
    load_document,
    problem_lines,
    store_of,
    username_of,
)
from remission.web.templating import render

__all__ = ["highlighted_segments", "parse_edited_value", "router"]

router = APIRouter(dependencies=[Depends(page_editor)])

#: Content types a report text upload may declare (browsers often send octet-stream).
TEXT_TYPES = frozenset({"text/plain", "application/octet-stream", ""})

_extractor_lock = threading.Lock()


@cache
def _rules_extractor() -> Extractor:
    """The rule-based extractor, built once per process (loading its pipeline takes a while)."""
    return get_extractor("rules")


# -- extraction ----------------------------------------------------------------------------------


def _extract_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    base: dict[str, Any] = {
        "problems": [],
        "warnings": [],
        "drafts": [],
        "text": "",
        "label": "",
        "max_mb": f"{MAX_TEXT_BYTES / 1e6:g}",
    }
    return render(request, "review/extract.html", {**base, **context}, status_code=status)


@router.get("/extract", response_class=HTMLResponse, name="extract_page")
def extract_page(request: Request) -> HTMLResponse:
    return _extract_page(request)


async def _report_from_form(form: FormData) -> ReportText:
    """The report text of the form: an uploaded .txt file, else the pasted text."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        name = upload.filename
        if any(c in name for c in "/\\") or ".." in name or not name.lower().endswith(".txt"):
            raise InputError(
                Problem("upload a plain .txt file (a file name, not a path)", name[:200])
            )
        declared = (upload.content_type or "").split(";")[0].strip().lower()
        if declared not in TEXT_TYPES:
            raise InputError(Problem(f"a report text is plain text, not {declared!r}", name))
        data = await upload.read(MAX_TEXT_BYTES + 1)
        if len(data) > MAX_TEXT_BYTES:
            raise InputError(Problem(f"the file is larger than {MAX_TEXT_BYTES / 1e6:g} MB", name))
        with tempfile.TemporaryDirectory(prefix="remission-report-") as folder:
            path = Path(folder) / Path(name).name
            path.write_bytes(data)
            report = read_report(path)
        return ReportText(name, report.text, report.warnings)
    text = form_text(form, "text", limit=MAX_TEXT_BYTES)
    label = form_text(form, "label", limit=100).strip() or "pasted-report"
    if not text.strip():
        raise InputError(Problem("paste the report's text or choose a .txt file", field="text"))
    return ReportText(f"{label}.txt", text, tuple(text_warnings(text)))


def _extract_and_save(
    request: Request, report: ReportText
) -> tuple[list[dict[str, Any]], list[str]]:
    with _extractor_lock:
        (item,) = extract_texts([report], _rules_extractor())
    drafts = drafts_for(item)
    if not drafts:
        raise InputError(
            Problem("no patient or cohort values were found in this text", report.path)
        )
    store = store_of(request)
    taken = store.existing(d.id for d in drafts)
    if taken:
        raise InputError(
            [
                Problem(
                    f"a draft {doc_id!r} of this very text is already stored: open it from the case "
                    "list (or change the text's name)",
                    report.path,
                )
                for doc_id in sorted(taken)
            ]
        )
    save_drafts(store, drafts, author=username_of(request))
    rows = [
        {
            "id": d.id,
            "kind": d.kind,
            "n_values": len(d.extraction.values) if isinstance(d, Case) and d.extraction else 0,
        }
        for d in drafts
    ]
    return rows, list(item.result.warnings)


@router.post("/extract", response_class=HTMLResponse, name="extract_submit")
async def extract_submit(request: Request) -> HTMLResponse:
    form = await request.form(max_files=2, max_fields=20)
    try:
        text = form_text(form, "text", limit=MAX_TEXT_BYTES)
        label = form_text(form, "label", limit=100)
        try:
            report = await _report_from_form(form)
            drafts, warnings = await in_thread(_extract_and_save, request, report)
        except InputError as exc:
            return _extract_page(
                request, 422, problems=problem_lines(exc.problems), text=text, label=label
            )
        except StoreError as exc:
            return _extract_page(request, 503, problems=[str(exc)], text=text, label=label)
    finally:
        await form.close()
    return _extract_page(request, drafts=drafts, warnings=warnings)


# -- review ---------------------------------------------------------------------------------------


def highlighted_segments(text: str, values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text cut at every evidence span boundary: plain runs and marked runs.

    Each marked run names the value it belongs to (``value``: the value's group id) and whether
    it is a cue (the words that negated or qualified the finding); the first run of each span
    carries the span's element id, so a value can point at its words and back.
    """
    spans: list[tuple[int, int, str, str, bool]] = []  # start, end, group id, span id, is cue
    for group in values:
        for span in group["spans"]:
            spans.append((span["start"], span["end"], group["gid"], span["id"], span["cue"]))
    cuts = sorted({0, len(text), *(s for s, *_ in spans), *(e for _, e, *_ in spans)})
    first_run: dict[str, int] = {}
    segments: list[dict[str, Any]] = []
    for a, b in itertools.pairwise(cuts):
        if a >= b or a >= len(text):
            continue
        covering = [s for s in spans if s[0] <= a and b <= s[1]]
        if not covering:
            segments.append({"text": text[a:b], "mark": False})
            continue
        _, _, gid, span_id, cue = min(covering, key=lambda s: s[1] - s[0])
        ident = None
        if span_id not in first_run:
            first_run[span_id] = a
            ident = span_id
        segments.append({"text": text[a:b], "mark": True, "value": gid, "id": ident, "cue": cue})
    return segments


def _value_text(value: Any) -> str:
    """A value as a reviewer edits it: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _value_display(value: Any) -> str:
    """A value as a reviewer reads it: an index-therapy row as "agent: ...; target: ..."."""
    if isinstance(value, dict):
        return "; ".join(
            f"{k.replace('_', ' ')}: {_fmt(v)}" for k, v in value.items() if v not in (None, [], "")
        )
    return _fmt(value)


def parse_edited_value(text: str) -> Any:
    """What a reviewer typed: JSON when it reads as JSON (``2``, ``true``, ``["cns"]``), else text."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return stripped


def _review_context(case: Case, version: int) -> dict[str, Any]:
    extraction = case.extraction
    assert extraction is not None
    groups: dict[str, dict[str, Any]] = {}
    text = extraction.text or ""
    for v in extraction.values:
        group = groups.get(v.field)
        if group is None:
            gid = f"value-{len(groups) + 1}"
            group = groups[v.field] = {
                "gid": gid,
                "field": v.field,
                "value": v.value,
                "value_text": _value_text(v.value),
                "shown": _value_display(v.value),
                "extracted_shown": _value_display(v.extracted) if v.extracted is not None else "",
                "extracted": v.extracted,
                "status": v.status,
                "reviewer": v.reviewer,
                "note": v.note,
                "match": [],
                "modifiers": [],
                "spans": [],
            }
        for ev in v.evidence:
            group["match"].append(ev.match)
            if ev.modifier:
                group["modifiers"].append(ev.modifier)
            for span in ev.spans:
                if span.end <= len(text):
                    group["spans"].append(
                        {
                            "start": span.start,
                            "end": span.end,
                            "cue": False,
                            "id": f"{group['gid']}-s{len(group['spans']) + 1}",
                            "text": span.text,
                        }
                    )
            if ev.cue is not None and ev.cue.end <= len(text):
                group["spans"].append(
                    {
                        "start": ev.cue.start,
                        "end": ev.cue.end,
                        "cue": True,
                        "id": f"{group['gid']}-s{len(group['spans']) + 1}",
                        "text": ev.cue.text,
                    }
                )
    values = list(groups.values())
    for group in values:
        group["match"] = ", ".join(dict.fromkeys(group["match"]))
        group["modifiers"] = ", ".join(dict.fromkeys(group["modifiers"]))
        group["span_ids"] = " ".join(s["id"] for s in group["spans"])
    pending = sum(1 for g in values if g["status"] == "pending")
    return {
        "case": case,
        "version": version,
        "extraction": extraction,
        "values": values,
        "segments": highlighted_segments(text, values),
        "pending": pending,
        "problems": [],
        "conflict": None,
        "done": None,
    }


def _load_draft(request: Request, doc_id: str) -> tuple[Case, int] | HTMLResponse:
    found = load_document(request, doc_id)
    if not isinstance(found, tuple):
        return found
    doc, record = found
    if not isinstance(doc, Case) or doc.extraction is None:
        return error_page(
            request, 404, "Nothing to review", f"{doc_id} has no extracted values to review"
        )
    return doc, record.version


@router.get("/drafts/{doc_id}/review", response_class=HTMLResponse, name="review_page")
def review_page(request: Request, doc_id: str) -> HTMLResponse:
    found = _load_draft(request, doc_id)
    if not isinstance(found, tuple):
        return found
    case, version = found
    return render(request, "review/page.html", _review_context(case, version))


def _review_answer(request: Request, doc_id: str, status: int = 200, **extra: Any) -> Response:
    """The review panel again (HTMX) or the whole page, at the draft's current version."""
    found = _load_draft(request, doc_id)
    if not isinstance(found, tuple):
        return found
    case, version = found
    context = {**_review_context(case, version), **extra}
    name = "review/_panel.html" if is_htmx(request) else "review/page.html"
    return render(request, name, context, status_code=status)


def _decide(request: Request, doc_id: str, form: FormData) -> Response:
    try:
        field = form_text(form, "field", limit=200)
        action = form_text(form, "action", limit=20)
        note = form_text(form, "note", limit=2000).strip() or None
        expected = form_int(form, "expected_version")
        value = (
            parse_edited_value(form_text(form, "value", limit=20_000)) if action == "edit" else None
        )
    except InputError as exc:
        return _review_answer(request, doc_id, 422, problems=problem_lines(exc.problems))
    if action not in ACTIONS:
        return _review_answer(request, doc_id, 422, problems=[f"unknown action {action[:20]!r}"])
    if expected is None:
        return _review_answer(
            request,
            doc_id,
            422,
            problems=["the form lacks the version it was opened at; reload the page"],
        )
    try:
        review_value(
            store_of(request),
            doc_id,
            field,
            action,  # type: ignore[arg-type]  # checked against ACTIONS above
            value=value,
            reviewer=username_of(request),
            note=note,
            expected_version=expected,
        )
    except VersionConflictError as exc:
        return _review_answer(request, doc_id, 409, conflict=str(exc))
    except InputError as exc:
        return _review_answer(request, doc_id, 422, problems=problem_lines(exc.problems))
    verb = {"accept": "Accepted", "edit": "Changed", "reject": "Rejected"}[action]
    return _review_answer(request, doc_id, done=f"{verb} {field}.")


@router.post("/drafts/{doc_id}/review", name="review_decide")
async def review_decide(request: Request, doc_id: str) -> Response:
    """Accept, edit or reject one value (every value with that field), as a new version."""
    form = await request.form()
    return await in_thread(_decide, request, doc_id, form)


def _accept_all(request: Request, doc_id: str, expected: int | None) -> Response:
    try:
        accept_all_values(
            store_of(request), doc_id, reviewer=username_of(request), expected_version=expected
        )
    except VersionConflictError as exc:
        return _review_answer(request, doc_id, 409, conflict=str(exc))
    except InputError as exc:
        return _review_answer(request, doc_id, 422, problems=problem_lines(exc.problems))
    return _review_answer(request, doc_id, done="Accepted every pending value.")


@router.post("/drafts/{doc_id}/accept-all", name="review_accept_all")
async def review_accept_all(request: Request, doc_id: str) -> Response:
    form = await request.form()
    try:
        expected = form_int(form, "expected_version")
    except InputError as exc:
        return _review_answer(request, doc_id, 422, problems=problem_lines(exc.problems))
    return await in_thread(_accept_all, request, doc_id, expected)


def _finalize(request: Request, doc_id: str, expected: int | None) -> Response:
    try:
        finalize_draft(
            store_of(request), doc_id, reviewer=username_of(request), expected_version=expected
        )
    except VersionConflictError as exc:
        return _review_answer(request, doc_id, 409, conflict=str(exc))
    except InputError as exc:
        return _review_answer(request, doc_id, 422, problems=problem_lines(exc.problems))
    target = f"/cases/{doc_id}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.post("/drafts/{doc_id}/finalize", name="review_finalize")
async def review_finalize(request: Request, doc_id: str) -> Response:
    """The reviewed draft becomes a final case (imported into cohort analyses)."""
    form = await request.form()
    try:
        expected = form_int(form, "expected_version")
    except InputError as exc:
        return _review_answer(request, doc_id, 422, problems=problem_lines(exc.problems))
    return await in_thread(_finalize, request, doc_id, expected)
