"""Cohort swimmer plot: one lane per patient from the index therapy (day 0) to the last contact.

Data first: :func:`swimmer_data` builds one row per case from the rules (best response from the
CaseSummary, overall survival from :mod:`remission.rules.outcomes`, relapses, transplants and
reinfusions placed by the case's own time arithmetic); :func:`plot_swimmer` draws lanes coloured
by best response, with an arrow where the patient was alive at last contact. Cases whose follow-up
cannot be timed from the index therapy are listed as left out, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from remission.figures.timeline import RESPONSE_COLOURS
from remission.model import HSCT, CarTInfusion, Case, Relapse
from remission.model.time import DAYS_PER_MONTH
from remission.rules.outcomes import Outcome, overall_survival
from remission.rules.summary import summarize

__all__ = ["SwimmerData", "SwimmerRow", "plot_swimmer", "swimmer_data"]

_NO_RESPONSE_COLOUR = "#bdc3c7"


@dataclass(frozen=True)
class SwimmerRow:
    case_id: str
    months: float
    alive: bool
    response: str | None
    relapses: tuple[float, ...] = ()
    transplants: tuple[float, ...] = ()
    infusions: tuple[float, ...] = ()
    approximate: bool = False


@dataclass(frozen=True)
class SwimmerData:
    rows: tuple[SwimmerRow, ...]
    left_out: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": [r.__dict__ for r in self.rows],
            "left_out": [{"case_id": c, "reason": r} for c, r in self.left_out],
        }


def swimmer_data(
    cases: Sequence[Case],
    *,
    max_rows: int | None = None,
    responses: Mapping[str, str | None] | None = None,
    survival: Mapping[str, Outcome] | None = None,
) -> SwimmerData:
    """One row per case that can be timed from its first index therapy, longest first.

    ``responses`` (best response by case id) and ``survival`` (overall survival by case id) may
    be passed when already computed, as a cohort analysis has them; ``max_rows`` keeps the longest
    follow-ups only (markers are placed for those alone).
    """
    timed: list[tuple[Case, str, Outcome]] = []
    left_out: list[tuple[str, str]] = []
    for case in cases:
        index = case.index_events()
        if not index:
            left_out.append((case.id, "no index therapy"))
            continue
        anchor = index[0].id
        os_ = survival.get(case.id) if survival is not None else None
        if os_ is None or os_.anchor != anchor:
            os_ = overall_survival(case, anchor)
        if not os_.computable or os_.interval is None:
            left_out.append(
                (case.id, os_.reason or "follow-up cannot be timed from the index therapy")
            )
            continue
        timed.append((case, anchor, os_))
    timed.sort(key=lambda item: item[2].interval.days if item[2].interval else 0.0, reverse=True)
    if max_rows is not None:
        timed = timed[:max_rows]
    rows: list[SwimmerRow] = []
    for case, anchor, os_ in timed:
        assert os_.interval is not None

        def times(kind: type, case: Case = case, anchor: str = anchor) -> tuple[float, ...]:
            found = (
                case.interval(anchor, ev.id)
                for ev in case.timeline
                if isinstance(ev, kind) and ev.id != anchor
            )
            return tuple(
                iv.days / DAYS_PER_MONTH for iv in found if iv is not None and iv.days >= 0
            )

        response = responses.get(case.id) if responses is not None else summarize(case).response
        rows.append(
            SwimmerRow(
                case_id=case.id,
                months=os_.interval.days / DAYS_PER_MONTH,
                alive=not os_.event,
                response=response,
                relapses=times(Relapse),
                transplants=times(HSCT),
                infusions=times(CarTInfusion),
                approximate=not os_.interval.exact,
            )
        )
    return SwimmerData(tuple(rows), tuple(left_out))


def plot_swimmer(
    cases: Sequence[Case],
    *,
    max_rows: int = 60,
    responses: Mapping[str, str | None] | None = None,
    survival: Mapping[str, Outcome] | None = None,
    dpi: int = 150,
) -> Figure:
    """The swimmer plot of up to ``max_rows`` cases (the longest follow-up first)."""
    data = swimmer_data(cases, max_rows=max_rows, responses=responses, survival=survival)
    rows = data.rows
    height = 1.2 + 0.22 * max(len(rows), 3)
    fig = Figure(figsize=(7.5, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    span = max((r.months for r in rows), default=1.0) or 1.0
    for y, row in enumerate(reversed(rows)):
        colour = RESPONSE_COLOURS.get(row.response or "", _NO_RESPONSE_COLOUR)
        ax.barh(y, row.months, height=0.6, color=colour, edgecolor="none")
        if row.alive:
            ax.annotate(
                "",
                xy=(row.months + span * 0.04, y),
                xytext=(row.months, y),
                arrowprops={"arrowstyle": "->", "color": "#444444", "lw": 1},
            )
        ax.scatter(
            row.relapses, [y] * len(row.relapses), marker="v", color="#922b21", s=28, zorder=3
        )
        ax.scatter(
            row.transplants, [y] * len(row.transplants), marker="D", color="#117864", s=22, zorder=3
        )
        ax.scatter(
            [m for m in row.infusions if m > 0],
            [y] * len([m for m in row.infusions if m > 0]),
            marker="*",
            color="#c0392b",
            s=50,
            zorder=3,
        )
    ax.set_yticks(range(len(rows)), [r.case_id for r in reversed(rows)], fontsize=6)
    ax.set_xlabel("months from the index therapy", fontsize=8)
    ax.set_xlim(0, span * 1.1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    legend: list[Artist] = [
        Patch(color=RESPONSE_COLOURS[k], label=k) for k in ("CR", "CRi", "PR", "NR")
    ]
    legend += [
        Patch(color=_NO_RESPONSE_COLOUR, label="response not known"),
        Line2D([], [], marker="v", ls="", color="#922b21", label="relapse"),
        Line2D([], [], marker="D", ls="", color="#117864", label="HSCT"),
        Line2D([], [], marker="*", ls="", color="#c0392b", label="reinfusion"),
        Line2D(
            [], [], marker=r"$\rightarrow$", ls="", color="#444444", label="alive at last contact"
        ),
    ]
    ax.legend(
        handles=legend, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
    )
    title = f"{len(rows)} patient(s)"
    if data.left_out:
        title += f"; {len(data.left_out)} not timed from their index therapy"
    ax.set_title(title, fontsize=8, loc="left")
    return fig
