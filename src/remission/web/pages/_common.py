"""What every page router shares: the store and user of a request, error pages, form reading.

Pages are thin: they read the request, call the Python API (:mod:`remission.api`, rules,
kinetics, cohort, figures, report) and render a template. Nothing clinical is computed here.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from remission.api import document_from_record
from remission.casefile import Document
from remission.exceptions import CaseNotFoundError, InputError, Problem, StoreError
from remission.store import Store, StoredRecord
from remission.web.templating import render

__all__ = [
    "MAX_FORM_TEXT",
    "error_page",
    "form_bool",
    "form_float",
    "form_int",
    "form_text",
    "is_htmx",
    "load_document",
    "problem_lines",
    "quiet_warnings",
    "read_form",
    "store_of",
    "username_of",
    "warnings_held",
]

T = TypeVar("T")

#: Longest text accepted in one form field (a whole case file is far below this).
MAX_FORM_TEXT = 2_000_000


_WARNINGS_LOCK = threading.RLock()


@contextmanager
def warnings_held() -> Iterator[None]:
    """Hold the process-wide lock around code that changes the warning filters.

    ``warnings.catch_warnings`` swaps global state: two threads of the server doing it at once
    could leave the filters wrong or route one request's caveats into another's list. The few
    slow routes that need it (model fitting, cohort analysis, reports) take turns here; the fast
    pages never do.
    """
    with _WARNINGS_LOCK:
        yield


@contextmanager
def quiet_warnings() -> Iterator[None]:
    """Ignore warnings in the block (their caveats are on the page already), thread-safely."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def store_of(request: Request) -> Store:
    """The app's store (opened once in the app's lifespan)."""
    store: Store = request.app.state.store
    return store


def username_of(request: Request) -> str:
    """The signed-in user's name: every save records it as the version's author."""
    user = getattr(request.state, "user", None)
    return str(getattr(user, "username", "")) or "unknown"


def is_htmx(request: Request) -> bool:
    """Whether the request came from HTMX (then a fragment, not a whole page, is answered)."""
    return request.headers.get("HX-Request", "").lower() == "true"


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A page (or, for HTMX, a fragment) saying what went wrong in words."""
    name = "partials/error.html" if is_htmx(request) else "error.html"
    return render(request, name, {"title": title, "message": message}, status_code=status)


def problem_lines(problems: list[Problem]) -> list[str]:
    """Problems as the CLI prints them: ``where:line: field: message``."""
    return [str(p) for p in problems]


def load_document(
    request: Request, doc_id: str, version: int | None = None
) -> tuple[Document, StoredRecord] | HTMLResponse:
    """A stored document and its record, or an error page (404 unknown id, 422 unreadable)."""
    record = load_record(request, doc_id, version)
    if isinstance(record, HTMLResponse):
        return record
    doc = document_of(request, record)
    if isinstance(doc, HTMLResponse):
        return doc
    return doc, record


def load_record(
    request: Request, doc_id: str, version: int | None = None
) -> StoredRecord | HTMLResponse:
    """A stored version as the store keeps it (not validated), or an error page (404, 503)."""
    try:
        return store_of(request).get(doc_id, version)
    except CaseNotFoundError as exc:
        return error_page(request, 404, "Not found", str(exc))
    except StoreError as exc:
        return error_page(request, 503, "The store cannot be read", str(exc))


def document_of(request: Request, record: StoredRecord) -> Document | HTMLResponse:
    """The document of a stored version, validated against the current schema, or a 422 page."""
    try:
        return document_from_record(record)
    except InputError as exc:
        return error_page(
            request,
            422,
            "This version cannot be read",
            "; ".join(problem_lines(exc.problems)),
        )


async def read_form(request: Request) -> FormData:
    """The submitted form (urlencoded or multipart)."""
    return await request.form()


def form_text(form: FormData, name: str, default: str = "", limit: int = MAX_FORM_TEXT) -> str:
    """A text field, with Windows line ends made plain; over ``limit`` characters is refused."""
    value = form.get(name)
    if value is None or not isinstance(value, str):
        return default
    if len(value) > limit:
        raise InputError(
            Problem(
                f"is {len(value):,} characters long; at most {limit:,} are accepted", field=name
            )
        )
    return value.replace("\r\n", "\n").replace("\r", "\n")


def form_bool(form: FormData, name: str) -> bool:
    """A checkbox: present (any of on/true/1/yes) is true."""
    value = form.get(name)
    return isinstance(value, str) and value.strip().lower() in ("on", "true", "1", "yes")


def _number(form: FormData, name: str, kind: Callable[[str], T], what: str) -> T | None:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(",", ".")
    try:
        return kind(text)
    except ValueError:
        raise InputError(Problem(f"{value.strip()[:40]!r} is not {what}", field=name)) from None


def form_float(form: FormData, name: str) -> float | None:
    """A number field (empty is None); ``38,5`` is read as 38.5."""
    number = _number(form, name, float, "a number")
    if number is not None and number != number:  # NaN
        raise InputError(Problem("is not a number", field=name))
    return number


def form_int(form: FormData, name: str) -> int | None:
    """A whole-number field (empty is None)."""
    return _number(form, name, int, "a whole number")


async def in_thread(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking work (database, validation, drawing) off the event loop."""
    return await run_in_threadpool(func, *args, **kwargs)


def attachment(content: bytes | str, filename: str, media_type: str) -> Response:
    """A download: ``Content-Disposition: attachment`` with a safe ASCII file name."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename) or "download"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )
