"""Analysis, download and import routes of the JSON API: the bedside grade calculator, cohort
analysis and report for a filter, table exports, and the all-or-nothing import of case files."""

from __future__ import annotations

import io
import re
import tempfile
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)

from remission import api
from remission.cli.grade import grade_json
from remission.exceptions import CaseFileError, DeidentificationError, InputError, Problem
from remission.model import Case
from remission.model.assessment import GradeResult
from remission.search import CaseFilter, documents_matching
from remission.web.api_common import YAML_TYPES, jsonable, media_type
from remission.web.api_models import ImportOut, ImportOutcomeOut, ProblemsOut
from remission.web.deps import ApiEditor, ApiUser, StoreDep, get_settings

__all__ = ["UPLOAD_TYPES", "check_upload_name", "router"]

router = APIRouter(tags=["analysis"])

UPLOAD_TYPES = YAML_TYPES | {"text/plain", "application/octet-stream", ""}
"""Content types an uploaded case file may declare (browsers often send octet-stream)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,150}\.(ya?ml)$", re.IGNORECASE)


def _download(body: bytes, media: str, name: str) -> Response:
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# ------------------------------------------------------------------------------------ grading


@router.post(
    "/grade",
    response_model=list[GradeResult],
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A JSON array of assessments, as `remission grade` reads on stdin.",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}
            },
        }
    },
    responses={415: {"model": ProblemsOut, "description": "Not JSON"}},
)
async def grade(request: Request, user: ApiUser) -> list[GradeResult]:
    """The bedside calculator: ASTCT 2019 CRS/ICANS grade of each assessment with what set it
    (adult ICE and paediatric CAPD paths); every problem of every item is reported."""
    if media_type(request) != "application/json":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send a JSON array")
    raw = await request.body()
    if len(raw) > get_settings(request).max_file_bytes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "too many assessments at once")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseFileError(Problem("the body is not UTF-8 text", "<request body>")) from None
    return grade_json(text, where="<request body>")


# ------------------------------------------------------------------------------------ cohort

Filter = Annotated[CaseFilter, Query()]


@router.get("/cohort", response_model=dict[str, Any])
def cohort(store: StoreDep, user: ApiUser, case_filter: Filter) -> dict[str, Any]:
    """Table 1, rates with exact intervals, Kaplan-Meier, competing risks and subgroups of the
    documents matching the filter (drafts left out), each with what could not be estimated."""
    from remission.cohort.report import analyse_cohort
    from remission.exceptions import EstimationWarning

    docs = documents_matching(store, case_filter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # kept in the result's caveats
        report = analyse_cohort(docs)
    return jsonable({"filter": case_filter.describe(), **report.to_dict()})


@router.get(
    "/cohort/report.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def cohort_report(
    store: StoreDep,
    user: ApiUser,
    case_filter: Filter,
) -> Response:
    """The cohort report of the filtered documents: one self-contained HTML file."""
    from remission.exceptions import EstimationWarning
    from remission.report.cohort_report import render_cohort_report

    docs = documents_matching(store, case_filter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        html = render_cohort_report(docs, title="Cohort report", filter_text=case_filter.describe())
    return _download(html.encode("utf-8"), "text/html; charset=utf-8", "cohort-report.html")


def _cases(store: StoreDep, case_filter: CaseFilter) -> list[Case]:
    chosen = case_filter.model_copy(update={"kind": "case"})
    return [d for d in documents_matching(store, chosen) if isinstance(d, Case)]


@router.get(
    "/tables.xlsx",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                }
            }
        }
    },
)
def tables_xlsx(store: StoreDep, user: ApiUser, case_filter: Filter) -> Response:
    """CaseSummary rows, long-format observations and the data dictionary, one sheet each
    (`remission export --format xlsx`)."""
    from remission.report.tables import write_xlsx_tables

    cases = _cases(store, case_filter)
    with tempfile.TemporaryDirectory(prefix="remission-xlsx-") as folder:
        path = write_xlsx_tables(cases, Path(folder) / "tables.xlsx")
        body = path.read_bytes()
    return _download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "remission-tables.xlsx",
    )


@router.get(
    "/tables.zip",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
def tables_csv(store: StoreDep, user: ApiUser, case_filter: Filter) -> Response:
    """The same tables as CSV files in one zip (`remission export --format csv`)."""
    from remission.report.tables import write_csv_tables

    cases = _cases(store, case_filter)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="remission-csv-") as folder:
        paths = write_csv_tables(cases, Path(folder))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, arcname=path.name)
    return _download(buffer.getvalue(), "application/zip", "remission-tables.zip")


ExportFormat = Literal["csv", "cbioportal", "registry", "fhir"]


_ZIP: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
}


@router.get("/export/{fmt}.zip", response_class=Response, responses=_ZIP)
def export_zip(store: StoreDep, user: ApiUser, case_filter: Filter, fmt: ExportFormat) -> Response:
    """The cases a filter selects in one of `remission export`'s formats, as one zip: csv
    (summary and observation tables with the data dictionary), cbioportal (a study folder),
    registry (one row per CAR-T infusion, dictionary, missing fields) or fhir (a Bundle per
    case)."""
    return _zip(_export_files(_cases(store, case_filter), fmt), f"remission-{fmt}.zip")


@router.get("/export-deidentified/{fmt}.zip", response_class=Response, responses=_ZIP)
def export_zip_deidentified(
    request: Request, store: StoreDep, user: ApiUser, case_filter: Filter, fmt: ExportFormat
) -> Response:
    """As `/export/{fmt}.zip`, written from de-identified copies for sharing (pseudonymous
    ids, dates shifted per patient, ages 90+ grouped, free text removed; docs/interop.md;
    `remission export --deidentify`). Needs the server's REMISSION_DEID_KEY."""
    from remission.interop.deidentify import KEY_ENV, deidentify_cases

    key = get_settings(request).deid_key
    if not key:
        raise DeidentificationError(
            f"de-identified exports are not set up on this server: its administrator sets "
            f"{KEY_ENV} (16 or more random characters) before `remission serve`"
        )
    cases = deidentify_cases(_cases(store, case_filter), key=key)
    return _zip(_export_files(cases, fmt), f"deidentified-remission-{fmt}.zip")


def _zip(files: dict[str, str | bytes], name: str) -> Response:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in files.items():
            archive.writestr(member, content)
    return _download(buffer.getvalue(), "application/zip", name)


def _export_files(cases: list[Case], fmt: str) -> dict[str, str | bytes]:
    """File name -> content of an export, built by the interop and report modules."""
    if fmt == "cbioportal":
        from remission.interop.cbioportal import study_files

        return dict(study_files(cases)[0])
    if fmt == "registry":
        from remission.interop.registry import registry_files

        return dict(registry_files(cases))
    if fmt == "fhir":
        import json

        from remission.interop.fhir import case_to_bundle

        return {
            f"{case.id}.json": json.dumps(case_to_bundle(case), ensure_ascii=False, indent=2)
            for case in cases
        }
    from remission.report.tables import write_csv_tables

    with tempfile.TemporaryDirectory(prefix="remission-csv-") as folder:
        return {path.name: path.read_bytes() for path in write_csv_tables(cases, Path(folder))}


# ------------------------------------------------------------------------------------ import


def check_upload_name(name: str | None) -> str | None:
    """Why an uploaded file's name is refused (None when it is a plain ``*.yaml`` name).

    Only the name is ever used, never as given on the client's disk: names with folders
    (``../x.yaml``, ``C:\\x.yaml``), hidden files, control characters or other endings are
    refused rather than cleaned up, so the name in every message is the one the user chose.
    """
    if not name:
        return "a file without a name"
    if any(c in name for c in "/\\") or ".." in name:
        return "the file name holds a folder or '..'; upload the file itself"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "the file name holds control characters"
    if not _NAME.match(name):
        return (
            "case files are named like 'case-01.yaml': letters, digits, spaces and . _ ( ) + -, "
            "ending in .yaml or .yml"
        )
    return None


def _multipart(request: Request) -> None:
    if media_type(request) != "multipart/form-data":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "upload case files as multipart/form-data (field 'files'); nothing was stored",
        )


@router.post(
    "/import",
    response_model=ImportOut,
    dependencies=[Depends(_multipart)],
    responses={
        413: {"model": ProblemsOut, "description": "A file or the request over the size limit"},
        415: {"model": ProblemsOut, "description": "Not multipart, or a file that is not YAML"},
    },
)
async def import_cases(
    request: Request,
    store: StoreDep,
    user: ApiEditor,
    files: Annotated[list[UploadFile], File(description="Case files (YAML).")],
    reason: Annotated[str, Form(min_length=1, max_length=500)] = "imported in the web app",
) -> ImportOut:
    """Import case files: every file is validated first; either all are stored (one version
    each, by the signed-in user) or none, and every problem of every file is listed."""
    settings = get_settings(request)
    if len(files) > settings.max_files:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(files)} files at once; an import takes at most {settings.max_files}",
        )
    problems: list[Problem] = []
    seen: set[str] = set()
    for upload in files:
        shown = (upload.filename or "")[:200]
        why = check_upload_name(upload.filename)
        if why is None and shown.casefold() in seen:
            why = "two uploaded files have this name"
        if why:
            problems.append(Problem(why, repr(shown) if shown else "<upload>"))
            continue
        seen.add(shown.casefold())
        declared = (upload.content_type or "").split(";")[0].strip().lower()
        if declared not in UPLOAD_TYPES:
            raise HTTPException(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                f"{shown}: a case file is YAML text, not {declared!r}; nothing was stored",
            )
        if upload.size is not None and upload.size > settings.max_file_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"{shown} is {upload.size / 1e6:.1f} MB; case files are limited to "
                f"{settings.max_file_bytes / 1e6:g} MB; nothing was stored",
            )
    if problems:
        raise CaseFileError(problems)
    with tempfile.TemporaryDirectory(prefix="remission-upload-") as folder:
        paths: list[Path] = []
        for upload in files:
            assert upload.filename is not None
            path = Path(folder) / upload.filename
            data = await upload.read(settings.max_file_bytes + 1)
            if len(data) > settings.max_file_bytes:
                raise HTTPException(
                    status.HTTP_413_CONTENT_TOO_LARGE,
                    f"{upload.filename} is larger than {settings.max_file_bytes / 1e6:g} MB; "
                    "nothing was stored",
                )
            path.write_bytes(data)
            paths.append(path)
        prefix = folder.rstrip("/") + "/"
        try:
            prepared = await to_thread.run_sync(lambda: api.prepare_import(paths, workers=1))
        except InputError as exc:  # the file names as uploaded, not the temporary folder
            raise type(exc)(
                [
                    replace(
                        p,
                        where=p.where.removeprefix(prefix) if p.where else p.where,
                        message=p.message.replace(prefix, ""),
                    )
                    for p in exc.problems
                ]
            ) from None
        named = [(source.removeprefix(prefix), record) for source, record in prepared]
        report = await to_thread.run_sync(
            lambda: api.save_prepared(store, named, author=user.username, reason=reason)
        )
    counts = report.counts
    return ImportOut(
        created=counts["created"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        outcomes=[
            ImportOutcomeOut(id=o.id, file=o.source, version=o.version, action=o.action)
            for o in report.outcomes
        ],
    )
