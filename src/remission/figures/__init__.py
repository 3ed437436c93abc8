"""The one figure layer: kinetics, the case timeline and the cohort swimmer plot (Kaplan–Meier
and forest panels to come).

Figures are built as :class:`matplotlib.figure.Figure` objects with their own Agg canvas; no
module here uses pyplot, so nothing leaks into global matplotlib state. matplotlib is imported
only when a figure is drawn (the names below load their module on first use), so the data
functions (``timeline_data``, ``swimmer_data``, ...) cost no matplotlib import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remission.figures.kinetics import plot_kinetic_profile
    from remission.figures.swimmer import plot_swimmer, swimmer_data
    from remission.figures.timeline import plot_timeline, timeline_data

_WHERE = {
    "plot_kinetic_profile": "remission.figures.kinetics",
    "plot_swimmer": "remission.figures.swimmer",
    "swimmer_data": "remission.figures.swimmer",
    "plot_timeline": "remission.figures.timeline",
    "timeline_data": "remission.figures.timeline",
}

__all__ = ["plot_kinetic_profile", "plot_swimmer", "plot_timeline", "swimmer_data", "timeline_data"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
