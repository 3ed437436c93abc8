"""Daily toxicity assessment: bedside findings in, the ASTCT 2019 CRS and ICANS grade out as
they are typed, then saved as a new version of the case.

The form only collects findings in the vocabulary of :mod:`remission.model.assessment` (the
bedside calculator's JSON); the grade is :func:`remission.rules.grade_many`, the function behind
``remission grade`` - adult ICE and paediatric CAPD paths, the fever-masking rule, vasopressin
not counted - so nothing clinical is decided here. Saving appends a
:class:`~remission.model.DailyAssessment` and validates the whole case again.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from remission.api import record_for
from remission.casefile import document_from_data
from remission.exceptions import (
    GradingInputError,
    InputError,
    Problem,
    StoreError,
    VersionConflictError,
)
from remission.model import Case
from remission.model.assessment import (
    CONSCIOUSNESS_LEVELS,
    ICP_EDEMA_FINDINGS,
    MOTOR_FINDINGS,
    OXYGEN_DEVICES,
    SEIZURE_FINDINGS,
    VASOPRESSOR_AGENTS,
    GradeResult,
)
from remission.rules import grade_many
from remission.rules.episodes import grade_case
from remission.web.deps import page_editor
from remission.web.pages._common import (
    error_page,
    form_bool,
    form_float,
    form_int,
    form_text,
    in_thread,
    is_htmx,
    load_document,
    problem_lines,
    read_form,
    store_of,
    username_of,
)
from remission.web.templating import render

__all__ = ["assessment_from_form", "grade_form", "router"]

router = APIRouter(dependencies=[Depends(page_editor)])

FORM_SOURCE = "assessment form"


def _crs(form: FormData) -> dict[str, Any]:
    crs: dict[str, Any] = {"syndrome": "crs"}
    temperature = form_float(form, "temperature_c")
    if temperature is not None:
        crs["temperature_c"] = temperature
    for name in (
        "fever_other_cause",
        "fever_masked_after_crs",
        "hypotension",
        "fluids_only",
        "death_due_to_crs",
    ):
        if form_bool(form, name):
            crs[name] = True
    pressors = [p for p in form.getlist("vasopressors") if isinstance(p, str) and p.strip()]
    if pressors:
        crs["vasopressors"] = pressors
    device = form_text(form, "oxygen_device", limit=60).strip()
    flow = form_float(form, "flow_l_min")
    if (device and device != "none") or flow is not None:
        oxygen: dict[str, Any] = {"device": device or "none"}
        if flow is not None:
            oxygen["flow_l_min"] = flow
        crs["oxygen"] = oxygen
    return crs


def _icans(form: FormData) -> dict[str, Any]:
    icans: dict[str, Any] = {"syndrome": "icans"}
    age = form_float(form, "age_years")
    if age is not None:
        icans["age_years"] = age
    for name in ("ice_score", "capd_score"):
        score = form_int(form, name)
        if score is not None:
            icans[name] = score
    for name in ("consciousness", "seizure", "motor", "icp_edema"):
        value = form_text(form, name, limit=60).strip()
        if value and value != "none" and value != "normal":
            icans[name] = value
    for name in ("consciousness_other_cause", "death_due_to_icans"):
        if form_bool(form, name):
            icans[name] = True
    findings = [
        f.strip() for f in form_text(form, "other_findings", limit=1000).split(",") if f.strip()
    ]
    if findings:
        icans["other_findings"] = findings
    return icans


def assessment_from_form(form: FormData) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The CRS and ICANS findings of the form as calculator items (None: not assessed)."""
    crs = _crs(form) if form_bool(form, "assess_crs") else None
    icans = _icans(form) if form_bool(form, "assess_icans") else None
    return crs, icans


def _labelled(problem: Problem, label: str) -> Problem:
    """``[0].ice_score`` -> ``ICANS ice_score``: the form has no array indices."""
    field = re.sub(r"^\[\d+\]\.?", "", problem.field or "")
    return replace(problem, where=FORM_SOURCE, field=f"{label} {field}".strip())


def grade_form(form: FormData) -> tuple[list[tuple[str, GradeResult]], list[str]]:
    """Grade the form's findings with the bedside calculator: (syndrome, result) pairs, and the
    problems of a syndrome that cannot be graded as entered (the other is still graded)."""
    try:
        crs, icans = assessment_from_form(form)
    except InputError as exc:
        return [], problem_lines([replace(p, where=FORM_SOURCE) for p in exc.problems])
    results: list[tuple[str, GradeResult]] = []
    problems: list[Problem] = []
    for label, item in (("CRS", crs), ("ICANS", icans)):
        if item is None:
            continue
        try:
            (result,) = grade_many([item], where=FORM_SOURCE)
        except GradingInputError as exc:
            problems += [_labelled(p, label) for p in exc.problems]
        else:
            results.append((label, result))
    return results, problem_lines(problems)


def _age_default(case: Case) -> str:
    age = case.patient.age
    return f"{age.years:.4g}" if age is not None else ""


def _recorded(case: Case) -> list[dict[str, Any]]:
    grading = grade_case(case)
    return [
        {
            "at": a.at,
            "syndrome": a.syndrome.upper(),
            "grade": a.result.grade,
            "why": "; ".join(a.result.drivers) or (a.result.reason or ""),
        }
        for a in grading.assessments
    ]


def _page_context(case: Case, version: int, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    index = case.index_events()
    return {
        "case": case,
        "version": version,
        "values": values,
        "vasopressors": list(VASOPRESSOR_AGENTS),
        "devices": OXYGEN_DEVICES,
        "consciousness_levels": CONSCIOUSNESS_LEVELS,
        "seizures": SEIZURE_FINDINGS,
        "motor_findings": MOTOR_FINDINGS,
        "icp_findings": ICP_EDEMA_FINDINGS,
        "at_hint": f"{index[0].id}+3d" if index else "2024-05-17",
        "recorded": _recorded(case),
        "results": [],
        "problems": [],
        "saved": None,
        "conflict": None,
        **extra,
    }


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {
        k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"
    }
    values["vasopressors"] = [v for v in form.getlist("vasopressors") if isinstance(v, str)]
    return values


@router.get("/cases/{case_id}/assess", response_class=HTMLResponse, name="assess_page")
def assess_page(request: Request, case_id: str, saved: int | None = None) -> HTMLResponse:
    found = load_document(request, case_id)
    if not isinstance(found, tuple):
        return found
    doc, record = found
    if not isinstance(doc, Case):
        return error_page(
            request, 404, "Not found", f"{case_id} is a cohort aggregate: no patients to assess"
        )
    values = {
        "assess_crs": "on",
        "assess_icans": "on",
        "age_years": _age_default(doc),
        "oxygen_device": "none",
    }
    return render(
        request, "assess/page.html", _page_context(doc, record.version, values, saved=saved)
    )


@router.post("/cases/{case_id}/assess/preview", response_class=HTMLResponse, name="assess_preview")
async def assess_preview(request: Request, case_id: str) -> HTMLResponse:
    """The grade of the findings typed so far (HTMX, on every change)."""
    form = await read_form(request)
    results, problems = grade_form(form)
    return render(request, "assess/_result.html", {"results": results, "problems": problems})


def _save(request: Request, case_id: str, form: FormData) -> Response:
    found = load_document(request, case_id)
    if not isinstance(found, tuple):
        return found
    doc, record = found
    if not isinstance(doc, Case):
        return error_page(request, 404, "Not found", f"{case_id} is a cohort aggregate")
    values = _form_values(form)
    results, problems = grade_form(form)
    try:
        expected = form_int(form, "expected_version")
        at = form_text(form, "at", limit=80).strip()
        note = form_text(form, "note", limit=20_000).strip()
    except InputError as exc:
        expected, at, note = None, "", ""
        problems += problem_lines(exc.problems)
    crs, icans = (None, None) if problems else assessment_from_form(form)
    if not problems and crs is None and icans is None:
        problems.append(
            str(Problem("tick CRS or ICANS (or both) and enter the findings", FORM_SOURCE))
        )
    if not at:
        problems.append(
            str(
                Problem(
                    "say when the findings were made (a date or e.g. car1+3d)",
                    FORM_SOURCE,
                    field="at",
                )
            )
        )
    if expected is None:
        problems.append(
            str(
                Problem("the form lacks the version it was opened at; reload the page", FORM_SOURCE)
            )
        )
    if not problems:
        entry: dict[str, Any] = {"at": at}
        if crs is not None:
            entry["crs"] = crs
        if icans is not None:
            entry["icans"] = icans
        if note:
            entry["note"] = note
        data = doc.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["assessments"] = [*data.get("assessments", []), entry]
        try:
            updated = document_from_data(data, f"{case_id} with the new assessment")
        except InputError as exc:
            problems += problem_lines(exc.problems)
    status = 422
    conflict = None
    if not problems:
        assert expected is not None
        try:
            result = store_of(request).save(
                record_for(updated),
                author=username_of(request),
                reason=f"daily toxicity assessment at {at}",
                expected_version=expected,
            )
        except VersionConflictError as exc:
            conflict, status = str(exc), 409
        except StoreError as exc:
            problems.append(str(exc))
            status = 503
        else:
            target = f"/cases/{case_id}/assess?saved={result.version}"
            if is_htmx(request):
                return Response(status_code=204, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
    context = _page_context(
        doc,
        expected if isinstance(expected, int) else record.version,
        values,
        results=results,
        problems=problems,
        conflict=conflict,
        current_version=record.version,
    )
    return render(request, "assess/page.html", context, status_code=status)


@router.post("/cases/{case_id}/assess", name="assess_save")
async def assess_save(request: Request, case_id: str) -> Response:
    """Append the assessment to the case as a new version (version-checked)."""
    form = await read_form(request)
    return await in_thread(_save, request, case_id, form)
