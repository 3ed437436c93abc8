"""Cytokines, ferritin and other laboratory series over time, and disease burden (blasts, MRD).

Both read the case as data: observation series (vocabulary 'analytes') placed in days from their
anchor, and disease assessments placed from a chosen day 0. Levels are drawn on a log axis as
case reports do; values below quantification are drawn as open markers at the LLOQ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from remission.model import Case, DiseaseAssessment, ObservationSeries, Relapse, load_vocabulary

__all__ = ["LAB_KINDS", "burden_points", "plot_burden", "plot_labs", "series_points"]

#: Analyte kinds drawn by :func:`plot_labs` by default (vocabulary 'analytes', attribute kind).
LAB_KINDS = ("cytokine", "inflammation")


def series_points(case: Case, series: ObservationSeries) -> list[tuple[float, float | None, bool]]:
    """(day from the series anchor, value, below quantification) for the points that can be placed."""
    out = []
    for p in series.points:
        if p.day is not None:
            day: float | None = p.day
        elif series.anchor is not None and p.at is not None:
            iv = case.interval(series.anchor, str(p.at))
            day = iv.days if iv is not None else None
        else:
            day = None
        if day is not None:
            out.append((day, p.value if p.value is not None else series.lloq, p.blq))
    return out


def plot_labs(
    case: Case, analytes: Sequence[str] | None = None, *, dpi: int = 150
) -> Figure | None:
    """One panel per unit with every chosen series on a log axis; None when there is nothing."""
    vocab = load_vocabulary("analytes")
    chosen = [
        s
        for s in case.observations
        if (
            s.analyte in analytes
            if analytes is not None
            else vocab.get(s.analyte).attributes.get("kind") in LAB_KINDS
        )
    ]
    if not chosen:
        return None
    units = list(dict.fromkeys(s.unit for s in chosen))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 2.6 * len(units)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(units), 1, squeeze=False)[:, 0]
    for ax, unit in zip(axes, units, strict=True):
        for s in (s for s in chosen if s.unit == unit):
            pts = series_points(case, s)
            shown = [(d, v) for d, v, blq in pts if v is not None and v > 0 and not blq]
            blq = [(d, v) for d, v, b in pts if b and v is not None and v > 0]
            label = vocab.get(s.analyte).label
            line = ax.plot(
                [d for d, _ in shown], [v for _, v in shown], marker="o", ms=4, lw=1.2, label=label
            )[0]
            if blq:
                ax.scatter(
                    [d for d, _ in blq],
                    [v for _, v in blq],
                    marker="v",
                    facecolors="none",
                    edgecolors=line.get_color(),
                    s=30,
                )
        ax.set_yscale("log")
        ax.set_ylabel(unit.replace("/uL", "/µL").replace("/ug", "/µg"), fontsize=8)
        ax.legend(fontsize=7, frameon=False)
        anchor = next((s.anchor for s in chosen if s.unit == unit and s.anchor), None)
        ax.set_xlabel(f"days from {anchor}" if anchor else "days", fontsize=8)
        ax.tick_params(labelsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_title(f"{case.id}: cytokines and inflammatory markers", fontsize=9, loc="left")
    return fig


def burden_points(
    case: Case, anchor: str
) -> list[tuple[float, float | None, float | None, str | None]]:
    """(day from ``anchor``, marrow blasts %, MRD as %, stated response) per timed assessment."""
    out: list[tuple[float, float | None, float | None, str | None]] = []
    for ev in case.timeline:
        if isinstance(ev, Relapse) and ev.marrow_blasts_pct is not None:
            iv = case.interval(anchor, ev.id)
            if iv is not None:
                out.append((iv.days, ev.marrow_blasts_pct, None, "relapse"))
            continue
        if not isinstance(ev, DiseaseAssessment):
            continue
        if ev.marrow_blasts_pct is None and ev.mrd is None:
            continue
        iv = case.interval(anchor, ev.id)
        if iv is None:
            continue
        mrd = None
        if ev.mrd is not None:
            mrd = (
                ev.mrd.value * 100
                if ev.mrd.value is not None
                else (0.0 if ev.mrd.detectable is False else None)
            )
        out.append((iv.days, ev.marrow_blasts_pct, mrd, ev.response))
    return out


def plot_burden(case: Case, anchor: str | None = None, *, dpi: int = 150) -> Figure | None:
    """Marrow blasts and MRD (% of cells, log axis; undetectable drawn at the foot) over time."""
    if anchor is None:
        index = case.index_events()
        anchor = index[0].id if index else "diagnosis"
    pts = burden_points(case, anchor)
    if not pts:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 2.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    floor = 1e-4
    blasts = [(d, b) for d, b, _, _ in pts if b is not None]
    mrd = [(d, m) for d, _, m, _ in pts if m is not None]
    if blasts:
        ax.plot(
            [d for d, _ in blasts],
            [max(b, floor) for _, b in blasts],
            marker="s",
            label="marrow blasts (%)",
        )
    if mrd:
        ax.plot(
            [d for d, _ in mrd],
            [max(m, floor) for _, m in mrd],
            marker="o",
            label="MRD (% of cells)",
        )
        below = [(d, m) for d, m in mrd if m <= floor]
        if below:
            ax.scatter(
                [d for d, _ in below],
                [floor] * len(below),
                marker="v",
                color="#1e8449",
                zorder=3,
                label="MRD undetectable",
            )
    ax.axhline(5, color="#aaaaaa", ls=":", lw=0.8)
    ax.axhline(0.01, color="#aaaaaa", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(floor / 2, 100)
    ax.set_xlabel(f"days from {anchor}", fontsize=8)
    ax.set_ylabel("% of marrow cells", fontsize=8)
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"{case.id}: disease burden (5 % blasts dotted, MRD 0.01 % dashed)", fontsize=9, loc="left"
    )
    return fig
