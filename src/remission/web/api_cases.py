"""Case routes of the JSON API: list and search, read, create, edit, history, diffs, validation,
and what the rules derive from one case (summary, grades, responses, intervals, kinetics)."""

from __future__ import annotations

import re
import warnings
from typing import Annotated, Any

import numpy as np
from anyio import to_thread
from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, status

from remission import api
from remission.casefile import Document, dump_document
from remission.demo import derive
from remission.exceptions import (
    CaseFileError,
    InputError,
    KineticsInputError,
    Problem,
    RemissionError,
)
from remission.model import Case, CaseSummary, CohortSummary
from remission.search import CaseFilter, search_cases
from remission.store import StoredRecord
from remission.web.api_common import DOCUMENT_BODY, Responses, jsonable, read_document
from remission.web.api_models import (
    CaseOut,
    CaseRowOut,
    DiffOut,
    FieldChangeOut,
    KineticsOut,
    ProblemOut,
    ProblemsOut,
    SavedOut,
    SearchPageOut,
    SeriesKineticsOut,
    ValidationOut,
    VersionOut,
)
from remission.web.deps import ApiEditor, ApiUser, StoreDep, get_settings
from remission.web.diffs import version_diff

__all__ = ["router", "safe_filename"]

router = APIRouter(tags=["cases"])

CaseId = Annotated[str, Path(min_length=1, max_length=200, description="Case id.")]
Reason = Annotated[
    str, Query(min_length=1, max_length=500, description="Why: kept with the new version.")
]
NOT_FOUND: Responses = {404: {"model": ProblemsOut, "description": "No such case or version"}}
CONFLICT: Responses = {
    409: {"model": ProblemsOut, "description": "Saved by someone else since read"}
}
BODY_ERRORS: Responses = {
    413: {"model": ProblemsOut, "description": "Body over the size limit"},
    415: {"model": ProblemsOut, "description": "Not JSON or YAML"},
}


def safe_filename(text: str) -> str:
    """A download file name made of the id's plain characters only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "case"


def _summary(summary: dict[str, Any], kind: str) -> CaseSummary | CohortSummary:
    model = CohortSummary if kind == "cohort" else CaseSummary
    return model.model_validate(summary)


def _case_out(record: StoredRecord) -> CaseOut:
    return CaseOut(
        id=record.id,
        kind=record.kind,
        status=record.status,
        version=record.version,
        current_version=record.current_version,
        author=record.author,
        reason=record.reason,
        saved_at=record.created_at,
        document=record.document,
        summary=_summary(record.summary, record.kind),
    )


# ---------------------------------------------------------------------------------- listing


@router.get("/cases", response_model=SearchPageOut)
def list_cases(
    store: StoreDep, user: ApiUser, case_filter: Annotated[CaseFilter, Query()]
) -> SearchPageOut:
    """Stored documents matching the filters, a page at a time, with their summaries."""
    page = search_cases(store, case_filter)
    return SearchPageOut(
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        filter=case_filter.describe(),
        items=[
            CaseRowOut(
                id=r.id,
                kind=r.kind,
                status=r.status,
                version=r.version,
                updated_at=r.updated_at,
                summary=_summary(r.summary, r.kind),
            )
            for r in page.items
        ],
    )


@router.get("/schema", response_model=dict[str, Any])
def case_schema(user: ApiUser) -> dict[str, Any]:
    """The JSON Schema of case files (generated from the model, as `remission schema`)."""
    return api.document_schema("all")


# ---------------------------------------------------------------------------------- one case


@router.get("/cases/{case_id}", response_model=CaseOut, responses=NOT_FOUND)
def get_case(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
) -> CaseOut:
    """A stored document (the newest version, or ``version``) with its summary."""
    return _case_out(store.get(case_id, version))


@router.get("/cases/{case_id}/versions/{version}", response_model=CaseOut, responses=NOT_FOUND)
def get_version(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int, Path(ge=1, le=2_000_000_000)],
) -> CaseOut:
    """One version of a stored document."""
    return _case_out(store.get(case_id, version))


@router.get("/cases/{case_id}/history", response_model=list[VersionOut], responses=NOT_FOUND)
def case_history(store: StoreDep, user: ApiUser, case_id: CaseId) -> list[VersionOut]:
    """Every version: who saved it, when and why (`remission history`)."""
    return [
        VersionOut(
            version=v.version,
            status=v.status,
            author=v.author,
            reason=v.reason,
            saved_at=v.created_at,
            content_hash=v.content_hash,
        )
        for v in api.history(store, case_id)
    ]


@router.get("/cases/{case_id}/diff", response_model=DiffOut, responses=NOT_FOUND)
def case_diff(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    from_version: Annotated[int, Query(ge=1, le=2_000_000_000)],
    to_version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
) -> DiffOut:
    """What changed from ``from_version`` to ``to_version`` (default: the newest)."""
    target = to_version if to_version is not None else store.get(case_id).current_version
    diff = version_diff(store, case_id, from_version, target)
    return DiffOut(
        id=diff.id,
        from_version=diff.from_version,
        to_version=diff.to_version,
        changes=[
            FieldChangeOut(path=c.path, change=c.change, before=c.before, after=c.after)
            for c in diff.changes
        ],
        unified=diff.unified,
    )


@router.get(
    "/cases/{case_id}/export.yaml",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {"schema": {"type": "string"}}}}, **NOT_FOUND},
)
def export_case(
    request: Request,
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    deidentify: Annotated[
        bool,
        Query(
            description="A de-identified copy for sharing: pseudonymous ids, dates shifted per "
            "patient, ages 90+ grouped, free text removed (docs/interop.md); needs the server's "
            "REMISSION_DEID_KEY."
        ),
    ] = False,
) -> Response:
    """The case file (YAML) of a stored version; it re-imports to the same document."""
    if deidentify:
        text = _deidentified_yaml(store, case_id, version, get_settings(request).deid_key)
        name = "deidentified-case.yaml"
    else:
        text = api.export_document(store, case_id, version)
        name = safe_filename(case_id) + (f"-v{version}" if version else "") + ".yaml"
    return Response(
        text.encode("utf-8"),
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _deidentified_yaml(store: StoreDep, case_id: str, version: int | None, key: str | None) -> str:
    from remission.exceptions import DeidentificationError
    from remission.interop.deidentify import KEY_ENV, deidentify_cases

    if not key:
        raise DeidentificationError(
            f"de-identified exports are not set up on this server: its administrator sets "
            f"{KEY_ENV} (16 or more random characters) before `remission serve`"
        )
    doc = _document(store, case_id, version)
    if not isinstance(doc, Case):
        raise InputError(
            Problem(f"{case_id!r} is a cohort aggregate (published counts, no patient data)")
        )
    return dump_document(deidentify_cases([doc], key=key)[0])


# ---------------------------------------------------------------------------------- writing


def _saved(result: Any, existed: bool) -> SavedOut:
    action = "unchanged" if result.unchanged else ("updated" if existed else "created")
    return SavedOut(id=result.id, version=result.version, action=action)


@router.post(
    "/cases",
    response_model=SavedOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=DOCUMENT_BODY,
    responses={**CONFLICT, **BODY_ERRORS},
)
async def create_case(
    request: Request,
    store: StoreDep,
    user: ApiEditor,
    reason: Reason = "entered in the web app",
) -> SavedOut:
    """Store a new case (version 1). An id already in the store is refused with 409, never
    overwritten: edit that case instead."""
    doc = await read_document(request)
    result = await to_thread.run_sync(
        lambda: store.save(
            api.record_for(doc), author=user.username, reason=reason, expected_version=0
        )
    )
    return _saved(result, existed=False)


def _expected(if_match: str | None, expected_version: int | None) -> int:
    if expected_version is not None:
        return expected_version
    if if_match is not None:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    raise HTTPException(
        status.HTTP_428_PRECONDITION_REQUIRED,
        "say which version your edit started from: expected_version=N (or If-Match: N), "
        "so that nobody's changes are overwritten",
    )


@router.put(
    "/cases/{case_id}",
    response_model=SavedOut,
    openapi_extra=DOCUMENT_BODY,
    responses={
        **NOT_FOUND,
        **CONFLICT,
        **BODY_ERRORS,
        428: {"model": ProblemsOut, "description": "No expected_version given"},
    },
)
async def update_case(
    request: Request,
    store: StoreDep,
    user: ApiEditor,
    case_id: CaseId,
    expected_version: Annotated[
        int | None,
        Query(ge=0, le=2_000_000_000, description="The version the edit started from."),
    ] = None,
    if_match: Annotated[
        str | None,
        Header(
            pattern=r'^\s*(W/)?"?[0-9]{1,9}"?\s*$',
            description="The version the edit started from (instead of expected_version).",
        ),
    ] = None,
    reason: Reason = "edited in the web app",
) -> SavedOut:
    """Save an edit as a new version. Refused (409, nothing saved) when someone else saved the
    case after ``expected_version``; an identical document makes no new version."""
    expected = _expected(if_match, expected_version)
    doc = await read_document(request)
    if doc.id != case_id:
        raise CaseFileError(
            Problem(
                f"the document's id is {doc.id!r} but the address is for {case_id!r}; ids cannot "
                "be changed by an edit (create a new case instead)",
                "<request body>",
                field="id",
            )
        )
    if expected == 0:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"use POST /api/cases to create {case_id!r}")
    result = await to_thread.run_sync(
        lambda: store.save(
            api.record_for(doc), author=user.username, reason=reason, expected_version=expected
        )
    )
    return _saved(result, existed=True)


@router.post(
    "/validate", response_model=ValidationOut, openapi_extra=DOCUMENT_BODY, responses=BODY_ERRORS
)
async def validate_case(request: Request, user: ApiUser) -> ValidationOut:
    """Check a case file without storing it (`remission validate`): every problem, located."""
    try:
        doc = await read_document(request)
    except InputError as exc:
        return ValidationOut(valid=False, problems=[ProblemOut.of(p) for p in exc.problems])
    return ValidationOut(valid=True, id=doc.id, kind=doc.kind, summary=api.summarize_document(doc))


# ---------------------------------------------------------------------------------- derived


def _case(store: StoreDep, case_id: str, version: int | None = None) -> Case:
    doc, _ = api.get_document(store, case_id, version)
    if not isinstance(doc, Case):
        raise InputError(
            Problem(f"{case_id!r} is a cohort aggregate, not one patient's case", field="id")
        )
    return doc


def _document(store: StoreDep, case_id: str, version: int | None) -> Document:
    return api.get_document(store, case_id, version)[0]


@router.get(
    "/cases/{case_id}/summary",
    response_model=CaseSummary | CohortSummary,
    responses=NOT_FOUND,
)
def case_summary(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
) -> CaseSummary | CohortSummary:
    """The flat summary row derived from the document (`remission summary`)."""
    return api.summarize_document(_document(store, case_id, version))


@router.get("/cases/{case_id}/derived", response_model=dict[str, Any], responses=NOT_FOUND)
def case_derived(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
) -> dict[str, Any]:
    """What the rules derive: CRS/ICANS episodes graded from the bedside assessments, each
    assessment's response class, and overall, event-free survival and duration of response
    with their precision (as ``derived.json`` of `remission demo`)."""
    case = _case(store, case_id, version)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        derived = derive(case)
    return jsonable({**derived, "warnings": [str(w.message) for w in caught]})


@router.get("/cases/{case_id}/grades", response_model=dict[str, Any], responses=NOT_FOUND)
def case_grades(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
) -> dict[str, Any]:
    """Every bedside assessment graded (ASTCT 2019) and the episodes (`remission grade ID`)."""
    from remission.rules.episodes import grade_case

    return jsonable(grade_case(_case(store, case_id, version)).to_dict())


@router.get("/cases/{case_id}/kinetics", response_model=KineticsOut, responses=NOT_FOUND)
def case_kinetics(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    curve: Annotated[bool, Query(description="Include the fitted curve (201 points).")] = False,
) -> KineticsOut:
    """CAR-T kinetics of each CAR-T level series: non-compartmental figures and the Stein 2019
    model fitted (`remission kinetics nca|fit ID`). A series that cannot be analysed says why."""
    from remission.kinetics import fit_stein, nca
    from remission.kinetics.from_case import car_t_series, profile_from_series

    case = _case(store, case_id, version)
    out: list[SeriesKineticsOut] = []
    for series in car_t_series(case):
        notes: list[str] = []
        nca_dict: dict[str, Any] | None = None
        fit_dict: dict[str, Any] | None = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                profile = profile_from_series(case, series.id)
                nca_dict = jsonable(nca(profile).to_dict())
                try:
                    fit = fit_stein(profile)
                    end = max(float(np.max(profile.days)), 28.0)
                    fit_dict = jsonable(fit.to_dict(np.linspace(0.0, end, 201) if curve else None))
                except (KineticsInputError, InputError) as exc:
                    notes.append(f"Stein 2019 model not fitted: {exc}")
            except RemissionError as exc:
                notes.append(f"cannot be analysed: {exc}")
        notes += [str(w.message) for w in caught]
        out.append(
            SeriesKineticsOut(
                series_id=series.id,
                analyte=series.analyte,
                unit=series.unit,
                nca=nca_dict,
                fit=fit_dict,
                notes=notes,
            )
        )
    return KineticsOut(id=case.id, series=out)


@router.get(
    "/cases/{case_id}/report.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **NOT_FOUND},
)
def case_report(
    store: StoreDep,
    user: ApiUser,
    case_id: CaseId,
    version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    day0: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The case report: one self-contained HTML file (`remission report ID`), as a download."""
    from remission.report import render_case_report

    doc, record = api.get_document(store, case_id, version)
    if not isinstance(doc, Case):
        raise InputError(Problem(f"{case_id!r} is a cohort aggregate; a case report needs a case"))
    line = (
        f"Version {record.version} of {record.current_version}, saved by {record.author} "
        f"({record.reason})."
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = render_case_report(doc, version_line=line, day0=day0)
    return Response(
        html.encode("utf-8"),
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe_filename(case_id)}.html"'},
    )
