"""Kinetic profiles from a Case's observation series (CAR-T levels, B cells).

A series' points are placed in days from its anchor (usually the infusion, day 0); points given
with their own time are placed relative to the anchor when the case allows it exactly, else the
profile cannot be built and the reason says which point.
"""

from __future__ import annotations

from remission.exceptions import KineticsInputError, Problem
from remission.kinetics.profile import Profile
from remission.model import Case, ObservationSeries, load_vocabulary

__all__ = ["car_t_series", "profile_from_series"]


def car_t_series(case: Case) -> list[ObservationSeries]:
    """The case's CAR-T level series (flow %, cells/uL or transgene copies), in file order."""
    return [s for s in case.observations if s.is_car_t]


def _pick(case: Case, series_id: str | None) -> ObservationSeries:
    if series_id is not None:
        for s in case.observations:
            if s.id == series_id:
                return s
        known = ", ".join(s.id for s in case.observations) or "none"
        raise KineticsInputError(
            Problem(f"case {case.id!r} has no observation series {series_id!r} (series: {known})")
        )
    found = car_t_series(case)
    if not found:
        raise KineticsInputError(Problem(f"case {case.id!r} has no CAR-T level series to analyse"))
    return found[0]


def profile_from_series(case: Case, series_id: str | None = None) -> Profile:
    """The :class:`Profile` of one series (default: the case's first CAR-T series)."""
    series = _pick(case, series_id)
    days: list[float] = []
    problems: list[Problem] = []
    where = f"{case.id}:{series.id}"
    for j, point in enumerate(series.points):
        if point.day is not None:
            days.append(point.day)
            continue
        interval = case.interval(series.anchor, point.at) if series.anchor and point.at else None
        if interval is None or not interval.exact:
            problems.append(
                Problem(
                    f"the time {point.at} cannot be placed exactly in days from "
                    f"{series.anchor or 'an anchor'}; give 'day' instead",
                    where,
                    field=f"points[{j}].at",
                )
            )
            days.append(float("nan"))
        else:
            days.append(interval.days)
    if problems:
        raise KineticsInputError(problems)
    return Profile.from_arrays(
        days,
        [p.value for p in series.points],
        blq=[p.blq for p in series.points],
        lloq=series.lloq,
        unit=series.unit,
        analyte=load_vocabulary("analytes").get(series.analyte).label,
        label=where,
    )
