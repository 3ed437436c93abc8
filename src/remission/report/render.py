"""The report page shell: Jinja2 templates from the package, figures as inline PNG data.

Everything a report needs is inside the one HTML file: CSS inline, images as ``data:`` URIs, no
scripts, no fonts or styles fetched from anywhere, so it opens offline and can be e-mailed.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure_data_uri", "render"]

_ENV = Environment(
    loader=PackageLoader("remission.report", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        return (
            f"{value:.{digits}f}".rstrip("0").rstrip(".")
            if not value.is_integer()
            else f"{value:.0f}"
        )
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value) or "—"
    return str(value)


_ENV.filters["fmt"] = _fmt


def figure_data_uri(fig: Figure | None, dpi: int = 110) -> str | None:
    """A figure as a ``data:image/png;base64,...`` URI (None stays None)."""
    if fig is None:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def render(template: str, **context: Any) -> str:
    """Render a packaged template with the common context (version, generation time)."""
    from remission import __version__

    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _ENV.get_template(template).render(version=__version__, generated=generated, **context)
