"""Case entry and editing: a YAML editor validated as you type, and a short "new case" form.

Validation is :func:`remission.casefile.parse_document_text`, the function behind
``remission validate``, so the editor shows the very messages the CLI prints (``line: field:
what is wrong``). A save carries the version the edit started from (``expected_version``); if
someone saved the case in the meantime the store refuses (:class:`VersionConflictError`), the
page says so, keeps the user's text and shows what changed - nothing is overwritten silently.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from remission.api import export_document, record_for, summarize_document
from remission.casefile import Document, document_from_data, dump_document, parse_document_text
from remission.exceptions import (
    CaseNotFoundError,
    InputError,
    Problem,
    StoreError,
    VersionConflictError,
)
from remission.model import Case, load_vocabulary
from remission.web.deps import page_editor
from remission.web.pages._common import (
    error_page,
    form_float,
    form_int,
    form_text,
    in_thread,
    is_htmx,
    problem_lines,
    read_form,
    store_of,
    username_of,
)
from remission.web.pages.cases import text_diff
from remission.web.templating import render

__all__ = [
    "EDITOR_SOURCE",
    "QUICK_FIELDS",
    "quick_case_data",
    "router",
    "save_text",
    "validate_text",
]

router = APIRouter(dependencies=[Depends(page_editor)])

#: How problems name the text being edited (the CLI names the file).
EDITOR_SOURCE = "editor"

#: Ids the pages cannot show at /cases/<id> (the new-case editor lives at /cases/new).
RESERVED_IDS = frozenset({"new"})

#: Longest reason a save may carry.
MAX_REASON = 500

STARTER = """\
schema_version: 1
kind: case
id: new-case-001
patient:
  sex: female
  age: {value: 34, unit: years, at: diagnosis}
diagnosis:
  disease: B-ALL
  date: 2021-03
  ph_positive: false
timeline:
  - id: car1
    type: car_t_infusion
    date: 2022-05-10
    product: tisagenlecleucel
"""

QUICK_FIELDS = (
    "case_id",
    "sex",
    "age_years",
    "disease",
    "ph_positive",
    "diagnosis_date",
    "car_t_date",
    "product",
)


def validate_text(text: str) -> tuple[Document | None, list[str]]:
    """Parse and validate case-file text: the document, or the problems as the CLI prints them."""
    if not text.strip():
        return None, [str(Problem("the case file is empty", EDITOR_SOURCE))]
    try:
        return parse_document_text(text, EDITOR_SOURCE), []
    except InputError as exc:
        return None, problem_lines(exc.problems)


def _validation_context(text: str) -> dict[str, Any]:
    doc, problems = validate_text(text)
    summary = None
    if doc is not None:
        s = summarize_document(doc).model_dump(mode="json", by_alias=True)
        keys = (
            ("relapse_count", "crs_max_grade", "icans_max_grade", "response", "follow_up_months")
            if isinstance(doc, Case)
            else ("n_patients", "median_age_years", "n_complete_response")
        )
        summary = {k: s.get(k) for k in keys}
    return {
        "doc": doc,
        "check_problems": problems,
        "summary": summary,
        "events": len(doc.timeline) if isinstance(doc, Case) else None,
    }


@router.post("/cases/validate", response_class=HTMLResponse, name="case_validate")
async def case_validate(request: Request) -> HTMLResponse:
    """The validation panel for the editor's current text (HTMX, on every pause in typing)."""
    form = await read_form(request)
    try:
        text = form_text(form, "yaml")
    except InputError as exc:
        return render(
            request,
            "cases/_validation.html",
            {
                "doc": None,
                "check_problems": problem_lines(exc.problems),
                "summary": None,
                "events": None,
            },
        )
    context = await in_thread(_validation_context, text)
    return render(request, "cases/_validation.html", context)


# -- the short "new case" form -----------------------------------------------------------------


def _products() -> list[tuple[str, str]]:
    vocab = load_vocabulary("car_t_products")
    return [(term_id, vocab.get(term_id).label) for term_id in vocab.ids]


def quick_case_data(form: FormData) -> dict[str, Any]:
    """A minimal case document from the short form (validated afterwards like any case file)."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "kind": "case",
        "id": form_text(form, "case_id", limit=200).strip(),
    }
    patient: dict[str, Any] = {}
    sex = form_text(form, "sex", limit=20).strip()
    if sex:
        patient["sex"] = sex
    age = form_float(form, "age_years")
    if age is not None:
        patient["age"] = {"value": age, "unit": "years", "at": "diagnosis"}
    if patient:
        data["patient"] = patient
    diagnosis: dict[str, Any] = {"disease": form_text(form, "disease", limit=20).strip() or "B-ALL"}
    date = form_text(form, "diagnosis_date", limit=40).strip()
    if date:
        diagnosis["date"] = date
    ph = form_text(form, "ph_positive", limit=10).strip()
    if ph in ("true", "false"):
        diagnosis["ph_positive"] = ph == "true"
    data["diagnosis"] = diagnosis
    car_date = form_text(form, "car_t_date", limit=40).strip()
    product = form_text(form, "product", limit=80).strip()
    if car_date or product:
        infusion: dict[str, Any] = {
            "id": "car1",
            "type": "car_t_infusion",
            "product": product or "investigational",
        }
        if car_date:
            infusion["date"] = car_date
        data["timeline"] = [infusion]
    return data


@router.post("/cases/new/quick", response_class=HTMLResponse, name="case_quick")
async def case_quick(request: Request) -> HTMLResponse:
    """Turn the short form into a case file in the editor (nothing is saved yet)."""
    form = await read_form(request)
    values = {name: form_text(form, name, limit=200) for name in QUICK_FIELDS}
    problems: list[str] = []
    text = ""
    try:
        data = quick_case_data(form)
        doc = document_from_data(data, "new-case form")
        text = dump_document(doc)
    except InputError as exc:
        problems = problem_lines(exc.problems)
    context = _editor_context(
        mode="new", text=text or STARTER, expected_version=0, quick=values, quick_problems=problems
    )
    if not problems:
        context.update(await in_thread(_validation_context, text))
    return render(request, "cases/edit.html", context, status_code=422 if problems else 200)


# -- the editor --------------------------------------------------------------------------------


def _editor_context(
    *,
    mode: str,
    text: str,
    expected_version: int,
    case_id: str | None = None,
    reason: str = "",
    problems: list[str] | None = None,
    conflict: dict[str, Any] | None = None,
    quick: dict[str, str] | None = None,
    quick_problems: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "mode": mode,
        "text": text,
        "expected_version": expected_version,
        "case_id": case_id,
        "reason": reason,
        "problems": problems or [],
        "conflict": conflict,
        "quick": quick or {},
        "quick_problems": quick_problems or [],
        "products": _products(),
        "doc": None,
        "check_problems": [],
        "summary": None,
        "events": None,
    }


@router.get("/cases/new", response_class=HTMLResponse, name="case_new")
def case_new(request: Request) -> HTMLResponse:
    context = _editor_context(mode="new", text=STARTER, expected_version=0)
    context.update(_validation_context(STARTER))
    return render(request, "cases/edit.html", context)


@router.get("/cases/{case_id}/edit", response_class=HTMLResponse, name="case_edit")
def case_edit(request: Request, case_id: str) -> HTMLResponse:
    store = store_of(request)
    try:
        record = store.get(case_id)
        text = export_document(store, case_id, record.version)
    except CaseNotFoundError as exc:
        return error_page(request, 404, "Not found", str(exc))
    except InputError as exc:
        return error_page(request, 422, "This case cannot be read", str(exc))
    context = _editor_context(
        mode="edit", text=text, expected_version=record.version, case_id=case_id
    )
    context.update(_validation_context(text))
    return render(request, "cases/edit.html", context)


def save_text(
    request: Request, text: str, *, case_id: str | None, expected_version: int, reason: str
) -> Response:
    """Validate and save; the editor again (422 problems, 409 conflict) or a redirect to the case."""
    mode = "new" if case_id is None else "edit"
    checked = _validation_context(text)
    doc: Document | None = checked["doc"]
    problems: list[str] = list(checked["check_problems"])
    if doc is not None and case_id is not None and doc.id != case_id:
        problems = [
            str(
                Problem(
                    f"the id was changed from {case_id!r} to {doc.id!r}; a case keeps its id "
                    "(enter a new case to use another id)",
                    EDITOR_SOURCE,
                    field="id",
                )
            )
        ]
    if doc is not None and case_id is None and doc.id in RESERVED_IDS:
        problems = [
            str(
                Problem(
                    f"the id {doc.id!r} names a page of the web app (/cases/{doc.id}); choose "
                    "another id",
                    EDITOR_SOURCE,
                    field="id",
                )
            )
        ]
    if doc is None or problems:
        context = _editor_context(
            mode=mode,
            text=text,
            expected_version=expected_version,
            case_id=case_id,
            reason=reason,
            problems=problems,
        )
        context.update(checked)
        return render(request, "cases/edit.html", context, status_code=422)
    store = store_of(request)
    try:
        store.save(
            record_for(doc),
            author=username_of(request),
            reason=reason
            or ("entered in the web app" if mode == "new" else "edited in the web app"),
            expected_version=expected_version,
        )
    except VersionConflictError as exc:
        conflict: dict[str, Any] = {
            "message": str(exc),
            "id": doc.id,
            "current": None,
            "lines": [],
        }
        try:
            current = store.get(doc.id)
            conflict["current"] = current.version
            conflict["author"] = current.author
            conflict["when"] = current.created_at.strftime("%Y-%m-%d %H:%M UTC")
            conflict["lines"] = text_diff(
                export_document(store, doc.id, current.version),
                text,
                f"version {current.version} (saved)",
                "your text",
            )
        except (CaseNotFoundError, InputError):
            pass
        context = _editor_context(
            mode=mode,
            text=text,
            expected_version=expected_version,
            case_id=case_id,
            reason=reason,
            conflict=conflict,
        )
        context.update(checked)
        return render(request, "cases/edit.html", context, status_code=409)
    except StoreError as exc:
        context = _editor_context(
            mode=mode,
            text=text,
            expected_version=expected_version,
            case_id=case_id,
            reason=reason,
            problems=[str(exc)],
        )
        return render(request, "cases/edit.html", context, status_code=503)
    target = f"/cases/{doc.id}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _expected(form: FormData, default: int) -> int | InputError:
    try:
        override = form_int(form, "override_version")
        expected = form_int(form, "expected_version")
    except InputError as exc:
        return exc
    if override is not None:
        return override
    return default if expected is None else expected


async def _save_from_form(request: Request, case_id: str | None) -> Response:
    form = await read_form(request)
    try:
        text = form_text(form, "yaml")
        reason = form_text(form, "reason", limit=MAX_REASON).strip()
    except InputError as exc:
        return error_page(request, 413, "Too long", "; ".join(problem_lines(exc.problems)))
    expected = _expected(form, 0)
    if isinstance(expected, InputError):
        return error_page(request, 400, "Bad form", "; ".join(problem_lines(expected.problems)))
    if case_id is None:
        expected = 0
    return await in_thread(
        save_text, request, text, case_id=case_id, expected_version=expected, reason=reason
    )


@router.post("/cases/new", name="case_create")
async def case_create(request: Request) -> Response:
    return await _save_from_form(request, None)


@router.post("/cases/{case_id}/edit", name="case_save")
async def case_save(request: Request, case_id: str) -> Response:
    return await _save_from_form(request, case_id)
