"""Points in time as case reports give them, and the intervals between them.

A point in time is either

* a **partial calendar date** - ``2014``, ``2016-11`` or ``2017-03-05`` - that keeps its precision
  (year, month or day), or
* an **offset from another event of the same case** - ``car1+28d``, ``hsct1+2mo``, ``car2-5d``,
  ``diagnosis+1y`` - because reports say "day +28" and "two months after transplant".

Resolution turns every point into a range of days ``[lo, hi]`` on one axis: the calendar when the
chain of offsets ends at a calendar date, otherwise the day 0 of the undated event it ends at.
Intervals are computed between ranges on the same axis and carry their precision (DESIGN.md,
"Time"). Offsets in months and years are approximate: a month is 30.4375 days with half a month
either way, a year 365.25 days with half a year either way, because "two months later" in a report
means about that, not an exact count.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

__all__ = [
    "DAYS_PER_MONTH",
    "DAYS_PER_YEAR",
    "Interval",
    "PartialDate",
    "Precision",
    "RelativeTime",
    "ResolvedTime",
    "TimePoint",
    "TimeResolutionError",
    "interval_between",
    "parse_time",
    "resolve_all",
]

DAYS_PER_MONTH = 30.4375  # 365.25 / 12: the conventional average month used to convert follow-up.
DAYS_PER_YEAR = 365.25

_UNIT_DAYS: dict[str, tuple[float, float]] = {
    # unit -> (days per unit, half-width of the uncertainty per stated offset, in days)
    "d": (1.0, 0.0),
    "w": (7.0, 0.0),
    "mo": (DAYS_PER_MONTH, DAYS_PER_MONTH / 2),
    "y": (DAYS_PER_YEAR, DAYS_PER_YEAR / 2),
}
_UNIT_WORDS = {
    "d": "d",
    "day": "d",
    "days": "d",
    "w": "w",
    "wk": "w",
    "week": "w",
    "weeks": "w",
    "m": "mo",
    "mo": "mo",
    "mon": "mo",
    "month": "mo",
    "months": "mo",
    "y": "y",
    "yr": "y",
    "year": "y",
    "years": "y",
}


class Precision(StrEnum):
    """How much of a calendar date is known."""

    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True)
class PartialDate:
    """A calendar date known to the year, the month or the day (``2014``, ``2016-11``, ``2017-03-05``)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2200:
            raise ValueError(f"year {self.year} is outside 1900-2200")
        if self.month is None and self.day is not None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1-12")
        if self.day is not None:
            assert self.month is not None
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValueError(f"{self.year}-{self.month:02d} has no day {self.day}")

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    @property
    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> dt.date:
        if self.day is not None:
            return self.earliest
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def __lt__(self, other: PartialDate) -> bool:
        """Order by earliest then latest possible day (2014 sorts before 2014-03)."""
        if not isinstance(other, PartialDate):
            return NotImplemented
        return (self.earliest, self.latest) < (other.earliest, other.latest)

    @classmethod
    def from_date(cls, value: dt.date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


@dataclass(frozen=True)
class RelativeTime:
    """An offset from another event of the same case: ``car1+28d`` is day +28 after ``car1``."""

    ref: str
    amount: float = 0.0
    unit: str = "d"

    def __post_init__(self) -> None:
        if self.unit not in _UNIT_DAYS:
            raise ValueError(f"unknown unit {self.unit!r}; use d, w, mo or y")
        if not _REF_RE.match(self.ref):
            raise ValueError(
                f"{self.ref!r} is not an event id (letters, digits, '_', '.', '-', starting with a "
                "letter or digit)"
            )
        if (
            not math.isfinite(self.amount)
            or abs(self.amount * _UNIT_DAYS[self.unit][0]) > 200 * 366
        ):
            raise ValueError(f"offset {self.amount:g} {self.unit} is not a plausible time span")
        # offsets are kept to a millionth of a unit, and a zero offset is simply "the same day"
        object.__setattr__(self, "amount", round(float(self.amount), 6) + 0.0)
        if self.amount == 0:
            object.__setattr__(self, "unit", "d")

    @property
    def days(self) -> float:
        return self.amount * _UNIT_DAYS[self.unit][0]

    @property
    def uncertainty_days(self) -> float:
        return 0.0 if self.amount == 0 else _UNIT_DAYS[self.unit][1]

    def __str__(self) -> str:
        if self.amount == 0:
            # a bare id, unless the id itself reads as an offset ("car-1d"): then say "+0d"
            ambiguous = _REL_RE.match(self.ref) or _DATE_RE.match(self.ref)
            return f"{self.ref}+0d" if ambiguous else self.ref
        magnitude = abs(self.amount)
        text = str(int(magnitude)) if magnitude.is_integer() else f"{magnitude:.6f}".rstrip("0")
        sign = "+" if self.amount > 0 else "-"
        return f"{self.ref}{sign}{text}{self.unit}"


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
# An offset needs a unit ("car1+28d") or the word "day" ("car1 + day 28"); bare text is an id.
_REL_RE = re.compile(
    r"^(?P<ref>[A-Za-z0-9][A-Za-z0-9_.\-]*?)\s*(?P<sign>[+-])\s*"
    r"(?:(?P<dayword>day)\s*(?P<damount>\d+(?:\.\d+)?)|(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]+))$",
    re.IGNORECASE,
)
_NO_UNIT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*?\s*\+\s*\d+(?:\.\d+)?$")


def parse_time(value: Any) -> PartialDate | RelativeTime:
    """Read a point in time from a case file value.

    Accepts ``2014`` (int or str), ``"2016-11"``, ``"2017-03-05"``, a :class:`datetime.date`,
    ``"car1+28d"``, ``"hsct1+2mo"``, ``"car1 + day 28"``, ``"car2-5d"``, a bare event id (the same
    day as that event) or a mapping ``{after: car1, days: 28}`` / ``{before: car1, days: 5}``.
    Raises ``ValueError`` with a readable message otherwise.
    """
    if isinstance(value, PartialDate | RelativeTime):
        return value
    if isinstance(value, dt.datetime):
        return PartialDate.from_date(value.date())
    if isinstance(value, dt.date):
        return PartialDate.from_date(value)
    if isinstance(value, bool):
        raise ValueError("a point in time cannot be true/false")
    if isinstance(value, int):
        return PartialDate(value)
    if isinstance(value, Mapping):
        return _parse_mapping(value)
    if not isinstance(value, str):
        raise ValueError(
            "a point in time is a date (2014, 2016-11, 2017-03-05) or an offset from an event "
            "(car1+28d)"
        )
    return _parse_text(value.strip())


@lru_cache(maxsize=65_536)
def _parse_text(text: str) -> PartialDate | RelativeTime:
    """Parse the text form (cached: the values are immutable and texts repeat across cases)."""
    m = _DATE_RE.match(text)
    if m:
        year, month, day = (int(g) if g else None for g in m.groups())
        assert year is not None
        return PartialDate(year, month, day)
    m = _REL_RE.match(text)
    if m:
        ref = m.group("ref")
        if m.group("dayword"):
            unit, amount = "d", float(m.group("damount"))
        else:
            unit_word = m.group("unit").lower()
            unit = _UNIT_WORDS.get(unit_word, "")
            if not unit:
                raise ValueError(f"unknown time unit {unit_word!r} in {text!r}; use d, w, mo or y")
            amount = float(m.group("amount"))
        if m.group("sign") == "-":
            amount = -amount
        return RelativeTime(ref, amount, unit)
    if _NO_UNIT_RE.match(text):
        raise ValueError(
            f"{text!r} needs a unit: write e.g. {text.replace(' ', '')}d (days), w, mo or y"
        )
    if _REF_RE.match(text):
        return RelativeTime(text)
    raise ValueError(
        f"{text!r} is not a point in time: write a date (2014, 2016-11, 2017-03-05) or an offset "
        "from an event (car1+28d, hsct1+2mo, car2-5d)"
    )


def _parse_mapping(value: Mapping[str, Any]) -> RelativeTime:
    keys = set(value)
    direction = keys & {"after", "before"}
    if len(direction) != 1:
        raise ValueError("an offset mapping needs exactly one of 'after' or 'before' (an event id)")
    (dkey,) = direction
    units = keys - {"after", "before"}
    unit_map = {"days": "d", "weeks": "w", "months": "mo", "years": "y"}
    unknown = units - set(unit_map)
    if unknown or len(units) > 1:
        raise ValueError(
            "an offset mapping takes one of days, weeks, months or years, e.g. {after: car1, days: 28}"
        )
    ref = value[dkey]
    if not isinstance(ref, str) or not _REF_RE.match(ref):
        raise ValueError(f"'{dkey}' must name an event id")
    if not units:
        return RelativeTime(ref)
    (ukey,) = units
    amount = value[ukey]
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        raise ValueError(f"'{ukey}' must be a number")
    if amount < 0:
        raise ValueError(f"'{ukey}' must not be negative; use 'before' instead of 'after'")
    return RelativeTime(ref, -float(amount) if dkey == "before" else float(amount), unit_map[ukey])


def _validate(value: Any) -> PartialDate | RelativeTime:
    return parse_time(value)


TimePoint = Annotated[
    PartialDate | RelativeTime,
    BeforeValidator(_validate),
    PlainSerializer(lambda v: str(v), return_type=str),
    WithJsonSchema(
        {
            "type": ["string", "integer"],
            "description": "A partial date (2014, 2016-11, 2017-03-05) or an offset from another "
            "event of the case (car1+28d, hsct1+2mo, car2-5d).",
            "examples": ["2016-11", "car1+28d"],
        }
    ),
]


class TimeResolutionError(ValueError):
    """A reference points at no event, or offsets refer to each other in a loop."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)


@dataclass(frozen=True)
class ResolvedTime:
    """A point placed on an axis as a range of days.

    ``axis`` is ``None`` for the calendar (days counted as proleptic Gregorian ordinals) or the id of
    the undated event whose day 0 the chain of offsets ends at.
    """

    axis: str | None
    lo: float
    hi: float

    @property
    def exact(self) -> bool:
        return self.lo == self.hi

    @property
    def mid(self) -> float:
        return (self.lo + self.hi) / 2

    def as_dates(self) -> tuple[dt.date, dt.date] | None:
        if self.axis is not None:
            return None
        return dt.date.fromordinal(math.floor(self.lo)), dt.date.fromordinal(math.ceil(self.hi))


def _resolve_point(
    key: str,
    points: Mapping[str, PartialDate | RelativeTime | None],
    cache: dict[str, ResolvedTime],
) -> ResolvedTime:
    """Resolve one keyed point, following its chain of offsets iteratively (chains may be long)."""
    chain: list[str] = []
    on_chain: set[str] = set()
    current = key
    while current not in cache:
        if current in on_chain:
            loop = " -> ".join([*chain[chain.index(current) :], current])
            raise TimeResolutionError(key, f"times refer to each other in a loop: {loop}")
        if current not in points:
            if not chain:
                raise TimeResolutionError(key, f"no event with id {key!r} to count from")
            raise TimeResolutionError(
                chain[-1],
                f"{points[chain[-1]]} counts from {current!r}, which is no event of this case",
            )
        chain.append(current)
        on_chain.add(current)
        point = points[current]
        if point is None:
            cache[current] = ResolvedTime(current, 0.0, 0.0)
        elif isinstance(point, PartialDate):
            cache[current] = ResolvedTime(
                None, point.earliest.toordinal(), point.latest.toordinal()
            )
        else:
            current = point.ref
    for name in reversed(chain):
        if name in cache:
            continue
        point = points[name]
        assert isinstance(point, RelativeTime)
        base = cache[point.ref]
        u = point.uncertainty_days
        cache[name] = ResolvedTime(base.axis, base.lo + point.days - u, base.hi + point.days + u)
    return cache[key]


def resolve_all(points: Mapping[str, PartialDate | RelativeTime | None]) -> dict[str, ResolvedTime]:
    """Place every keyed point in time on an axis.

    ``points`` maps an event id to its time (``None`` when the event is undated: it then becomes
    an axis of its own, and offsets from it stay relative to it). Raises
    :class:`TimeResolutionError` for a dangling reference or a loop.
    """
    cache: dict[str, ResolvedTime] = {}
    for key in points:
        _resolve_point(key, points, cache)
    return cache


def resolve_one(
    point: PartialDate | RelativeTime | None,
    resolved: Mapping[str, ResolvedTime],
) -> ResolvedTime | None:
    """Place a point that is not itself a keyed event (a resolution date, an observation time)."""
    if point is None:
        return None
    if isinstance(point, PartialDate):
        return ResolvedTime(None, point.earliest.toordinal(), point.latest.toordinal())
    base = resolved.get(point.ref)
    if base is None:
        raise TimeResolutionError(
            point.ref, f"{point} counts from {point.ref!r}, which is no event of this case"
        )
    u = point.uncertainty_days
    return ResolvedTime(base.axis, base.lo + point.days - u, base.hi + point.days + u)


@dataclass(frozen=True)
class Interval:
    """The time from one point to another, in days, at the precision the data allow.

    ``lo``/``hi`` bound the true interval; ``days`` is the midpoint. ``exact`` is true when both
    ends were known to the day on the same axis.
    """

    lo: float
    hi: float

    @property
    def days(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def months(self) -> float:
        return self.days / DAYS_PER_MONTH

    @property
    def years(self) -> float:
        return self.days / DAYS_PER_YEAR

    @property
    def exact(self) -> bool:
        return self.lo == self.hi

    @property
    def uncertainty_days(self) -> float:
        return (self.hi - self.lo) / 2

    @property
    def precision(self) -> str:
        """``"exact"`` or ``"±N days"``: what a report or table should print beside the value."""
        if self.exact:
            return "exact"
        return f"±{self.uncertainty_days:.0f} days"

    def describe(self, unit: str = "days") -> str:
        value = {"days": self.days, "months": self.months, "years": self.years}[unit]
        if self.exact:
            return f"{value:.0f} {unit}" if unit == "days" else f"{value:.1f} {unit}"
        return f"about {value:.1f} {unit} ({self.precision})"


def interval_between(start: ResolvedTime, end: ResolvedTime) -> Interval | None:
    """The interval from ``start`` to ``end``; ``None`` when they lie on different axes.

    Two points on different axes (one dated, one counted from an undated event) cannot be compared:
    the answer is unknown, never a guess.
    """
    if start.axis != end.axis:
        return None
    return Interval(end.lo - start.hi, end.hi - start.lo)
