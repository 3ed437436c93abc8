"""The one figure layer: kinetics, the case timeline and the cohort swimmer plot (Kaplan–Meier
and forest panels to come).

Figures are built as :class:`matplotlib.figure.Figure` objects with their own Agg canvas; no
module here uses pyplot, so nothing leaks into global matplotlib state.
"""

from remission.figures.kinetics import plot_kinetic_profile
from remission.figures.swimmer import plot_swimmer, swimmer_data
from remission.figures.timeline import plot_timeline, timeline_data

__all__ = ["plot_kinetic_profile", "plot_swimmer", "plot_timeline", "swimmer_data", "timeline_data"]
