"""Kaplan–Meier curves with their band and numbers at risk, and a forest plot of subgroup rates.

Drawn from :mod:`remission.cohort` results (data first: the step table, the risk table and the
subgroup rates are the same objects a report exports), never re-estimated here.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from remission.cohort.subgroups import SubgroupAnalysis
from remission.cohort.survival import KaplanMeier

__all__ = ["plot_forest", "plot_kaplan_meier"]

_COLOURS = ("#1f4e79", "#c0392b", "#1e8449", "#8e44ad")


def plot_kaplan_meier(
    curves: Sequence[KaplanMeier], *, labels: Sequence[str] | None = None, dpi: int = 150
) -> Figure:
    """Step curves (censoring ticks, confidence band) with the numbers at risk beneath."""
    fig = Figure(figsize=(6.6, 4.2 + 0.25 * len(curves)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.6 + 0.3 * len(curves)])
    ax = fig.add_subplot(grid[0])
    table_ax = fig.add_subplot(grid[1], sharex=ax)
    names = list(labels) if labels is not None else [c.label for c in curves]
    risk_times: list[float] = []
    for i, (km, name) in enumerate(zip(curves, names, strict=True)):
        colour = _COLOURS[i % len(_COLOURS)]
        steps = km.to_frame()
        if steps.empty:
            continue
        ax.step(
            steps["months"],
            steps["survival"] * 100,
            where="post",
            color=colour,
            lw=1.6,
            label=f"{name} (n={km.n}, events={km.n_events})",
        )
        ax.fill_between(
            steps["months"],
            steps["ci_lower"] * 100,
            steps["ci_upper"] * 100,
            step="post",
            color=colour,
            alpha=0.12,
            lw=0,
        )
        censored = steps[steps["n_censored"] > 0]
        ax.scatter(censored["months"], censored["survival"] * 100, marker="|", s=40, color=colour)
        risk = km.risk_frame()
        risk_times = list(risk["months"])
        for _, row in risk.iterrows():
            table_ax.text(
                row["months"],
                len(curves) - 1 - i,
                str(int(row["n_at_risk"])),
                ha="center",
                va="center",
                fontsize=7,
                color=colour,
            )
    ax.set_ylim(0, 102)
    ax.set_ylabel("probability (%)", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.tick_params(labelsize=7, labelbottom=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if curves:
        what = curves[0].label if len(curves) == 1 else "Kaplan–Meier estimates"
        ax.set_title(f"{what}, from {curves[0].anchor}", fontsize=9, loc="left")
    table_ax.set_ylim(-0.6, len(curves) - 0.4)
    table_ax.set_yticks(range(len(curves)), list(reversed(names)), fontsize=7)
    table_ax.set_xlabel("months", fontsize=8)
    if risk_times:
        table_ax.set_xticks(risk_times)
    table_ax.tick_params(labelsize=7, left=False)
    for side in ("top", "right", "left"):
        table_ax.spines[side].set_visible(False)
    table_ax.set_title("number at risk", fontsize=7, loc="left")
    return fig


def plot_forest(
    analysis: SubgroupAnalysis, rate: str = "complete_remission", *, dpi: int = 150
) -> Figure:
    """Each subgroup's rate (inside and outside it) with its exact confidence interval."""
    rows = []
    for comp in analysis.comparisons:
        for rc in comp.rates:
            if rc.rate != rate:
                continue
            for side_label, r in ((comp.label, rc.inside), (comp.out_label, rc.outside)):
                rows.append((side_label, r, rc.p_value))
    fig = Figure(figsize=(6.6, 1.0 + 0.32 * max(len(rows), 2)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for y, (_label, r, _) in enumerate(reversed(rows)):
        if not r.estimable or r.estimate is None:
            ax.text(0.5, y, "not estimable", fontsize=6, va="center", color="#7f8c8d")
            continue
        lo, hi = (r.ci_lower or 0) * 100, (r.ci_upper or 0) * 100
        ax.plot([lo, hi], [y, y], color="#1f4e79", lw=1.2)
        ax.scatter(
            [r.estimate * 100], [y], marker="s", s=18 + 4 * min(r.n, 40), color="#1f4e79", zorder=3
        )
        ax.text(101, y, f"{r.k}/{r.n}", fontsize=6, va="center")
    ax.set_yticks(range(len(rows)), [label for label, _, _ in reversed(rows)], fontsize=7)
    ax.set_xlim(0, 110)
    ax.set_xlabel(f"{rate.replace('_', ' ')} (%), 95 % exact CI", fontsize=8)
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("subgroups", fontsize=9, loc="left")
    return fig
