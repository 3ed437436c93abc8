"""The one figure layer (kinetics now; timeline, swimmer and Kaplan–Meier panels to come).

Figures are built as :class:`matplotlib.figure.Figure` objects with their own Agg canvas; no
module here uses pyplot, so nothing leaks into global matplotlib state.
"""

from remission.figures.kinetics import plot_kinetic_profile

__all__ = ["plot_kinetic_profile"]
