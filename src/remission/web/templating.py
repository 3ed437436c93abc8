"""Server-side page rendering: the Jinja2 environment of the web app and :func:`render`.

Every template autoescapes (``.html`` files), so text a user typed - a case id, a note, a
report's text - reaches the page as text, never as markup. Each page gets the signed-in
``user`` and the session's ``csrf_token`` from ``request.state`` (set by the auth middleware),
so base.html can put the token in its ``<meta name="csrf-token">`` and every form in a hidden
field. Templates hold no inline script or style: the Content-Security-Policy forbids both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from remission.report.render import _fmt

__all__ = ["TEMPLATES_DIR", "environment", "grade_class", "render", "render_fragment"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


def grade_class(grade: Any) -> str:
    """The CSS class colour-coding an ASTCT grade (``grade-na`` when not assessable)."""
    if isinstance(grade, bool) or not isinstance(grade, int):
        return "grade-na"
    return f"grade-{min(max(grade, 0), 5)}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # the templates ship with the package: compile each once per process, never stat()
        # the files again on every page (Jinja's default checks their modification time)
        auto_reload=False,
        cache_size=-1,
    )
    env.filters["fmt"] = _fmt
    env.filters["grade_class"] = grade_class
    return env


environment = _environment()


def _common(request: Request) -> dict[str, Any]:
    state = request.state
    return {
        "request": request,
        "user": getattr(state, "user", None),
        "csrf_token": getattr(state, "csrf_token", "") or "",
        "path": request.url.path,
    }


def render_fragment(request: Request, name: str, context: dict[str, Any]) -> str:
    """The HTML text of one template (a whole page or an HTMX fragment)."""
    return environment.get_template(name).render({**_common(request), **context})


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render ``templates/<name>`` with the page context (user, csrf_token) as an HTML response."""
    return HTMLResponse(render_fragment(request, name, context), status_code=status_code)
