"""Toxicity episodes built from a case's daily CRS and ICANS assessments.

Each assessment is graded by the ASTCT 2019 rules (:func:`remission.rules.crs.grade_crs`,
:func:`remission.rules.icans.grade_icans`; source: Lee DW, Santomasso BD, et al., Biol Blood
Marrow Transplant 2019;25:625-638, via ``shared/reference/clinical-criteria.md`` sections 0, 1).
The consensus grades the *maximum* severity of an episode (section 1.5) but does not say where one
episode ends and the next begins; the rules chosen here are documented in ``docs/rules.md``
("Toxicity episodes"):

- one grade per day: the worst assessable grade of that day;
- an episode starts at the first day with grade >= 1 and resolves at the first grade-0 day after
  its last day with grade >= 1 (None while it is still going at the last assessment);
- grade >= 1 again fewer than :data:`EPISODE_GAP_DAYS` days after that grade-0 day continues the
  same episode; later, it starts a new one (so does a new infusion);
- "not assessable" (grade None) never starts, continues or ends an episode: it is kept in the
  episode's record and marks its maximum as possibly higher.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from remission.exceptions import GradingInputError
from remission.model import (
    CarTInfusion,
    Case,
    DailyAssessment,
    Interval,
    PartialDate,
    RelativeTime,
    Therapy,
)
from remission.model.assessment import GradeResult, ICANSAssessment
from remission.model.time import DAYS_PER_YEAR, ResolvedTime
from remission.rules.crs import grade_crs
from remission.rules.icans import grade_icans
from remission.rules.outcomes import interval_dict

__all__ = [
    "EPISODE_GAP_DAYS",
    "AssessmentGrade",
    "CaseGrading",
    "DailyGrade",
    "Episode",
    "build_episodes",
    "grade_case",
    "infusion_candidates",
]

Syndrome = Literal["crs", "icans"]
SYNDROMES: tuple[Syndrome, ...] = ("crs", "icans")

#: Two runs of grade >= 1 are separate episodes when the later one starts at least this many days
#: after the first grade-0 day that followed the earlier one (72 hours free of the syndrome). An
#: interpretation: ASTCT 2019 does not define it; see docs/rules.md.
EPISODE_GAP_DAYS = 3


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentGrade:
    """One syndrome of one daily assessment, graded.

    ``index`` is the assessment's position in ``case.assessments``; ``follows`` the infusion or
    therapy it is attributed to and ``day`` the days since it (bounds kept).
    """

    index: int
    at: str
    syndrome: Syndrome
    result: GradeResult
    follows: str | None = None
    day: Interval | None = None
    notes: tuple[str, ...] = ()

    @property
    def grade(self) -> int | None:
        return self.result.grade

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "at": self.at,
            "syndrome": self.syndrome,
            "follows": self.follows,
            "day": interval_dict(self.day),
            **self.result.model_dump(),
            "notes": [*self.result.notes, *self.notes],
        }


@dataclass(frozen=True)
class DailyGrade:
    """The grade of one day: the worst assessable grade of that day's assessments.

    ``grade`` None: nothing that day was assessable (``at_least`` then gives what the findings
    already establish). ``incomplete``: some assessment that day was not assessable.
    """

    at: str
    day: Interval | None
    grade: int | None
    at_least: int | None
    incomplete: bool
    assessments: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "day": interval_dict(self.day),
            "grade": self.grade,
            "at_least": self.at_least,
            "incomplete": self.incomplete,
            "assessments": list(self.assessments),
        }


@dataclass(frozen=True)
class Episode:
    """One CRS or ICANS episode computed from daily assessments (ASTCT 2019 grades).

    Days are counted from ``follows`` (the latest CAR-T infusion or therapy at or before the
    onset) when the times allow; ``duration`` runs from onset to resolution. ``may_be_higher``
    is True when an assessment inside the episode was not assessable: the maximum is then a
    lower bound.
    """

    syndrome: Syndrome
    number: int
    follows: str | None
    onset_at: str
    onset_day: Interval | None
    resolution_at: str | None
    resolution_day: Interval | None
    max_grade: int
    max_at: str
    max_day: Interval | None
    drivers: tuple[str, ...]
    daily: tuple[DailyGrade, ...]
    not_assessable: tuple[str, ...] = ()
    duration: Interval | None = None
    notes: tuple[str, ...] = ()

    @property
    def ongoing(self) -> bool:
        return self.resolution_at is None

    @property
    def may_be_higher(self) -> bool:
        return bool(self.not_assessable)

    def to_dict(self) -> dict[str, Any]:
        return {
            "syndrome": self.syndrome,
            "number": self.number,
            "follows": self.follows,
            "onset_at": self.onset_at,
            "onset_day": interval_dict(self.onset_day),
            "resolution_at": self.resolution_at,
            "resolution_day": interval_dict(self.resolution_day),
            "ongoing": self.ongoing,
            "max_grade": self.max_grade,
            "max_at": self.max_at,
            "max_day": interval_dict(self.max_day),
            "drivers": list(self.drivers),
            "may_be_higher": self.may_be_higher,
            "not_assessable": list(self.not_assessable),
            "duration": interval_dict(self.duration),
            "daily": [d.to_dict() for d in self.daily],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class CaseGrading:
    """Every daily assessment of a case graded, and the episodes built from them."""

    case_id: str
    assessments: tuple[AssessmentGrade, ...]
    episodes: tuple[Episode, ...]
    notes: tuple[str, ...] = ()
    gap_days: int = EPISODE_GAP_DAYS

    def episodes_for(self, syndrome: Syndrome) -> tuple[Episode, ...]:
        return tuple(e for e in self.episodes if e.syndrome == syndrome)

    def max_grade(self, syndrome: Syndrome, follows: str | None = None) -> int | None:
        """The worst computed grade of a syndrome (after ``follows`` when given).

        None when nothing was assessable, and when every assessable grade is 0 but some
        assessment was not assessable ("not assessed" is never grade 0). A not-assessable
        assessment's ``at_least`` counts toward the maximum.
        """
        items = [
            a
            for a in self.assessments
            if a.syndrome == syndrome and (follows is None or a.follows == follows)
        ]
        known = [a.result.grade for a in items if a.result.grade is not None]
        floors = [a.result.at_least for a in items if a.result.at_least is not None]
        if not known and not floors:
            return None
        top = max(known + floors)
        if top == 0 and len(known) < len(items):
            return None
        return top

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "scale": "ASTCT 2019",
            "gap_days": self.gap_days,
            "assessments": [a.to_dict() for a in self.assessments],
            "episodes": [e.to_dict() for e in self.episodes],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Attribution to an infusion
# --------------------------------------------------------------------------------------------


def infusion_candidates(case: Case) -> list[str]:
    """Events a toxicity can follow: CAR-T infusions, courses with a bispecific agent
    (blinatumomab), and the case's index therapies, in timeline order."""
    index = {ev.id for ev in case.index_events()}
    out = []
    for ev in case.timeline:
        if (
            isinstance(ev, CarTInfusion)
            or (isinstance(ev, Therapy) and "bispecific" in ev.agent_classes)
            or ev.id in index
        ):
            out.append(ev.id)
    return out


def _follows(
    case: Case, point: PartialDate | RelativeTime, candidates: Sequence[str]
) -> tuple[str | None, Interval | None, list[str]]:
    """The latest candidate at or before ``point``: certainly before if any, else possibly."""
    certain: list[tuple[float, int, str, Interval]] = []
    possible: list[tuple[float, int, str, Interval]] = []
    for pos, cid in enumerate(candidates):
        iv = case.interval(cid, point)
        if iv is None:
            continue
        if iv.lo >= 0:
            certain.append((iv.days, -pos, cid, iv))
        elif iv.hi >= 0:
            possible.append((iv.days, -pos, cid, iv))
    notes: list[str] = []
    if certain:
        days, _, cid, iv = min(certain)
        closer = [p[2] for p in possible if p[0] < days]
        if closer:
            notes.append(f"{', '.join(closer)} may also have come before {point}; {cid} is used")
        return cid, iv, notes
    if possible:
        days, _, cid, iv = min(possible, key=lambda p: (abs(p[0]), p[1]))
        notes.append(f"{cid} may have come after {point}; attributed to it as the nearest")
        return cid, iv, notes
    return None, None, notes


# --------------------------------------------------------------------------------------------
# Grading one assessment of a case
# --------------------------------------------------------------------------------------------


def _age_range(case: Case, point: PartialDate | RelativeTime) -> tuple[float, float, str] | None:
    """The patient's age at ``point``, as a range, from the stated age or the birth year."""
    age = case.patient.age
    if age is not None:
        iv = case.interval(age.at, point)
        if iv is None:
            return (
                age.years,
                age.years,
                f"age {age.years:g} years as stated at {age.at} (the assessment cannot be placed "
                "relative to it)",
            )
        return (
            max(age.years + iv.lo / DAYS_PER_YEAR, 0.0),
            max(age.years + iv.hi / DAYS_PER_YEAR, 0.0),
            f"age from the stated {age.years:g} years at {age.at}",
        )
    birth = case.patient.birth_year
    placed = case.place(point)
    if birth is not None and placed is not None and placed.axis is None:
        y_lo = dt.date.fromordinal(math.floor(placed.lo)).year
        y_hi = dt.date.fromordinal(math.ceil(placed.hi)).year
        return max(y_lo - birth - 1, 0), max(y_hi - birth, 0), f"age from the birth year {birth}"
    return None


def _grade_icans(
    case: Case, a: ICANSAssessment, point: PartialDate | RelativeTime
) -> tuple[GradeResult, list[str]]:
    if a.age_years is not None:
        return _safe(a), []
    ages = _age_range(case, point)
    if ages is None:
        return (
            GradeResult(
                syndrome="icans",
                grade=None,
                reason="the patient's age is needed to choose between the ICE (age >= 12) and "
                "the CAPD path; give age_years in the assessment or the patient's age",
            ),
            [],
        )
    lo, hi, why = ages
    low = _safe(a.model_copy(update={"age_years": lo}))
    high = _safe(a.model_copy(update={"age_years": hi}))
    if low.grade == high.grade and low.at_least == high.at_least:
        mid = _safe(a.model_copy(update={"age_years": (lo + hi) / 2}))
        return mid, [f"{why}: {(lo + hi) / 2:.1f} years"]
    return (
        GradeResult(
            syndrome="icans",
            grade=None,
            reason=f"the age at this assessment ({lo:.1f}-{hi:.1f} years, {why}) straddles the "
            f"ICE/CAPD age cut-off and the two paths give different grades "
            f"({low.grade if low.grade is not None else 'not assessable'} vs "
            f"{high.grade if high.grade is not None else 'not assessable'}); give age_years",
        ),
        [],
    )


def _safe(a: Any) -> GradeResult:
    try:
        return grade_icans(a) if isinstance(a, ICANSAssessment) else grade_crs(a)
    except GradingInputError as exc:
        return GradeResult(
            syndrome=a.syndrome,
            grade=None,
            reason="; ".join(p.message for p in exc.problems) or str(exc),
        )


def _grade_assessment(
    case: Case, index: int, d: DailyAssessment, candidates: Sequence[str]
) -> list[AssessmentGrade]:
    point = d.at
    follows, day, notes = _follows(case, point, candidates)
    out = []
    if d.crs is not None:
        out.append(
            AssessmentGrade(index, str(point), "crs", _safe(d.crs), follows, day, tuple(notes))
        )
    if d.icans is not None:
        result, more = _grade_icans(case, d.icans, point)
        out.append(
            AssessmentGrade(index, str(point), "icans", result, follows, day, tuple(notes + more))
        )
    return out


# --------------------------------------------------------------------------------------------
# Episodes
# --------------------------------------------------------------------------------------------


@dataclass
class _Day:
    key: tuple[str | None, int]
    point: PartialDate | RelativeTime
    items: list[AssessmentGrade] = field(default_factory=list)

    @property
    def grade(self) -> int | None:
        known = [i.result.grade for i in self.items if i.result.grade is not None]
        return max(known) if known else None

    @property
    def at_least(self) -> int | None:
        floors = [i.result.at_least for i in self.items if i.result.at_least is not None]
        return max(floors) if floors else None

    @property
    def follows(self) -> str | None:
        return self.items[0].follows

    def daily(self, day: Interval | None) -> DailyGrade:
        grade = self.grade
        return DailyGrade(
            at=str(self.point),
            day=day,
            grade=grade,
            at_least=self.at_least if grade is None else None,
            incomplete=any(i.result.grade is None for i in self.items),
            assessments=tuple(i.index for i in self.items),
        )


def _days(
    case: Case, graded: Sequence[AssessmentGrade], points: dict[int, PartialDate | RelativeTime]
) -> tuple[list[_Day], list[str]]:
    placed: list[tuple[ResolvedTime, AssessmentGrade]] = []
    for g in graded:
        rt = case.place(points[g.index])
        assert rt is not None  # every assessment has a time
        placed.append((rt, g))
    notes: list[str] = []
    axes = {rt.axis for rt, _ in placed}
    if len(axes) <= 1:
        placed.sort(key=lambda p: (p[0].mid, p[1].index))
    else:
        notes.append(
            "the assessments lie on different time axes (some are counted from undated events); "
            "their listed order is used"
        )
    days: list[_Day] = []
    for rt, g in placed:
        key = (rt.axis, math.floor(rt.mid))
        if days and days[-1].key == key:
            days[-1].items.append(g)
        else:
            days.append(_Day(key, points[g.index], [g]))
    return days, notes


def _gap(a: _Day, b: _Day) -> int | None:
    if a.key[0] != b.key[0]:
        return None
    return b.key[1] - a.key[1]


def _episode(
    case: Case,
    syndrome: Syndrome,
    number: int,
    days: list[_Day],
    resolution: _Day | None,
    notes: list[str],
) -> Episode:
    onset = days[0]
    follows = onset.follows

    def rel(d: _Day) -> Interval | None:
        return case.interval(follows, d.point) if follows is not None else None

    top = max(d.grade for d in days if d.grade is not None)
    peak = next(d for d in days if d.grade == top)
    drivers: list[str] = []
    for item in peak.items:
        if item.result.grade == top:
            drivers.extend(item.result.drivers)
    all_days = [*days, *([resolution] if resolution is not None else [])]
    not_assessable = [
        f"{i.at}: {i.result.reason}" for d in days for i in d.items if i.result.grade is None
    ]
    duration = case.interval(onset.point, resolution.point) if resolution is not None else None
    return Episode(
        syndrome=syndrome,
        number=number,
        follows=follows,
        onset_at=str(onset.point),
        onset_day=rel(onset),
        resolution_at=None if resolution is None else str(resolution.point),
        resolution_day=None if resolution is None else rel(resolution),
        max_grade=top,
        max_at=str(peak.point),
        max_day=rel(peak),
        drivers=tuple(dict.fromkeys(drivers)),
        daily=tuple(d.daily(rel(d)) for d in all_days),
        not_assessable=tuple(not_assessable),
        duration=duration,
        notes=tuple(notes),
    )


def build_episodes(
    case: Case,
    graded: Sequence[AssessmentGrade],
    syndrome: Syndrome,
    *,
    gap_days: int = EPISODE_GAP_DAYS,
) -> tuple[list[Episode], list[str]]:
    """The episodes of one syndrome from its graded assessments (rules in the module doc)."""
    points = {i: a.at for i, a in enumerate(case.assessments)}
    days, notes = _days(case, [g for g in graded if g.syndrome == syndrome], points)
    episodes: list[Episode] = []
    current: list[_Day] = []
    pending: list[_Day] = []  # days after the last grade >= 1 of the current episode
    first_zero: _Day | None = None
    ep_notes: list[str] = []

    def close() -> None:
        nonlocal current, pending, first_zero, ep_notes
        if current:
            inside = pending
            if first_zero is not None:
                inside = pending[: next(i for i, d in enumerate(pending) if d is first_zero)]
            number = len(episodes) + 1
            episodes.append(
                _episode(case, syndrome, number, current + inside, first_zero, ep_notes)
            )
        current, pending, first_zero, ep_notes = [], [], None, []

    for day in days:
        grade = day.grade
        if grade is None:
            if current:
                pending.append(day)
            continue
        if grade == 0:
            if current:
                pending.append(day)
                if first_zero is None:
                    first_zero = day
            continue
        if current:
            same_infusion = day.follows == current[0].follows
            if first_zero is None and same_infusion:
                current.extend(pending)
                pending = []
                current.append(day)
                continue
            gap = _gap(first_zero, day) if first_zero is not None else None
            if first_zero is not None and gap is not None and gap < gap_days and same_infusion:
                ep_notes.append(
                    f"grade 0 at {first_zero.point}, grade {grade} again {gap} day(s) later: "
                    f"the same episode (a new one needs {gap_days} days)"
                )
                current.extend(pending)
                pending, first_zero = [], None
                current.append(day)
                continue
            if not same_infusion and first_zero is None:
                ep_notes.append(
                    f"{day.follows} came before {day.point}: a new episode starts after it"
                )
            elif gap is None and first_zero is not None:
                ep_notes.append(
                    f"{day.point} cannot be placed relative to {first_zero.point}: a new episode"
                )
            close()
        current = [day]
    close()
    return episodes, notes


def grade_case(case: Case, *, gap_days: int = EPISODE_GAP_DAYS) -> CaseGrading:
    """Grade every daily assessment of a case (ASTCT 2019) and build its CRS and ICANS episodes.

    ICANS assessments without ``age_years`` take the patient's age at that time (from the stated
    age and where it was stated, else the birth year); when that age straddles the ICE/CAPD
    cut-off and the two paths disagree, the assessment is not assessable.
    """
    candidates = infusion_candidates(case)
    graded: list[AssessmentGrade] = []
    for i, d in enumerate(case.assessments):
        graded.extend(_grade_assessment(case, i, d, candidates))
    episodes: list[Episode] = []
    notes: list[str] = []
    for syndrome in SYNDROMES:
        found, more = build_episodes(case, graded, syndrome, gap_days=gap_days)
        episodes.extend(found)
        notes.extend(f"{syndrome.upper()}: {n}" for n in more)
    return CaseGrading(case.id, tuple(graded), tuple(episodes), tuple(notes), gap_days)
