"""The Case: one patient's course as one validated document (DESIGN.md, "The one idea").

Beyond field types, a Case checks what only the whole document can: event ids are unique, every
reference names an event of the case, times that count from other events resolve without loops,
and the chronology is possible (nothing before diagnosis, nothing after death, no episode that ends
before it starts). With partial dates a conflict is reported only when it is certain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any, Literal, Self, TypeVar

from pydantic import Field, model_validator

from remission.model.assessment import CRSAssessment, ICANSAssessment
from remission.model.base import Frozen, Identifier, ShortText, Text
from remission.model.events import (
    EVENT_LABELS,
    HSCT,
    TIME_FIELD,
    CarTInfusion,
    Death,
    DiseaseAssessment,
    Event,
    Relapse,
    Therapy,
    ToxicityEpisode,
    event_time,
    field_value,
)
from remission.model.evidence import Extraction
from remission.model.observations import ObservationSeries
from remission.model.patient import Diagnosis, Patient
from remission.model.time import (
    Interval,
    PartialDate,
    RelativeTime,
    ResolvedTime,
    TimePoint,
    TimeResolutionError,
    interval_between,
    parse_time,
    resolve_all,
    resolve_one,
)

__all__ = ["SCHEMA_VERSION", "Case", "CaseConsistencyError", "DailyAssessment", "Source"]

SCHEMA_VERSION: Literal[1] = 1
DIAGNOSIS_REF = "diagnosis"
_INTERVAL_MEMO = 4096  # intervals remembered per case (a case asks for a few dozen)
_DERIVED_ATTRIBUTES = ("resolved_times", "_events_by_id", "_intervals")  # cached properties

E = TypeVar("E")

#: A point of a case: an event id, ``diagnosis``, or a point in time.
Point = str | PartialDate | RelativeTime


class CaseConsistencyError(ValueError):
    """Whole-document problems, each with the dotted path of the field at fault."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in problems))


class Source(Frozen):
    """Where the facts come from: a publication, a record system, or a generator."""

    kind: Literal[
        "case_report", "case_series", "cohort", "clinical_record", "registry", "synthetic"
    ]
    citation: Text | None = None
    doi: ShortText | None = None
    pmid: ShortText | None = None
    url: ShortText | None = None
    note: Text | None = None


class DailyAssessment(Frozen):
    """One bedside toxicity assessment: CRS and/or ICANS findings at one time.

    The findings use the bedside-calculator vocabulary of :mod:`remission.model.assessment`, so a
    case's daily observations are graded by the same code as ``remission grade``.
    """

    at: TimePoint
    crs: CRSAssessment | None = None
    icans: ICANSAssessment | None = None
    note: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _syndrome_implied(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("crs", "icans"):
                if isinstance(data.get(key), dict) and "syndrome" not in data[key]:
                    data[key] = {"syndrome": key, **data[key]}
        return data

    @model_validator(mode="after")
    def _something(self) -> DailyAssessment:
        if self.crs is None and self.icans is None:
            raise ValueError("an assessment needs CRS or ICANS findings (or both)")
        return self


class Case(Frozen):
    """One patient's course: who, what disease, what happened when, and what was measured."""

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: Literal["case"] = "case"
    id: Identifier = Field(description="Pseudonymous case id, unique in the store.")
    status: Literal["final", "draft"] = "final"
    source: Source | None = None
    patient: Patient = Patient()
    diagnosis: Diagnosis = Diagnosis()
    index: tuple[Identifier, ...] = Field(
        (),
        description="Ids of the index therapies: the ones the case is about and whose outcome it "
        "reports (DESIGN.md, CaseSummary). Empty: the last CAR-T infusion, else the last "
        "blinatumomab course.",
    )
    complete_history: bool = Field(
        False,
        description="True when the timeline lists every relapse, transplant and therapy line: "
        "then an absent event means it did not happen. Case reports are rarely complete.",
    )
    timeline: tuple[Event, ...] = Field(
        (), description="Events in the order they happened (undated events are placed by order)."
    )
    assessments: tuple[DailyAssessment, ...] = ()
    observations: tuple[ObservationSeries, ...] = ()
    notes: Text | None = None
    extraction: Extraction | None = Field(
        None,
        description="For a case drafted from a report's text: the text, every extracted value "
        "with its evidence spans, and each value's review decision.",
    )

    # -- whole-document checks --------------------------------------------------------------

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        problems: list[tuple[str, str]] = []
        ids: dict[str, str] = {}
        for i, ev in enumerate(self.timeline):
            path = f"timeline[{i}].id"
            if ev.id == DIAGNOSIS_REF:
                problems.append((path, "'diagnosis' is reserved for the diagnosis date"))
            elif ev.id in ids:
                problems.append((path, f"id {ev.id!r} is used twice (first at {ids[ev.id]})"))
            else:
                ids[ev.id] = f"timeline[{i}]"
        for i, series in enumerate(self.observations):
            if series.id in ids or series.id == DIAGNOSIS_REF:
                problems.append((f"observations[{i}].id", f"id {series.id!r} is already used"))
        if problems:
            raise CaseConsistencyError(problems)

        events = {ev.id: ev for ev in self.timeline}
        known = set(events) | {DIAGNOSIS_REF}

        def need(
            path: str, ref: str | None, allowed: tuple[type, ...] | None = None, what: str = ""
        ) -> None:
            if ref is None:
                return
            if ref not in known:
                problems.append((path, f"refers to {ref!r}, which is no event of this case"))
            elif allowed is not None and not isinstance(events.get(ref), allowed):
                problems.append((path, f"{ref!r} is not {what}"))

        for i, ref in enumerate(self.index):
            need(
                f"index[{i}]",
                ref,
                (Therapy, CarTInfusion, HSCT),
                "a therapy, CAR-T infusion or HSCT",
            )
        if len(set(self.index)) != len(self.index):
            problems.append(("index", "an index therapy is listed twice"))
        if self.patient.age is not None:
            need("patient.age.at", self.patient.age.at)
        for i, ev in enumerate(self.timeline):
            base = f"timeline[{i}]"
            if isinstance(ev, DiseaseAssessment):
                need(f"{base}.assesses", ev.assesses)
            if isinstance(ev, ToxicityEpisode):
                need(f"{base}.after", ev.after)
            if isinstance(ev, Therapy):
                need(f"{base}.added_to", ev.added_to, (Therapy,), "a therapy")
            donor = field_value(ev, "donor")
            if donor is not None:
                need(f"{base}.donor.same_as", donor.same_as)
        for i, series in enumerate(self.observations):
            need(f"observations[{i}].anchor", series.anchor)
        if problems:
            raise CaseConsistencyError(problems)

        try:
            resolved = self.resolved_times
        except TimeResolutionError as exc:
            raise CaseConsistencyError([(self._path_of(exc.key), str(exc))]) from None
        problems.extend(self._relative_refs_ok(resolved))
        if not problems:
            problems.extend(self._chronology(resolved))
        if problems:
            raise CaseConsistencyError(problems)
        return self

    def _path_of(self, key: str) -> str:
        if key == DIAGNOSIS_REF:
            return "diagnosis.date"
        for i, ev in enumerate(self.timeline):
            if ev.id == key:
                attr = TIME_FIELD.get(ev.type, "date")
                return f"timeline[{i}].{attr}"
        return "timeline"

    def _secondary_times(self) -> Iterator[tuple[str, Any]]:
        """Times that are not an event's own place: ends, resolutions, observation points."""
        for i, ev in enumerate(self.timeline):
            for attr in ("end", "resolved"):
                if field_value(ev, attr) is not None:
                    yield f"timeline[{i}].{attr}", field_value(ev, attr)
            ld = field_value(ev, "lymphodepletion")
            if ld is not None and ld.start is not None:
                yield f"timeline[{i}].lymphodepletion.start", ld.start
        for i, a in enumerate(self.assessments):
            yield f"assessments[{i}].at", a.at
        for i, s in enumerate(self.observations):
            for j, p in enumerate(s.points):
                if p.at is not None:
                    yield f"observations[{i}].points[{j}].at", p.at

    def _relative_refs_ok(self, resolved: dict[str, ResolvedTime]) -> list[tuple[str, str]]:
        out = []
        for path, tp in self._secondary_times():
            if isinstance(tp, RelativeTime) and tp.ref not in resolved:
                out.append((path, f"counts from {tp.ref!r}, which is no event of this case"))
        return out

    def _chronology(self, resolved: dict[str, ResolvedTime]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []

        def certainly_before(a: ResolvedTime | None, b: ResolvedTime | None) -> bool:
            return a is not None and b is not None and a.axis == b.axis and a.hi < b.lo

        dx = resolved.get(DIAGNOSIS_REF) if self.diagnosis.date is not None else None
        deaths = [(i, ev) for i, ev in enumerate(self.timeline) if isinstance(ev, Death)]
        if len(deaths) > 1:
            out.append((f"timeline[{deaths[1][0]}]", "a patient can die only once"))
        death_t = (
            resolved.get(deaths[0][1].id) if deaths and deaths[0][1].date is not None else None
        )
        for i, ev in enumerate(self.timeline):
            t = resolved.get(ev.id) if event_time(ev) is not None else None
            path = self._path_of(ev.id)
            label = EVENT_LABELS[ev.type]
            clinical = (Relapse, CarTInfusion, HSCT, Death, DiseaseAssessment, ToxicityEpisode)
            if isinstance(ev, clinical) and certainly_before(t, dx):
                out.append((path, f"this {label} is dated before the diagnosis"))
            if death_t is not None and not isinstance(ev, Death) and certainly_before(death_t, t):
                out.append((path, f"this {label} is dated after the patient's death"))
            follows = field_value(ev, "after") or field_value(ev, "assesses")
            if follows is not None and follows != DIAGNOSIS_REF and t is not None:
                ref_ev = self.event(follows)
                if event_time(ref_ev) is not None and certainly_before(t, resolved.get(follows)):
                    attr = "onset" if isinstance(ev, ToxicityEpisode) else "date"
                    out.append(
                        (
                            f"timeline[{i}].{attr}",
                            f"this {label} is dated before {follows!r}, the event it follows",
                        )
                    )
            end = field_value(ev, "end") or field_value(ev, "resolved")
            if end is not None and t is not None:
                end_t = resolve_one(end, resolved)
                if certainly_before(end_t, t):
                    attr = "end" if field_value(ev, "end") is not None else "resolved"
                    out.append((f"timeline[{i}].{attr}", f"this {label} ends before it starts"))
        return out

    # -- navigation ---------------------------------------------------------------------------

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (pydantic's), without what this case worked out from its own fields (times,
        intervals): pydantic copies those along, and they would be wrong for a copy whose
        timeline or diagnosis ``update`` changed."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _DERIVED_ATTRIBUTES:
            copied.__dict__.pop(name, None)
        return copied

    @cached_property
    def resolved_times(self) -> dict[str, ResolvedTime]:
        """Every event (and ``diagnosis``) placed on an axis; see :mod:`remission.model.time`."""
        points: dict[str, PartialDate | RelativeTime | None] = {DIAGNOSIS_REF: self.diagnosis.date}
        for ev in self.timeline:
            points[ev.id] = event_time(ev)  # type: ignore[assignment]
        return resolve_all(points)

    @cached_property
    def _events_by_id(self) -> dict[str, Event]:
        return {ev.id: ev for ev in self.timeline}

    def event(self, event_id: str) -> Event:
        try:
            return self._events_by_id[event_id]
        except KeyError:
            raise KeyError(f"case {self.id!r} has no event {event_id!r}") from None

    def events(self, kind: type[E]) -> list[E]:
        """The timeline events of one type, in timeline order."""
        return [ev for ev in self.timeline if isinstance(ev, kind)]

    def time_of(self, ref: str) -> ResolvedTime:
        """Where an event (or ``diagnosis``) sits.

        An undated event is day 0 of an axis of its own, so offsets from it still compare with
        each other but never with calendar dates.
        """
        if ref not in self.resolved_times:
            raise KeyError(f"case {self.id!r} has no event {ref!r}")
        return self.resolved_times[ref]

    def place(self, point: PartialDate | RelativeTime | None) -> ResolvedTime | None:
        """Place any point in time of this case on its axis."""
        return resolve_one(point, self.resolved_times)

    def as_point(self, value: Point) -> Point:
        """An event id (or ``diagnosis``) stays an id; other text is read as a point in time."""
        if isinstance(value, str) and value not in self.resolved_times:
            return parse_time(value)
        return value

    def stated_time(self, ref: str) -> PartialDate | RelativeTime | None:
        """The time an event (or ``diagnosis``) is written with, as given."""
        if ref == DIAGNOSIS_REF:
            return self.diagnosis.date
        return event_time(self.event(ref))  # type: ignore[return-value]

    def offset_chain(self, point: Point) -> list[tuple[str, float, float]]:
        """The events a point counts from, nearest first, each with the offset range from it.

        ``car1+28d`` where ``car1`` is ``rel1+60d`` gives ``[(car1, 28, 28), (rel1, 88, 88)]``
        (an event id first lists itself at offset 0).
        """
        point = self.as_point(point)
        out: list[tuple[str, float, float]] = []
        seen: set[str] = set()
        current: PartialDate | RelativeTime | None
        if isinstance(point, str):
            out.append((point, 0.0, 0.0))
            seen.add(point)
            current = self.stated_time(point)
        else:
            current = point
        lo = hi = 0.0
        while isinstance(current, RelativeTime):
            u = current.uncertainty_days
            lo += current.days - u
            hi += current.days + u
            out.append((current.ref, lo, hi))
            if current.ref in seen:  # loops are refused by validation; never spin here
                break
            seen.add(current.ref)
            current = self.stated_time(current.ref)
        return out

    def locate(self, point: Point) -> ResolvedTime | None:
        """Place an event id, ``diagnosis`` or a point in time on the case's axes."""
        point = self.as_point(point)
        if isinstance(point, str):
            return self.time_of(point)
        return self.place(point)

    def interval(self, start: Point, end: Point) -> Interval | None:
        """Time from ``start`` to ``end`` (event ids, ``diagnosis``, or points such as ``car1+28d``).

        When one point counts from the other, directly or through a chain of offsets, the
        interval is the sum of the stated offsets: ``car1+28d`` is exactly 28 days after
        ``car1`` even when ``car1`` is dated only to the month. Otherwise both are placed on the
        case's axes and compared at the precision the data allow; ``None`` when they lie on
        different axes (one dated, one counted from an undated event): unknowable, never guessed.
        """
        # the case is frozen, so an interval once worked out stays true: the rules ask for the
        # same few (grading, responses and outcomes each measure from the infusion)
        key = (start, end)
        if key in self._intervals:
            return self._intervals[key]
        found = self._interval(start, end)
        if len(self._intervals) < _INTERVAL_MEMO:
            self._intervals[key] = found
        return found

    @cached_property
    def _intervals(self) -> dict[tuple[Point, Point], Interval | None]:
        return {}

    def _interval(self, start: Point, end: Point) -> Interval | None:
        start_chain = {ref: (lo, hi) for ref, lo, hi in self.offset_chain(start)}
        for ref, elo, ehi in self.offset_chain(end):
            if ref in start_chain:
                slo, shi = start_chain[ref]
                return Interval(elo - shi, ehi - slo)
        a, b = self.locate(start), self.locate(end)
        if a is None or b is None:
            return None
        return interval_between(a, b)

    def index_events(self) -> list[Event]:
        """The index therapies (explicit, else the last CAR-T infusion, else the last blinatumomab)."""
        if self.index:
            return [self.event(i) for i in self.index]
        cars = self.events(CarTInfusion)
        if cars:
            return [cars[-1]]
        blina = [t for t in self.events(Therapy) if "blinatumomab" in t.agents]
        return [blina[-1]] if blina else []
