"""Outcome intervals of one case: OS, EFS, RFS and duration of response.

Sources: the endpoint definitions used by the CD19 CAR-T and blinatumomab trials as summarised in
``shared/reference/clinical-criteria.md`` (sections 3.1 and 3.4; CIBMTR response criteria) and
the project's issue 3. Every endpoint counts from an anchor (an event id, or ``"diagnosis"``) to
the first event that ends it, or to the last contact (censoring). Times use the case's own
resolution of partial dates and offsets (:mod:`remission.model.time`), so every interval keeps its
lower and upper bound and says how precise it is; an interval that cannot be placed is reported
as not computable, with the reason, never guessed.

The conventions chosen where the definitions leave room are written beside each function and in
``docs/rules.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from remission.model import (
    HSCT,
    CarTInfusion,
    Case,
    Death,
    DiseaseAssessment,
    FollowUp,
    Interval,
    Relapse,
    Therapy,
)
from remission.model.case import Point
from remission.model.events import event_time
from remission.model.time import DAYS_PER_MONTH

__all__ = [
    "DIAGNOSIS",
    "EARLY_RESPONSE_WINDOW_DAYS",
    "REMISSION_CLASSES",
    "EarlyResponse",
    "Outcome",
    "duration_of_response",
    "early_response",
    "event_free_survival",
    "interval_dict",
    "overall_survival",
    "relapse_free_survival",
]

#: The anchor name of the diagnosis date (it is not a timeline event).
DIAGNOSIS = "diagnosis"

#: The "day-28" response assessment: any response assessment of the therapy placed no later than
#: day 42 (day 28 with a two-week window). An interpretation: trials assess at day 28 +/- a few
#: days and case reports say "one month"; see docs/rules.md, "Outcome intervals".
EARLY_RESPONSE_WINDOW_DAYS = 42

#: Response classes that count as a remission for RFS, duration of response and EFS (CR with full,
#: partial or incomplete count recovery; clinical-criteria.md section 3.1).
REMISSION_CLASSES: tuple[str, ...] = ("CR", "CRh", "CRi")


# --------------------------------------------------------------------------------------------
# Time between two points of a case
# --------------------------------------------------------------------------------------------


def _label(point: Point) -> str:
    return point if isinstance(point, str) else str(point)


def _undated(case: Case, point: Point) -> bool:
    return (
        isinstance(point, str) and point in case.resolved_times and case.stated_time(point) is None
    )


def _why_not_placed(case: Case, start: Point, end: Point) -> str:
    s, e = _label(start), _label(end)
    if _undated(case, start) and not _undated(case, end):
        return (
            f"{s} has no date and {e} is not counted from it, so the time between them is unknown"
        )
    if _undated(case, end) and not _undated(case, start):
        return f"{e} has no date and is not counted from {s}, so the time between them is unknown"
    return (
        f"{s} and {e} are not placed on one time axis (neither is dated, nor counted from the "
        f"other), so the time between them is unknown"
    )


def interval_dict(iv: Interval | None) -> dict[str, Any] | None:
    """An interval as plain data: days and months (midpoints), bounds, precision."""
    if iv is None:
        return None
    return {
        "days": round(iv.days, 2),
        "months": round(iv.months, 2),
        "lo_days": round(iv.lo, 2),
        "hi_days": round(iv.hi, 2),
        "lo_months": round(iv.lo / DAYS_PER_MONTH, 2),
        "hi_months": round(iv.hi / DAYS_PER_MONTH, 2),
        "exact": iv.exact,
        "precision": iv.precision,
    }


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------

Endpoint = Literal["OS", "EFS", "RFS", "DOR"]
EndKind = Literal[
    "death",
    "relapse",
    "no_response",
    "last_contact",
    "death_censored",
    "hsct_censored",
]


@dataclass(frozen=True)
class Outcome:
    """One time-to-event result.

    ``event`` is True when the endpoint's event happened (``end`` names it), False when the time
    is censored (``end`` names the censoring event), None when the result is not computable
    (``reason`` says why). ``interval`` runs from the anchor to ``end`` with its bounds.
    """

    endpoint: Endpoint
    anchor: str
    computable: bool
    event: bool | None = None
    end: str | None = None
    end_kind: EndKind | None = None
    interval: Interval | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def days(self) -> float | None:
        return None if self.interval is None else self.interval.days

    @property
    def months(self) -> float | None:
        return None if self.interval is None else self.interval.months

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "anchor": self.anchor,
            "computable": self.computable,
            "event": self.event,
            "end": self.end,
            "end_kind": self.end_kind,
            "interval": interval_dict(self.interval),
            "reason": self.reason,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class EarlyResponse:
    """The response of a therapy at its early ("day-28") assessment.

    ``status``: ``response`` (CR, CRh or CRi), ``no_response`` (assessed, no remission), or
    ``unknown`` (no early assessment, or none with a response that can be told).
    """

    therapy: str
    status: Literal["response", "no_response", "unknown"]
    assessment: str | None = None
    response: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "therapy": self.therapy,
            "status": self.status,
            "assessment": self.assessment,
            "response": self.response,
            "reason": self.reason,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------


def _default_anchor(case: Case) -> str:
    index = case.index_events()
    return index[0].id if index else DIAGNOSIS


def _check_anchor(case: Case, anchor: str) -> None:
    if anchor != DIAGNOSIS:
        case.event(anchor)  # raises KeyError naming the case and the id


def _after(case: Case, anchor: str) -> list[Any]:
    """Events listed after the anchor (the timeline is in the order things happened)."""
    if anchor == DIAGNOSIS:
        return list(case.timeline)
    ids = [ev.id for ev in case.timeline]
    return list(case.timeline[ids.index(anchor) + 1 :])


def _certainly_before(iv: Interval | None) -> bool:
    return iv is not None and iv.hi < 0


def _contact_points(ev: Any) -> list[tuple[str, Point]]:
    """The times at which an event shows the patient alive: its own time and, for a therapy or a
    toxicity episode, its end or resolution."""
    points: list[tuple[str, Point]] = []
    if event_time(ev) is not None:
        points.append((ev.id, ev.id))
    for attr in ("end", "resolved"):
        value = getattr(ev, attr, None)
        if value is not None:
            points.append((f"{ev.id}.{attr}", value))
    return points


def _last_contact(case: Case, anchor: str, events: Sequence[Any]) -> tuple[str, Interval] | str:
    """The latest time after the anchor at which the patient is known alive.

    Every recorded event shows the patient alive at its time (a follow-up, an assessment, a
    transplant); a follow-up recorded as not alive is not a contact. Returns (label, interval)
    or the reason none can be placed.
    """
    placed: list[tuple[float, float, str, Interval]] = []
    unplaced: list[str] = []
    for pos, ev in enumerate(events):
        if isinstance(ev, Death) or (isinstance(ev, FollowUp) and not ev.alive):
            continue
        points = _contact_points(ev)
        if not points:
            unplaced.append(ev.id)
            continue
        for label, point in points:
            iv = case.interval(anchor, point)
            if iv is None:
                if ev.id not in unplaced:
                    unplaced.append(ev.id)
            elif iv.hi >= 0:
                placed.append((iv.days, pos, label, iv))
    if not placed:
        if not events:
            return f"nothing is recorded after {anchor}: no follow-up to count to"
        listed = ", ".join(unplaced) or "none"
        return (
            f"no event after {anchor} can be placed relative to it (not comparable: {listed}); "
            + _why_not_placed(case, anchor, unplaced[0] if unplaced else anchor)
        )
    _, _, label, iv = max(placed, key=lambda p: (p[0], p[1]))
    return label, iv


def _later_unplaced_note(case: Case, anchor: str, events: Sequence[Any], last: str) -> list[str]:
    ids = [ev.id for ev in events]
    base = last.split(".")[0]
    later = ids[ids.index(base) + 1 :] if base in ids else []
    unplaced = [
        i for i in later if event_time(case.event(i)) is None or case.interval(anchor, i) is None
    ]
    if unplaced:
        return [
            f"events listed later ({', '.join(unplaced)}) cannot be placed relative to {anchor}; "
            "follow-up may be longer than counted"
        ]
    return []


def _ending(
    endpoint: Endpoint,
    case: Case,
    anchor: str,
    end: Any,
    kind: EndKind,
    event: bool,
    notes: list[str],
    label: str | None = None,
) -> Outcome:
    iv = case.interval(anchor, end.id)
    name = label or end.id
    if iv is None:
        return Outcome(
            endpoint=endpoint,
            anchor=anchor,
            computable=False,
            event=event,
            end=name,
            end_kind=kind,
            reason=_why_not_placed(case, anchor, end.id),
            notes=tuple(notes),
        )
    if iv.hi < 0:
        notes.append(f"{name} is dated before {anchor} although listed after it")
    return Outcome(
        endpoint=endpoint,
        anchor=anchor,
        computable=True,
        event=event,
        end=name,
        end_kind=kind,
        interval=iv,
        notes=tuple(notes),
    )


def _censor(
    endpoint: Endpoint, case: Case, anchor: str, events: Sequence[Any], notes: list[str]
) -> Outcome:
    found = _last_contact(case, anchor, events)
    if isinstance(found, str):
        return Outcome(
            endpoint=endpoint,
            anchor=anchor,
            computable=False,
            event=False,
            reason=f"cannot be censored: {found}",
            notes=tuple(notes),
        )
    label, iv = found
    notes = notes + _later_unplaced_note(case, anchor, events, label)
    return Outcome(
        endpoint=endpoint,
        anchor=anchor,
        computable=True,
        event=False,
        end=label,
        end_kind="last_contact",
        interval=iv,
        notes=tuple(notes),
    )


def _death(events: Sequence[Any]) -> tuple[Any, str | None] | None:
    """The death after the anchor: a Death event, else a follow-up recorded as not alive."""
    for ev in events:
        if isinstance(ev, Death):
            return ev, None
    for ev in events:
        if isinstance(ev, FollowUp) and not ev.alive:
            return ev, (
                f"death known only from follow-up {ev.id} (alive: false); its date is used, the "
                "latest the death can have been"
            )
    return None


def _is_relapse(ev: Any, count_molecular: bool) -> tuple[bool, str | None]:
    if isinstance(ev, Relapse):
        if ev.molecular and not count_molecular:
            return False, f"{ev.id} is a molecular relapse: not counted (count_molecular=False)"
        return True, None
    if isinstance(ev, FollowUp) and ev.alive and ev.disease_status == "relapse":
        return (
            True,
            f"relapse known only from follow-up {ev.id}: its date is the latest it can have been",
        )
    return False, None


# --------------------------------------------------------------------------------------------
# Early response (the day-28 assessment)
# --------------------------------------------------------------------------------------------


def early_response(case: Case, therapy: str) -> EarlyResponse:
    """Did the therapy achieve a remission (CR, CRh, CRi) by its early ("day-28") assessment?

    The early assessments are the disease assessments that assess the therapy (``assesses``)
    and lie no later than day :data:`EARLY_RESPONSE_WINDOW_DAYS`; an assessment that cannot be
    placed relative to the therapy counts only when it is the first one listed for it (case
    reports give the first response without a day). Each is classified from its counts when they
    are given, else its stated response is used (:func:`remission.rules.response.assess_response`).
    The best class wins: a remission is ``response``; any other class is ``no_response``; nothing
    classifiable is ``unknown``.
    """
    from remission.rules.response import RESPONSE_RANK, assess_response

    _check_anchor(case, therapy)
    candidates = [
        ev for ev in case.timeline if isinstance(ev, DiseaseAssessment) and ev.assesses == therapy
    ]
    notes: list[str] = []
    early: list[tuple[str, str]] = []
    for i, ev in enumerate(candidates):
        iv = case.interval(therapy, ev.id)
        if iv is None:
            if i != 0:
                continue
            notes.append(
                f"{ev.id} cannot be placed relative to {therapy}; taken as the early assessment "
                "because it is the first listed for it"
            )
        elif iv.lo > EARLY_RESPONSE_WINDOW_DAYS or iv.hi < 0:
            continue
        call = assess_response(case, ev.id)
        if call.response is not None:
            early.append((ev.id, call.response))
    if not early:
        why = (
            f"no response assessment of {therapy} within day {EARLY_RESPONSE_WINDOW_DAYS}"
            if not candidates
            else f"no assessment of {therapy} within day {EARLY_RESPONSE_WINDOW_DAYS} gives a "
            "response"
        )
        return EarlyResponse(therapy, "unknown", reason=why, notes=tuple(notes))
    best_id, best = max(early, key=lambda p: RESPONSE_RANK.get(p[1], 0))
    if best in REMISSION_CLASSES:
        return EarlyResponse(
            therapy, "response", best_id, best, f"{best} at {best_id}", tuple(notes)
        )
    return EarlyResponse(
        therapy,
        "no_response",
        best_id,
        best,
        f"best early response {best} at {best_id}: no CR, CRh or CRi",
        tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------


def overall_survival(case: Case, anchor: str | None = None) -> Outcome:
    """Overall survival from ``anchor`` (default: the first index therapy, else the diagnosis).

    Event: death from any cause. Censored at the last contact after the anchor (the latest
    event the case places after it: a follow-up, an assessment, a transplant, a therapy's end).
    """
    anchor = anchor or _default_anchor(case)
    _check_anchor(case, anchor)
    events = _after(case, anchor)
    death = _death(events)
    if death is not None:
        ev, note = death
        return _ending("OS", case, anchor, ev, "death", True, [note] if note else [])
    return _censor("OS", case, anchor, events, [])


def _therapy_for(case: Case, anchor: str, therapy: str | None) -> str | None:
    if therapy is not None:
        _check_anchor(case, therapy)
        return therapy
    if anchor == DIAGNOSIS:
        return None
    ev = case.event(anchor)
    return anchor if isinstance(ev, CarTInfusion | Therapy | HSCT) else None


def event_free_survival(
    case: Case,
    anchor: str | None = None,
    *,
    therapy: str | None = None,
    count_molecular: bool = False,
) -> Outcome:
    """Event-free survival from ``anchor`` (default: the first index therapy).

    Events, whichever comes first: no remission (CR, CRh, CRi) at the therapy's early
    ("day-28") assessment, counted at day 0 (:func:`early_response`); relapse; death from any
    cause. ``therapy`` is the therapy whose early response counts (default: the anchor itself
    when it is a therapy, a CAR-T infusion or a transplant; with any other anchor the
    no-response event is not applied, and a note says so). Molecular relapses are events only
    with ``count_molecular``. Censored at the last contact.
    """
    anchor = anchor or _default_anchor(case)
    _check_anchor(case, anchor)
    treated = _therapy_for(case, anchor, therapy)
    notes: list[str] = []
    if treated is None:
        notes.append(f"{anchor} is not a therapy: treatment failure at day 28 is not applied")
    else:
        early = early_response(case, treated)
        notes.extend(early.notes)
        if early.status == "no_response":
            assert early.assessment is not None
            return Outcome(
                endpoint="EFS",
                anchor=anchor,
                computable=True,
                event=True,
                end=early.assessment,
                end_kind="no_response",
                interval=Interval(0.0, 0.0),
                reason=None,
                notes=(*notes, f"{early.reason}: treatment failure, counted at day 0"),
            )
        if early.status == "unknown":
            notes.append(
                f"early response unknown ({early.reason}); EFS counts relapse and death only"
            )
    events = _after(case, anchor)
    for ev in events:
        relapse, note = _is_relapse(ev, count_molecular)
        if note and not relapse:
            notes.append(note)
        if relapse:
            return _ending(
                "EFS", case, anchor, ev, "relapse", True, notes + ([note] if note else [])
            )
        if isinstance(ev, Death):
            return _ending("EFS", case, anchor, ev, "death", True, notes)
    death = _death(events)
    if death is not None:
        ev, note = death
        return _ending("EFS", case, anchor, ev, "death", True, notes + ([note] if note else []))
    return _censor("EFS", case, anchor, events, notes)


def _remission_start(case: Case, therapy: str) -> tuple[str | None, str]:
    """The first assessment of the therapy showing CR, CRh or CRi (timeline order)."""
    from remission.rules.response import assess_response

    for ev in case.timeline:
        if isinstance(ev, DiseaseAssessment) and ev.assesses == therapy:
            call = assess_response(case, ev.id)
            if call.response in REMISSION_CLASSES:
                return ev.id, f"{call.response} at {ev.id}"
    return None, f"no assessment of {therapy} shows a remission (CR, CRh or CRi)"


def _from_remission(
    endpoint: Endpoint,
    case: Case,
    therapy: str | None,
    *,
    death_counts: bool,
    censor_at_hsct: bool,
    count_molecular: bool,
) -> Outcome:
    therapy = therapy or _default_anchor(case)
    if therapy == DIAGNOSIS:
        return Outcome(
            endpoint, therapy, False, reason="the case names no therapy to count a response of"
        )
    _check_anchor(case, therapy)
    start, why = _remission_start(case, therapy)
    if start is None:
        return Outcome(endpoint, therapy, False, reason=why)
    notes: list[str] = [f"counted from the first remission: {why}"]
    events = _after(case, start)
    for ev in events:
        relapse, note = _is_relapse(ev, count_molecular)
        if note and not relapse:
            notes.append(note)
        if relapse:
            return _ending(
                endpoint, case, start, ev, "relapse", True, notes + ([note] if note else [])
            )
        if isinstance(ev, Death):
            if death_counts or ev.cause == "disease":
                return _ending(endpoint, case, start, ev, "death", True, notes)
            notes.append(
                f"death without relapse (cause: {ev.cause}): the response did not end by relapse; "
                "censored at death"
            )
            return _ending(endpoint, case, start, ev, "death_censored", False, notes)
        if censor_at_hsct and isinstance(ev, HSCT):
            notes.append(f"censored at the transplant {ev.id} (censor_at_hsct)")
            return _ending(endpoint, case, start, ev, "hsct_censored", False, notes)
    death = _death(events)
    if death is not None:
        ev, note = death
        kind: EndKind = "death" if death_counts else "death_censored"
        return _ending(
            endpoint, case, start, ev, kind, death_counts, notes + ([note] if note else [])
        )
    return _censor(endpoint, case, start, events, notes)


def relapse_free_survival(
    case: Case,
    therapy: str | None = None,
    *,
    censor_at_hsct: bool = False,
    count_molecular: bool = False,
) -> Outcome:
    """Relapse-free survival from the first remission (CR, CRh, CRi) the therapy achieved.

    ``therapy`` defaults to the first index therapy; the anchor is its first assessment showing
    a remission. Events: relapse, or death from any cause. Censored at the last contact, or at
    an allogeneic or autologous transplant when ``censor_at_hsct`` (consolidative HSCT is
    censored in some CAR-T analyses). Not computable when no remission is recorded.
    """
    return _from_remission(
        "RFS",
        case,
        therapy,
        death_counts=True,
        censor_at_hsct=censor_at_hsct,
        count_molecular=count_molecular,
    )


def duration_of_response(
    case: Case,
    therapy: str | None = None,
    *,
    censor_at_hsct: bool = False,
    count_molecular: bool = False,
) -> Outcome:
    """Duration of response: from the first CR, CRh or CRi the therapy achieved to relapse.

    Event: relapse, or death from the disease (``cause: disease``). A death from any other or
    an unknown cause before a relapse is a death in remission: censored at the death. Otherwise
    censored at the last contact (or at a transplant with ``censor_at_hsct``).
    """
    return _from_remission(
        "DOR",
        case,
        therapy,
        death_counts=False,
        censor_at_hsct=censor_at_hsct,
        count_molecular=count_molecular,
    )
