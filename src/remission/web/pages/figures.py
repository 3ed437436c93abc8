"""Figure images of a case, drawn on demand by the shared figure layer and cached by version.

The case page itself draws nothing (it must stay fast); its ``<img>`` tags point here:
``/cases/{id}/figures/timeline.png`` (or ``.svg``), ``labs``, ``burden``, ``kinetics`` (the
first CAR-T series) and ``kinetics-<series>``. A stored version never changes, so an image is cached in memory under
``(store, id, version, figure, format)`` and sent with a long private cache lifetime; the page always
asks for the current version (``?v=N``).
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from matplotlib.figure import Figure

from remission.exceptions import InputError
from remission.figures.kinetics import plot_kinetic_profile
from remission.figures.labs import plot_burden, plot_labs
from remission.figures.timeline import plot_timeline
from remission.kinetics import fit_stein, nca
from remission.kinetics.from_case import profile_from_series
from remission.model import Case
from remission.web.deps import page_user
from remission.web.pages._common import error_page, load_document, quiet_warnings, store_of

__all__ = ["FigureCache", "draw_figure", "figure_cache", "router"]

router = APIRouter(dependencies=[Depends(page_user)])

Format = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}


class FigureCache:
    """A small, thread-safe LRU cache of rendered figures (bytes) keyed by case version."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str, int, str, str], bytes | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, int, str, str]) -> tuple[bool, bytes | None]:
        with self._lock:
            if key not in self._items:
                return False, None
            self._items.move_to_end(key)
            return True, self._items[key]

    def put(self, key: tuple[str, str, int, str, str], value: bytes | None) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


figure_cache = FigureCache()


def _kinetics_figure(case: Case, series_id: str | None) -> Figure:
    profile = profile_from_series(case, series_id)
    result = nca(profile)
    with quiet_warnings():  # the caveats are listed on the page beside the figure
        try:
            fit = fit_stein(profile)
        except InputError:
            fit = None
    return plot_kinetic_profile(profile, fit=fit, nca_result=result)


def draw_figure(case: Case, name: str) -> Figure | None:
    """The named figure of a case from the figure layer; None when the case has nothing to show."""
    if name == "timeline":
        return plot_timeline(case)
    if name == "labs":
        return plot_labs(case)
    if name == "burden":
        return plot_burden(case)
    if name == "kinetics":  # the first CAR-T series
        return _kinetics_figure(case, None)
    if name.startswith("kinetics-"):
        return _kinetics_figure(case, name.removeprefix("kinetics-"))
    raise KeyError(name)


def _encode(fig: Figure, fmt: Format) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    return buf.getvalue()


@router.get("/cases/{case_id}/figures/{name}.{fmt}", name="case_figure")
def case_figure(
    request: Request, case_id: str, name: str, fmt: str, v: int | None = None
) -> Response:
    """One figure of one version of a case (the current one by default) as PNG or SVG."""
    if fmt not in MEDIA_TYPES:
        return error_page(request, 404, "Not found", f"figures come as .png or .svg, not .{fmt}")
    found = load_document(request, case_id, v)
    if not isinstance(found, tuple):
        return found
    doc, record = found
    if not isinstance(doc, Case):
        return error_page(request, 404, "Not found", f"{case_id} is a cohort aggregate: no figures")
    key = (store_of(request).url, case_id, record.version, name, fmt)
    hit, data = figure_cache.get(key)
    if not hit:
        try:
            fig = draw_figure(doc, name)
        except KeyError:
            return error_page(request, 404, "Not found", f"no figure called {name!r}")
        except InputError as exc:
            return error_page(request, 404, "No figure", str(exc))
        data = None if fig is None else _encode(fig, fmt)  # type: ignore[arg-type]
        figure_cache.put(key, data)
    if data is None:
        return error_page(request, 404, "No figure", f"{case_id} has no data for the {name} figure")
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Cache-Control": "private, max-age=86400"},
    )
