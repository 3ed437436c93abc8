"""Numbers as reports write them: words, ordinals, ages, durations, dates and relative days.

"second relapse" -> 2, "4th relapse" -> 4, "a 7-year-old" -> 7 years, "18 months old" -> 1.5
years, "over the course of one year" -> 12 months, "day +28" / "D28" -> day 28, "November 2016"
-> ``2016-11``. Months are 30.4375 days (the project's one days-per-month constant, from
:mod:`remission.model.time`).
"""

from __future__ import annotations

import re

from remission.model.time import DAYS_PER_MONTH

__all__ = [
    "AGE",
    "DURATION",
    "NUMBER",
    "ORDINAL",
    "RELATIVE_DAY",
    "age_years",
    "calendar_date",
    "duration_months",
    "find_ages",
    "find_durations",
    "number",
    "ordinal",
    "relative_day",
]

_UNITS = {
    "zero": 0,
    "no": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "once": 1,
    "two": 2,
    "twice": 2,
    "both": 2,
    "three": 3,
    "thrice": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "half": 0.5,
}
_DIGIT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "primary": 1,
    "initial": 1,
    "secondary": 2,
    "tertiary": 3,
}
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}

_WORD = "|".join(
    sorted(
        [*_UNITS, *_TENS, *(f"{t}[- ]{u}" for t in _TENS for u in _DIGIT_WORDS)],
        key=len,
        reverse=True,
    )
)
#: A number: digits (with a decimal point or comma) or words ("twenty-one", "one and a half").
NUMBER = rf"(?:\d+(?:[.,]\d+)?|(?:{_WORD})(?: and a half)?)"
#: The characters a :data:`NUMBER` can start with (for :func:`remission.evidence.reading.quick`).
NUMBER_FIRST = "0-9" + "".join(sorted({w[0] for w in (*_UNITS, *_TENS)}))
#: An ordinal: "4th", "second", "2nd".
ORDINAL = r"(?:\d+\s*(?:st|nd|rd|th)|" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + ")"

#: A number-shaped word for patterns whose matches are checked by :func:`number` (far faster to
#: scan than the alternation of every number word).
_LOOSE = r"(?:\d+(?:[.,]\d+)?|[A-Za-z]+(?:-[A-Za-z]+)?(?: and a half)?)"
_UNIT = r"(?:years?|yrs?|y|months?|mo|mos|weeks?|wks?|days?|d)"
#: An age: "a 7-year-old", "aged 34", "at the age of 41", "18 months old", "34 years of age".
AGE = re.compile(
    r"\b(?:aged\s+|age\s+|at\s+)?(?P<cy>\d{1,2})[\s-]*(?:years?|yrs?|y)[\s-]*(?:and\s*)?(?P<cm>\d{1,2})[\s-]*(?:months?|mo)\b(?:[- ]old|\s+of\s+age)?"
    rf"|\b(?P<n>{_LOOSE})[- ](?P<u>year|yr|month|week|day)s?[- ]old\b"
    rf"|\b(?:aged|age(?: of| was|:)?|at the age of|at age)\s+(?P<n2>{_LOOSE})(?:\s*(?P<u2>years?|yrs?|months?|y|mo)\b)?"
    rf"|\b(?P<n3>{_LOOSE})\s*(?P<u3>years?|months?)\s+of\s+age\b"
    r"|\bat (?P<n6>\d{1,2}) (?P<u6>years?)\b(?!\s+(?:after|later|from|post|since|of follow|follow))"
    rf"|\b(?P<n4>\d{{1,2}})\s*(?:-\s*)?(?:yo|y/o|y\.o\.)\b"
    rf"|\b(?:pt|patient|case)\s*\d?\s*:\s*(?:[MF]|male|female)\s*,\s*(?P<n5>\d{{1,3}})\s*(?P<u5>y|yrs?|years?|mo|months?)\b",
    re.IGNORECASE,
)
#: A duration: "36 months", "one year", "2.5 years", "40 days".
DURATION = re.compile(rf"\b(?P<n>{_LOOSE})[- ]?(?P<u>{_UNIT})\b", re.IGNORECASE)
#: A relative day: "day 28", "day +28", "D28", "d+14", "on day 7".
RELATIVE_DAY = re.compile(r"\b(?:day|d)\s*\+?\s*(?P<n>\d{1,4})\b", re.IGNORECASE)
#: (The look-ahead on a digit or a month's initial lets the scan skip other positions quickly.)
_DATE = re.compile(
    "(?=[0-9" + "".join(sorted({m[0] for m in _MONTHS})) + "])"
    r"(?:\b(?:(?P<d>\d{1,2})\s+)?(?P<m>"
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\.?"
    r"(?:\s+(?P<d2>\d{1,2}),?)?\s+(?P<y>(?:19|20)\d\d)\b"
    r"|\b(?P<y2>(?:19|20)\d\d)-(?P<m2>\d\d)(?:-(?P<d3>\d\d))?\b"
    r"|\b(?P<m3>\d{1,2})/(?P<y3>(?:19|20)\d\d)\b"
    r"|\b(?P<y4>(?:19|20)\d\d)\b)",
    re.IGNORECASE,
)


_AGE_ANCHOR = re.compile(
    r"year|month|week|\bday|\bage|\byo\b|y/o|y\.o\.|\d\s*(?:y|yrs?|mo)\b", re.IGNORECASE
)
_DURATION_ANCHOR = re.compile(r"year|month|week|day|\d\s*(?:y|yrs?|mo|mos|wks?|d)\b", re.IGNORECASE)


def _near(pattern: re.Pattern[str], anchor: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Matches of ``pattern`` that lie near an ``anchor`` word, in text order.

    A number pattern that may be written in words is slow to try at every position of a long
    sentence; the unit words it needs are fast to find, so only the text around them is tried."""
    out: list[re.Match[str]] = []
    end = -1
    for a in anchor.finditer(text):
        start = max(0, a.start() - 45, end)
        for m in pattern.finditer(text, start, min(len(text), a.end() + 60)):
            if m.start() >= end:
                out.append(m)
                end = m.end()
    return out


def find_ages(text: str) -> list[re.Match[str]]:
    """Every :data:`AGE` in ``text``."""
    return _near(AGE, _AGE_ANCHOR, text)


def find_durations(text: str) -> list[re.Match[str]]:
    """Every :data:`DURATION` in ``text``."""
    return _near(DURATION, _DURATION_ANCHOR, text)


def number(text: str) -> float | None:
    """The value of a number written in digits or words; ``None`` when it is not one."""
    t = text.strip().lower().replace(",", ".")
    half = 0.0
    if t.endswith(" and a half"):
        half, t = 0.5, t[: -len(" and a half")]
    try:
        return float(t) + half
    except ValueError:
        pass
    if t in _UNITS:
        return _UNITS[t] + half
    if t in _TENS:
        return _TENS[t] + half
    m = re.fullmatch(r"(\w+)[- ](\w+)", t)
    if m and m.group(1) in _TENS and m.group(2) in _UNITS:
        return _TENS[m.group(1)] + _UNITS[m.group(2)] + half
    return None


def ordinal(text: str) -> int | None:
    """The value of an ordinal ("4th", "second"); ``None`` otherwise."""
    t = text.strip().lower()
    m = re.fullmatch(r"(\d+)\s*(?:st|nd|rd|th)", t)
    if m:
        return int(m.group(1))
    return _ORDINALS.get(t)


def _unit_months(unit: str) -> float | None:
    u = unit.lower()
    if u.startswith("y"):
        return 12.0
    if u.startswith("mo"):
        return 1.0
    if u.startswith("w"):
        return 7.0 / DAYS_PER_MONTH
    if u.startswith("d"):
        return 1.0 / DAYS_PER_MONTH
    return None


def duration_months(value: str, unit: str) -> float | None:
    """A duration in months: ``("one", "year")`` -> 12.0, ``("40", "days")`` -> 1.3."""
    n = number(value)
    per = _unit_months(unit)
    if n is None or per is None:
        return None
    return n * per


def age_years(match: re.Match[str]) -> float | None:
    """The age in years of an :data:`AGE` match (months and weeks converted, 2 decimals)."""
    groups = match.groupdict()
    if groups.get("cy"):
        years = round(int(groups["cy"]) + int(groups["cm"]) / 12.0, 2)
        return years if 0 < years <= 110 else None
    for n_key, u_key in (
        ("n", "u"),
        ("n2", "u2"),
        ("n3", "u3"),
        ("n4", None),
        ("n5", "u5"),
        ("n6", "u6"),
    ):
        if groups.get(n_key):
            n = number(groups[n_key])
            if n is None:
                return None
            unit = (groups.get(u_key) or "years") if u_key else "years"
            per = _unit_months(unit)
            if per is None:
                return None
            years = round(n * per / 12.0, 2)
            return years if 0 < years <= 110 else None
    return None


def relative_day(text: str) -> int | None:
    """The day of "day +28" / "D28"."""
    m = RELATIVE_DAY.search(text)
    return int(m.group("n")) if m else None


def calendar_date(text: str) -> str | None:
    """A partial date as ISO text (``2016``, ``2016-11``, ``2016-11-03``) from the first date in ``text``."""
    m = _DATE.search(text)
    if not m:
        return None
    g = m.groupdict()
    if g.get("m"):
        month = _MONTHS[g["m"].lower()]
        day = g.get("d") or g.get("d2")
        out = f"{g['y']}-{month:02d}"
        return f"{out}-{int(day):02d}" if day else out
    if g.get("y2"):
        out = f"{g['y2']}-{g['m2']}"
        return f"{out}-{g['d3']}" if g.get("d3") else out
    if g.get("y3"):
        return f"{g['y3']}-{int(g['m3']):02d}" if 1 <= int(g["m3"]) <= 12 else g["y3"]
    return g.get("y4")
