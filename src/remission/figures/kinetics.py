"""CAR-T level over time on a log axis, as clinicians publish it, with the fitted Stein curve.

Draws one :class:`~remission.kinetics.profile.Profile`: quantified levels as filled points,
below-quantification samples as open downward triangles at their LLOQ (or at the foot of the
axis when the LLOQ is unknown), the LLOQ as a dashed line, the fitted Stein 2019 curve
(Stein et al. 2019 CPT Pharmacometrics Syst Pharmacol; kinetics.md §0) and the observed
Cmax/Tmax annotated. Returns a :class:`matplotlib.figure.Figure` built without pyplot, so no
global figure state is created or left behind. See docs/kinetics.md "Figure".
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter

from remission.kinetics.fit import SteinFit
from remission.kinetics.nca import NCAResult, nca
from remission.kinetics.profile import Profile

__all__ = ["plot_kinetic_profile", "pretty_unit"]

_POINT = "#1f4e79"
_CURVE = "#c0392b"
_BLQ = "#7f8c8d"


def pretty_unit(unit: str) -> str:
    """Typeset a unit for an axis label (``copies/ug`` → ``copies/µg``, ``cells/uL`` → µL)."""
    return unit.replace("/ug", "/µg").replace("/uL", "/µL").replace("/ul", "/µL")


def _fmt(x: float) -> str:
    if x >= 1000:
        return f"{x:,.0f}".replace(",", " ")
    if x >= 10:
        return f"{x:.0f}"
    return f"{x:.3g}"


def plot_kinetic_profile(
    profile: Profile,
    *,
    fit: SteinFit | None = None,
    nca_result: NCAResult | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    figsize: tuple[float, float] = (6.4, 4.2),
    dpi: int = 150,
) -> Figure:
    """Figure of one kinetic profile on a log axis (see the module doc).

    ``fit`` adds the fitted Stein curve (day 0 to past the last sample); ``nca_result`` supplies
    Cmax/Tmax for the annotation (computed with default NCA settings when omitted). The figure
    has its own Agg canvas: ``fig.savefig("x.png")`` works and nothing touches pyplot.
    """
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_yscale("log")
    unit = pretty_unit(profile.unit)
    res = nca_result if nca_result is not None else nca(profile)

    d, v, b, q = profile.days, profile.values, profile.blq, profile.lloq
    quant = ~b
    if np.any(quant):
        ax.plot(
            d[quant],
            v[quant],
            ls="-" if fit is None else "none",
            lw=0.8,
            color=_POINT,
            alpha=0.6 if fit is None else 1.0,
            marker="o",
            ms=5.5,
            mfc=_POINT,
            mec="white",
            mew=0.6,
            label="measured",
            zorder=3,
        )
    # BLQ samples: open triangles at their LLOQ, or at the foot of the axis if unknown
    known = b & ~np.isnan(q) & (np.nan_to_num(q) > 0)
    unknown = b & ~known
    if np.any(known):
        ax.plot(
            d[known],
            q[known],
            ls="none",
            marker="v",
            ms=6.5,
            mfc="white",
            mec=_BLQ,
            mew=1.2,
            label="below LLOQ",
            zorder=3,
        )
    if np.any(unknown):
        ax.plot(
            d[unknown],
            np.full(int(unknown.sum()), 0.04),
            ls="none",
            marker="v",
            ms=6.5,
            mfc="white",
            mec=_BLQ,
            mew=1.2,
            transform=ax.get_xaxis_transform(),
            label=None if np.any(known) else "below LLOQ",
            zorder=3,
            clip_on=False,
        )
    lloq = profile.lloq_value
    if lloq is not None and lloq > 0:
        ax.axhline(lloq, ls="--", lw=0.9, color=_BLQ, zorder=1)
        ax.annotate(
            "LLOQ",
            xy=(1.0, lloq),
            xycoords=("axes fraction", "data"),
            xytext=(3, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8,
            color=_BLQ,
            annotation_clip=False,
        )

    t_end = max(float(np.max(d)), 28.0)
    if fit is not None:
        p = fit.params
        grid = np.unique(np.concatenate([np.linspace(0.0, t_end, 800), [p.tmax]]))
        ax.plot(
            grid,
            fit.curve(grid),
            color=_CURVE,
            lw=1.8,
            zorder=2,
            label=f"Stein 2019 fit (Tmax {p.tmax:.1f} d, Cmax {_fmt(p.cmax)})",
        )

    if res.cmax is not None and res.tmax is not None:
        ax.plot(
            [res.tmax],
            [res.cmax],
            ls="none",
            marker="o",
            ms=11,
            mfc="none",
            mec="black",
            mew=1.0,
            zorder=4,
        )
        right_side = res.tmax <= 0.6 * t_end
        ax.annotate(
            f"Cmax {_fmt(res.cmax)} {unit}\nTmax day {res.tmax:g}",
            xy=(res.tmax, res.cmax),
            xytext=(12 if right_side else -12, 8),
            textcoords="offset points",
            fontsize=8.5,
            va="bottom",
            ha="left" if right_side else "right",
            arrowprops={"arrowstyle": "-", "color": "black", "lw": 0.7, "shrinkA": 0, "shrinkB": 6},
        )

    # limits: a few decades below the peak, at least down to the LLOQ
    pos = v[quant & (v > 0)]
    top = float(np.max(pos)) if pos.size else (lloq or 1.0) * 10
    floor_candidates = [float(np.min(pos)) if pos.size else top / 100]
    if lloq:
        floor_candidates.append(lloq)
    if fit is not None:
        floor_candidates.append(max(fit.params.r0, top * 1e-5))
    bottom = min(floor_candidates) / 2.5
    ax.set_ylim(10 ** math.floor(math.log10(bottom)), 10 ** math.ceil(math.log10(top * 2.0)))
    x0 = min(float(np.min(d)), 0.0)
    ax.set_xlim(x0 - 0.03 * (t_end - x0), t_end * 1.03)
    ax.yaxis.set_major_locator(LogLocator(base=10))
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=[k / 10 for k in range(2, 10)]))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.axvline(0.0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("Days after infusion")
    name = profile.analyte.replace("_", " ") if profile.analyte else "CAR-T level"
    ax.set_ylabel(ylabel or (f"{name} ({unit})" if unit and unit not in name else name))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, which="major", axis="y", color="0.92", lw=0.6)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=len(handles),
            frameon=False,
            fontsize=8,
        )
    if title or profile.label:
        ax.set_title(title or profile.label, fontsize=10, loc="left")
    return fig
