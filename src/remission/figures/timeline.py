"""The therapeutic-process timeline of one case, as case reports draw it.

Data first: :func:`timeline_data` places every event on lanes (therapy, CAR-T, transplant,
disease, toxicity) in months from a chosen day 0 (diagnosis, a relapse or an infusion), using the
case's own time arithmetic; :func:`plot_timeline` draws that. When some events have no time that
can be related to day 0 (case reports often give none), the layout falls back to the order of the
timeline, evenly spaced, and says so on the axis: positions are then a sequence, not a scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from remission.model import (
    HSCT,
    CarTInfusion,
    Case,
    Death,
    DiseaseAssessment,
    Event,
    FollowUp,
    OtherEvent,
    Relapse,
    Therapy,
    ToxicityEpisode,
    load_vocabulary,
)
from remission.model.time import DAYS_PER_MONTH

__all__ = [
    "LANES",
    "RESPONSE_COLOURS",
    "TimelineData",
    "TimelineItem",
    "plot_timeline",
    "timeline_data",
]

Lane = Literal["therapy", "car_t", "hsct", "disease", "toxicity"]
LANES: tuple[tuple[Lane, str], ...] = (
    ("therapy", "Therapy"),
    ("car_t", "CAR-T"),
    ("hsct", "HSCT"),
    ("disease", "Disease"),
    ("toxicity", "Toxicity"),
)

#: Colours of response markers (CR family green, partial amber, failure red).
RESPONSE_COLOURS = {
    "CR": "#1e8449",
    "CRi": "#52be80",
    "CRh": "#52be80",
    "MLFS": "#52be80",
    "PR": "#f5b041",
    "SD": "#e67e22",
    "NR": "#c0392b",
    "PD": "#922b21",
}
_THERAPY_COLOURS = {
    "chemotherapy": "#5d6d7e",
    "corticosteroid": "#5d6d7e",
    "tki": "#2874a6",
    "bispecific": "#8e44ad",
    "antibody_drug_conjugate": "#af7ac5",
    "radiotherapy": "#b9770e",
}


@dataclass(frozen=True)
class TimelineItem:
    """One drawn element: a bar (``end`` set) or a marker, on one lane, in months from day 0."""

    lane: Lane
    kind: str
    event_id: str
    start: float
    end: float | None
    label: str
    colour: str
    approximate: bool = False


@dataclass(frozen=True)
class TimelineData:
    case_id: str
    anchor: str
    axis: Literal["months", "sequence"]
    items: tuple[TimelineItem, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "anchor": self.anchor,
            "axis": self.axis,
            "items": [item.__dict__ for item in self.items],
            "notes": list(self.notes),
        }


def _therapy_label(ev: Therapy) -> str:
    names = [load_vocabulary("agents").get(a).label for a in ev.agents[:3]]
    text = ev.protocol or ""
    if names:
        text = f"{text} {' + '.join(names)}".strip()
    if ev.courses:
        text += f" ×{ev.courses}"
    return text


def _describe(ev: Event) -> tuple[Lane, str, str, str] | None:
    """Lane, kind, label and colour of an event (None: not drawn)."""
    if isinstance(ev, Therapy):
        classes = ev.agent_classes
        colour = _THERAPY_COLOURS.get(classes[0], "#5d6d7e") if classes else "#5d6d7e"
        return "therapy", "therapy", _therapy_label(ev), colour
    if isinstance(ev, CarTInfusion):
        source = {"donor_derived": "donor-derived ", "autologous": "auto "}.get(
            ev.cell_source or "", ""
        )
        product = (
            ""
            if ev.product == "investigational"
            else load_vocabulary("car_t_products").get(ev.product).label
        )
        label = f"{source}{ev.target or ''} CAR-T {product}".replace("  ", " ").strip()
        return "car_t", "infusion", label, "#c0392b"
    if isinstance(ev, HSCT):
        kind = ev.donor_type.replace("_", " ") if ev.donor_type else ev.kind
        return "hsct", "hsct", f"{kind} HSCT", "#117864"
    if isinstance(ev, Relapse):
        label = f"relapse {ev.number}" if ev.number else "relapse"
        if ev.sites:
            label += ": " + ", ".join(ev.sites)
        if ev.molecular:
            label += " (molecular)"
        return "disease", "relapse", label, "#922b21"
    if isinstance(ev, DiseaseAssessment):
        if ev.response is None and not ev.extramedullary:
            return None
        label = ev.response or "EM " + ", ".join(f"{f.site} {f.status}" for f in ev.extramedullary)
        return "disease", "response", label, RESPONSE_COLOURS.get(ev.response or "", "#7f8c8d")
    if isinstance(ev, ToxicityEpisode):
        if ev.grade is not None and ev.grade.grade == 0:
            return None
        grade = f" G{ev.grade.grade}" if ev.grade else ""
        name = ev.term or ev.syndrome.upper()
        return "toxicity", "toxicity", f"{name}{grade}", "#d35400"
    if isinstance(ev, Death):
        return "disease", "death", f"death ({ev.cause})", "#000000"
    if isinstance(ev, FollowUp):
        return "disease", "follow_up", f"last follow-up: {ev.disease_status}", "#7f8c8d"
    if isinstance(ev, OtherEvent):
        return "disease", "other", ev.label, "#7f8c8d"
    return None


def timeline_data(case: Case, anchor: str | None = None) -> TimelineData:
    """Place the case's events for drawing. ``anchor``: an event id or ``diagnosis`` (default:
    the first index therapy, else the diagnosis)."""
    if anchor is None:
        index = case.index_events()
        anchor = index[0].id if index else "diagnosis"
    drawn: list[tuple[int, Event, tuple[Lane, str, str, str]]] = []
    for i, ev in enumerate(case.timeline):
        desc = _describe(ev)
        if desc is not None:
            drawn.append((i, ev, desc))
    spans: dict[str, tuple[float, float | None, bool]] = {}
    placeable = True
    for _, ev, _ in drawn:
        iv = case.interval(anchor, ev.id)
        if iv is None:
            placeable = False
            break
        end_point = getattr(ev, "end", None) or getattr(ev, "resolved", None)
        end_iv = case.interval(anchor, str(end_point)) if end_point is not None else None
        spans[ev.id] = (
            iv.days / DAYS_PER_MONTH,
            end_iv.days / DAYS_PER_MONTH if end_iv is not None else None,
            not iv.exact,
        )
    items: list[TimelineItem] = []
    notes: list[str] = []
    if placeable and drawn:
        for _, ev, (lane, kind, label, colour) in drawn:
            start, end, approx = spans[ev.id]
            items.append(TimelineItem(lane, kind, ev.id, start, end, label, colour, approx))
        n_approx = sum(item.approximate for item in items)
        if n_approx:
            notes.append(
                f"{n_approx} event(s) placed from partial dates (midpoint of what is known)"
            )
        return TimelineData(case.id, anchor, "months", tuple(items), tuple(notes))
    for position, (_, ev, (lane, kind, label, colour)) in enumerate(drawn):
        items.append(TimelineItem(lane, kind, ev.id, float(position), None, label, colour, True))
    if drawn:
        notes.append(
            "not every event can be timed from day 0: events are shown in order, evenly spaced"
        )
    return TimelineData(case.id, anchor, "sequence", tuple(items), tuple(notes))


def plot_timeline(
    case: Case,
    anchor: str | None = None,
    *,
    figsize: tuple[float, float] = (9.0, 3.6),
    dpi: int = 150,
) -> Figure:
    """The therapeutic-process figure of one case (see the module doc)."""
    data = timeline_data(case, anchor)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    lane_y = {lane: len(LANES) - 1 - i for i, (lane, _) in enumerate(LANES)}
    spread = (
        max((it.end or it.start) for it in data.items) - min(it.start for it in data.items)
        if data.items
        else 1.0
    )
    min_bar = max(spread * 0.01, 0.05)
    label_row: dict[Lane, int] = {}
    for item in data.items:
        y = lane_y[item.lane]
        if item.end is not None and item.end > item.start:
            ax.broken_barh(
                [(item.start, max(item.end - item.start, min_bar))],
                (y - 0.18, 0.36),
                facecolors=item.colour,
                alpha=0.85,
            )
        else:
            marker = {
                "infusion": "*",
                "hsct": "D",
                "relapse": "v",
                "death": "X",
                "follow_up": ">",
                "therapy": "s",
                "toxicity": "o",
            }.get(item.kind, "o")
            size = 140 if marker == "*" else 60
            ax.scatter(
                [item.start],
                [y],
                marker=marker,
                s=size,
                color=item.colour,
                zorder=3,
                edgecolors="white",
                linewidths=0.6,
            )
        row = label_row.get(item.lane, 0)
        label_row[item.lane] = row + 1
        offset = 0.26 + 0.2 * (row % 2)
        text = item.label if len(item.label) <= 40 else item.label[:39] + "…"
        ax.annotate(
            text,
            (item.start, y + offset),
            fontsize=6.5,
            ha="left",
            va="bottom",
            rotation=20,
            color="#222222",
            annotation_clip=False,
        )
    ax.set_yticks([lane_y[lane] for lane, _ in LANES], [name for _, name in LANES], fontsize=8)
    ax.set_ylim(-0.7, len(LANES) + 1.0)  # room for the top lane's labels inside the axes
    if data.axis == "months":
        ax.axvline(0, color="#aaaaaa", lw=0.8, ls="--")
        ax.set_xlabel(f"months from {data.anchor} (day 0)", fontsize=8)
    else:
        ax.set_xticks([])
        ax.set_xlabel("order of events (not every event can be timed: not to scale)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{case.id}: therapeutic process", fontsize=9, loc="left")
    ax.margins(x=0.08)
    return fig
