"""The import page: upload case files; all are stored or none, and every problem is listed.

Uploads are checked before anything is parsed: the number of files, each file's name (only a
plain ``*.yaml`` name, never a path: :func:`remission.web.api_analysis.check_upload_name`), its
declared content type and its size. Then :func:`remission.api.prepare_import` validates every
file as ``remission import`` does and :func:`remission.api.save_prepared` stores them in one
transaction, as versions by the signed-in user.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from remission import api
from remission.exceptions import InputError, Problem, StoreError
from remission.web.api_analysis import UPLOAD_TYPES, check_upload_name
from remission.web.deps import get_settings, page_editor
from remission.web.pages._common import form_text, in_thread, problem_lines, store_of, username_of
from remission.web.templating import render

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(page_editor)])


def _page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    settings = get_settings(request)
    base: dict[str, Any] = {
        "problems": [],
        "report": None,
        "reason": "",
        "max_mb": f"{settings.max_file_bytes / 1e6:g}",
        "max_files": settings.max_files,
    }
    return render(request, "import.html", {**base, **context}, status_code=status)


@router.get("/import", response_class=HTMLResponse, name="import_page")
def import_page(request: Request) -> HTMLResponse:
    return _page(request)


async def _checked_uploads(
    request: Request, uploads: list[UploadFile]
) -> tuple[list[tuple[str, bytes]], list[Problem], int]:
    """The uploads' (name, bytes) when every check passes; else the problems and a status."""
    settings = get_settings(request)
    problems: list[Problem] = []
    status = 422
    if not uploads:
        return [], [Problem("choose one or more case files (.yaml) to import")], 422
    if len(uploads) > settings.max_files:
        return (
            [],
            [
                Problem(
                    f"{len(uploads)} files at once; an import takes at most {settings.max_files}"
                )
            ],
            413,
        )
    files: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for upload in uploads:
        shown = (upload.filename or "")[:200]
        label = shown or "<file without a name>"
        why = check_upload_name(upload.filename)
        if why is None and shown.casefold() in seen:
            why = "two uploaded files have this name"
        if why is not None:
            problems.append(Problem(why, label))
            continue
        seen.add(shown.casefold())
        declared = (upload.content_type or "").split(";")[0].strip().lower()
        if declared not in UPLOAD_TYPES:
            problems.append(Problem(f"a case file is YAML text, not {declared!r}", label))
            status = 415
            continue
        data = await upload.read(settings.max_file_bytes + 1)
        if len(data) > settings.max_file_bytes:
            problems.append(
                Problem(f"the file is larger than {settings.max_file_bytes / 1e6:g} MB", label)
            )
            status = 413
            continue
        files.append((shown, data))
    return files, problems, (status if problems else 200)


def _import(request: Request, files: list[tuple[str, bytes]], reason: str) -> api.ImportReport:
    with tempfile.TemporaryDirectory(prefix="remission-import-") as folder:
        paths = []
        for name, data in files:
            path = Path(folder) / name  # the name passed check_upload_name: no folders, no '..'
            path.write_bytes(data)
            paths.append(path)
        prefix = folder.rstrip("/") + "/"
        try:
            prepared = api.prepare_import(paths, workers=1)
        except InputError as exc:
            raise type(exc)(
                [
                    replace(p, where=p.where.removeprefix(prefix)) if p.where else p
                    for p in exc.problems
                ]
            ) from None
        named = [(source.removeprefix(prefix), record) for source, record in prepared]
        return api.save_prepared(
            store_of(request), named, author=username_of(request), reason=reason
        )


@router.post("/import", response_class=HTMLResponse, name="import_submit")
async def import_submit(request: Request) -> HTMLResponse:
    settings = get_settings(request)
    form = await request.form(max_files=settings.max_files + 1, max_fields=50)
    try:
        reason = form_text(form, "reason", limit=500).strip() or "imported in the web app"
        uploads = [u for u in form.getlist("files") if isinstance(u, UploadFile)]
        if any(isinstance(u, str) and u for u in form.getlist("files")):
            return _page(
                request,
                415,
                problems=[
                    "the form must be sent as multipart/form-data with the files attached; nothing was stored"
                ],
            )
        files, problems, status = await _checked_uploads(request, uploads)
        if problems:
            return _page(
                request,
                status,
                reason=reason,
                problems=[*problem_lines(problems), "Nothing was stored."],
            )
        try:
            report = await in_thread(_import, request, files, reason)
        except InputError as exc:
            return _page(
                request,
                422,
                reason=reason,
                problems=[*problem_lines(exc.problems), "Nothing was stored."],
            )
        except StoreError as exc:
            return _page(request, 503, reason=reason, problems=[str(exc), "Nothing was stored."])
    finally:
        await form.close()
    return _page(request, 200, report=report)
