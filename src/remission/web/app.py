"""The FastAPI application: ``create_app(settings)``.

One :class:`~remission.store.Store` per process, opened in the lifespan (``app.state.store``);
the :class:`~remission.web.middleware.Guard` in front of everything (sessions, sign-in, CSRF,
body limits, security headers); the static files; the sign-in routes; the server-rendered pages
(:mod:`remission.web.pages`) and the JSON API under ``/api`` with its OpenAPI document at
``/api/openapi.json``. There is no Swagger page: it would need inline script, which the
Content-Security-Policy forbids.

Errors raised by the Python API become answers with the CLI's words: JSON under ``/api``,
an HTML page elsewhere.
"""

from __future__ import annotations

import gc
import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from remission.exceptions import (
    AccountError,
    CaseNotFoundError,
    CohortError,
    InputError,
    RemissionError,
    StoreError,
    VersionConflictError,
)
from remission.search import CaseFilter, search_cases
from remission.store import Store, default_url
from remission.store.users import Accounts
from remission.web.deps import SignInRequired
from remission.web.middleware import Guard
from remission.web.pages import routers as page_routers
from remission.web.settings import WebSettings

__all__ = ["STATIC_DIR", "create_app", "route_table"]

STATIC_DIR = Path(__file__).parent / "static"

GC_YOUNG_THRESHOLD = 20_000
"""Allocations between collections of the youngest generation in a server process (see
:func:`_warm_up`)."""

_ACCOUNT_STATUS = {"missing": 404, "exists": 409, "last_admin": 409, "invalid": 422}


def _status_of(error: RemissionError) -> int:
    if isinstance(error, CaseNotFoundError):
        return status.HTTP_404_NOT_FOUND
    if isinstance(error, VersionConflictError):
        return status.HTTP_409_CONFLICT
    if isinstance(error, InputError | CohortError):
        return status.HTTP_422_UNPROCESSABLE_CONTENT
    if isinstance(error, AccountError):
        return _ACCOUNT_STATUS.get(error.kind, 422)
    if isinstance(error, StoreError):
        return status.HTTP_503_SERVICE_UNAVAILABLE
    return status.HTTP_422_UNPROCESSABLE_CONTENT


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def _error_page(request: Request, code: int, message: str, problems: list[str]) -> HTMLResponse:
    """An error as a page: the pages' ``error.html`` when it exists, else a plain one."""
    from remission.web.templating import TEMPLATES_DIR, render

    if (TEMPLATES_DIR / "error.html").is_file():
        return render(
            request,
            "error.html",
            {"status_code": code, "message": message, "problems": problems},
            status_code=code,
        )
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    body = (
        f"<!doctype html><html lang=en><title>Error {code}</title><h1>Error {code}</h1>"
        f"<p>{html.escape(message)}</p>{f'<ul>{items}</ul>' if items else ''}"
        '<p><a href="/cases">Back to the cases</a></p></html>'
    )
    return HTMLResponse(body, status_code=code)


def _problems(error: RemissionError) -> list[dict[str, Any]]:
    if not isinstance(error, InputError):
        return []
    return [
        {"message": p.message, "where": p.where, "line": p.line, "field": p.field, "text": str(p)}
        for p in error.problems
    ]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RemissionError)
    async def remission_error(request: Request, error: RemissionError) -> Response:
        code = _status_of(error)
        if isinstance(error, InputError):
            n = len(error.problems)
            detail = f"{n} problem{'s' if n != 1 else ''} found; nothing was stored"
        else:
            detail = str(error)
        if _is_api(request):
            return JSONResponse({"detail": detail, "problems": _problems(error)}, code)
        lines = [str(p["text"]) for p in _problems(error)]
        return _error_page(request, code, detail, lines)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, error: SignInRequired) -> Response:
        response = RedirectResponse(error.location, status.HTTP_303_SEE_OTHER)
        if request.headers.get("hx-request"):
            response.headers["HX-Redirect"] = error.location
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        if _is_api(request):
            return JSONResponse(
                {"detail": detail, "problems": []}, error.status_code, headers=error.headers
            )
        if error.status_code == 404 and detail == "Not Found":
            detail = f"there is no page at {request.url.path}"
        return _error_page(request, error.status_code, detail, [])

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = []
        for e in error.errors():
            loc = [str(x) for x in e.get("loc", ())]
            where = loc[0] if loc else None
            field = ".".join(loc[1:]) or None
            message = str(e.get("msg", "invalid"))
            text = f"{where}: {field}: {message}" if field else f"{where}: {message}"
            problems.append(
                {"message": message, "where": where, "line": None, "field": field, "text": text}
            )
        n = len(problems)
        detail = f"{n} problem{'s' if n != 1 else ''} in the request; nothing was stored"
        if _is_api(request):
            return JSONResponse({"detail": detail, "problems": problems}, 422)
        return _error_page(request, 422, detail, [str(p["text"]) for p in problems])


def _include_pages(app: FastAPI) -> None:
    for page_router in page_routers:
        app.include_router(page_router, include_in_schema=False)
    if not any(path == "/" for path, _ in route_table(app)):

        @app.get("/", include_in_schema=False)
        def home() -> RedirectResponse:
            return RedirectResponse("/cases", status.HTTP_303_SEE_OTHER)


def route_table(app: FastAPI) -> list[tuple[str, frozenset[str]]]:
    """Every (path, methods) the app answers, included routers resolved; mounts (static files)
    as their prefix with no methods."""
    out: list[tuple[str, frozenset[str]]] = []
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for ctx in contexts():
                methods = getattr(ctx.original_route, "methods", None) or ()
                out.append((ctx.path, frozenset(methods)))
        else:
            out.append(
                (getattr(route, "path", ""), frozenset(getattr(route, "methods", None) or ()))
            )
    return out


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The web application for ``settings`` (default: :meth:`WebSettings.from_env`)."""
    from remission.web import api, auth

    settings = settings or WebSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_url or default_url())
        app.state.store = store
        Accounts(store).purge_expired()
        await to_thread.run_sync(_warm_up, store, settings.server_gc)
        try:
            yield
        finally:
            store.close()

    app = FastAPI(
        title="remission",
        summary="r/r B-ALL courses under CD19-directed immunotherapy: cases, grades, cohorts.",
        version=_version(),
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(Guard, settings=settings)
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth.page_router)
    app.include_router(api.router)
    _include_pages(app)
    return app


def _warm_up(store: Store, server_gc: bool) -> None:
    """Load the search index now rather than on the first visitor's request; with
    ``server_gc`` (``WebSettings.server_gc``: on in ``remission serve``), then take every object
    loaded so far (the index's summaries, modules, vocabularies) out of the cyclic garbage
    collector's work (:func:`gc.freeze`, after one full collection so no garbage is kept).

    With 10,000 cases a full collection otherwise walks the whole index: about 110 ms during
    which the worker answers nobody, every few seconds under load (the slowest 5 % of requests).
    Frozen objects are still freed as usual when nothing refers to them any more. The youngest
    generation is collected after :data:`GC_YOUNG_THRESHOLD` allocations instead of Python's 700,
    so the objects of requests in flight are less often promoted to the old generations, whose
    collections walk every cached case page context (:mod:`remission.web.pages.cases`).
    """
    search_cases(store, CaseFilter(limit=1))
    if not server_gc:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("remission")
    except PackageNotFoundError:
        return "0"
