"""Reading one cell of a CSV or REDCap export: dates, numbers, yes/no, and units.

These are the parsers a table import applies to each cell before the value becomes part of a
Case. Each raises :class:`CellError` with a message for a person (the caller adds the file, row
and column). They are strict on purpose, because a table is where silent mix-ups happen:

* a date must match one of the formats the mapping declares; a date that two declared formats
  read differently (``03/04/2020`` as day-first and month-first) is refused as ambiguous, and a
  column whose cells use two formats of the same precision is refused as mixed
  (:class:`DateColumn`);
* a number is plain decimal text; a decimal comma is accepted only when declared, and a thousands
  separator never (``5,200`` could be 5.2 or 5200);
* a unit is converted only where the conversion holds for any analyte (a change of scale, or
  degrees Fahrenheit to Celsius); the table of units and conversions is data
  (``units.yaml`` beside this module).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from remission.model.time import PartialDate, Precision

__all__ = [
    "DEFAULT_DATE_FORMATS",
    "CellError",
    "DateColumn",
    "UnitTable",
    "describe_format",
    "format_precision",
    "load_units",
    "parse_boolean",
    "parse_date",
    "parse_number",
]

#: What a mapping reads when it declares no date format: ISO dates, as REDCap exports them
#: (whatever the entry format of the field), at day, month or year precision.
DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y-%m", "%Y")

_TRUE = frozenset({"1", "yes", "y", "true", "t", "ja", "oui", "si"})
_FALSE = frozenset({"0", "no", "n", "false", "f", "nein", "non"})
_DIRECTIVES = re.compile(r"%(.)")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,.' ]\d{3})+([.,]\d+)?$")
_ALLOWED_DIRECTIVES = frozenset("YmdbBy")


class CellError(ValueError):
    """One cell cannot be read as the mapping says; the message is for a person."""


# --- dates ----------------------------------------------------------------------------------------


def format_precision(fmt: str) -> Precision:
    """How much of a date a format gives: ``%d`` a day, ``%m``/``%b`` a month, else a year."""
    directives = set(_DIRECTIVES.findall(fmt))
    if "d" in directives:
        return Precision.DAY
    if directives & {"m", "b", "B"}:
        return Precision.MONTH
    return Precision.YEAR


_SHOW = {"%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD", "%b": "Mon", "%B": "Month"}


def describe_format(fmt: str) -> str:
    """A format as a person writes it: ``%d/%m/%Y`` -> ``DD/MM/YYYY``."""
    return re.sub(r"%[YymdbB]", lambda m: _SHOW[m.group(0)], fmt)


def check_format(fmt: str) -> None:
    """Refuse a declared format that cannot read a date (no year, unknown directives)."""
    directives = _DIRECTIVES.findall(fmt)
    unknown = [d for d in directives if d not in _ALLOWED_DIRECTIVES]
    if unknown:
        raise CellError(f"date format {fmt!r} uses %{unknown[0]}; use %Y, %y, %m, %d, %b or %B")
    if not {"Y", "y"} & set(directives):
        raise CellError(f"date format {fmt!r} has no year (%Y)")
    if "d" in directives and not {"m", "b", "B"} & set(directives):
        raise CellError(f"date format {fmt!r} has a day but no month")


#: Common formats tried only to explain a refusal ("this looks like DD/MM/YYYY").
_HINT_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d %b %Y")


def _strptime(text: str, fmt: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def parse_date(text: str, formats: Sequence[str] = DEFAULT_DATE_FORMATS) -> tuple[PartialDate, str]:
    """Read a calendar date in one of ``formats``; return it at the format's precision, and the
    format that read it.

    Refused: text no declared format reads (with the format it seems to be in, if any), text two
    formats read as different dates (ambiguous), and dates outside 1900-2200.
    """
    text = text.strip()
    readings: list[tuple[PartialDate, str]] = []
    for fmt in formats:
        day = _strptime(text, fmt)
        if day is None:
            continue
        precision = format_precision(fmt)
        try:
            if precision is Precision.DAY:
                point = PartialDate(day.year, day.month, day.day)
            elif precision is Precision.MONTH:
                point = PartialDate(day.year, day.month)
            else:
                point = PartialDate(day.year)
        except ValueError as exc:
            raise CellError(f"{text!r}: {exc}") from None
        readings.append((point, fmt))
    distinct = {str(p) for p, _ in readings}
    if len(distinct) > 1:
        shown = "; ".join(f"{p} as {describe_format(f)}" for p, f in readings)
        raise CellError(f"the date {text!r} is ambiguous: it reads as {shown}")
    if readings:
        return readings[0]
    declared = ", ".join(describe_format(f) for f in formats)
    hint = next((f for f in _HINT_FORMATS if f not in formats and _strptime(text, f)), None)
    msg = f"{text!r} is not a date in the declared format ({declared})"
    if hint is not None:
        msg += f"; it looks like {describe_format(hint)}: declare that format or fix the cell"
    raise CellError(msg)


@dataclass
class DateColumn:
    """The formats one column has used so far, to refuse a column of mixed formats.

    Two formats of the same precision in one column (``2020-03-04`` and ``04/03/2020``) mean the
    column was filled by different hands or tools; one of them may have swapped day and month, so
    the import stops and names the rows of the less used format. Formats of different precision
    (``2020-03-04`` beside ``2020-03``) are a partial date, not a mix.
    """

    used: dict[str, list[int]] = field(default_factory=dict)

    def add(self, fmt: str, row: int) -> None:
        self.used.setdefault(fmt, []).append(row)

    def mixed(self) -> list[tuple[str, str, list[int]]]:
        """(minority format, majority format, rows of the minority) for each clash."""
        out = []
        by_precision: dict[Precision, list[str]] = {}
        for fmt in self.used:
            by_precision.setdefault(format_precision(fmt), []).append(fmt)
        for fmts in by_precision.values():
            if len(fmts) < 2:
                continue
            ranked = sorted(fmts, key=lambda f: (-len(self.used[f]), self.used[f][0]))
            for minority in ranked[1:]:
                out.append((minority, ranked[0], self.used[minority]))
        return out


# --- numbers and yes/no ---------------------------------------------------------------------------


def parse_number(text: str, *, decimal: str = ".") -> float:
    """A finite decimal number; ``decimal=","`` accepts ``1,5``. Thousands separators are refused."""
    t = text.strip()
    if decimal == "," and _COMMA_DECIMAL.match(t):
        t = t.replace(",", ".")
    if _NUMBER.match(t):
        value = float(t)
        if not math.isfinite(value):
            raise CellError(f"{text!r} is not a finite number")
        return value
    if _THOUSANDS.match(t):
        raise CellError(
            f"{text!r} has a thousands separator or a decimal comma; write the number plainly "
            "(5200 or 5.2)"
        )
    if _COMMA_DECIMAL.match(t):
        raise CellError(
            f"{text!r} uses a decimal comma; write {t.replace(',', '.')} or declare "
            "'decimal: \",\"' in the mapping"
        )
    raise CellError(f"{text!r} is not a number")


def parse_boolean(text: str) -> bool:
    """yes/no, true/false, 1/0, y/n (REDCap's yesno and truefalse fields export 1 and 0)."""
    key = text.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(f"{text!r} is not yes/no (use 1/0, yes/no or true/false)")


# --- units ----------------------------------------------------------------------------------------


def _unit_key(text: str) -> str:
    # case matters: G/L (giga per litre) is not g/L (grams per litre)
    return re.sub(r"\s+", "", text.strip().replace("µ", "u").replace("μ", "u"))


class _Unit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    synonyms: tuple[str, ...] = ()


class _Conversion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    scale: float
    offset: float = 0.0


class UnitTable(BaseModel):
    """The units a table import knows, their spellings, and the safe conversions between them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    units: tuple[_Unit, ...]
    conversions: tuple[_Conversion, ...]

    @model_validator(mode="after")
    def _consistent(self) -> UnitTable:
        seen: dict[str, str] = {}
        for unit in self.units:
            for form in (unit.id, *unit.synonyms):
                key = _unit_key(form)
                if key in seen and seen[key] != unit.id:
                    raise ValueError(f"{form!r} names both {seen[key]!r} and {unit.id!r}")
                seen[key] = unit.id
        ids = {u.id for u in self.units}
        for conv in self.conversions:
            for end in (conv.source, conv.target):
                if end not in ids:
                    raise ValueError(f"conversion names unknown unit {end!r}")
            if conv.scale == 0 or not math.isfinite(conv.scale):
                raise ValueError(f"conversion {conv.source} -> {conv.target} has no usable scale")
        return self

    @cached_property
    def _index(self) -> dict[str, str]:
        return {_unit_key(f): u.id for u in self.units for f in (u.id, *u.synonyms)}

    def canonical(self, text: str) -> str | None:
        """The unit id a spelling names (``µg/L`` -> ``ug/L``), or None when unknown."""
        return self._index.get(_unit_key(text))

    def same(self, a: str, b: str) -> bool:
        ca, cb = self.canonical(a), self.canonical(b)
        return (ca is not None and ca == cb) or _unit_key(a) == _unit_key(b)

    def factor(self, source: str, target: str) -> tuple[float, float] | None:
        """(scale, offset) taking ``source`` to ``target``, or None when no safe conversion."""
        if self.same(source, target):
            return (1.0, 0.0)
        s, t = self.canonical(source), self.canonical(target)
        for conv in self.conversions:
            if (conv.source, conv.target) == (s, t):
                return (conv.scale, conv.offset)
            if (conv.source, conv.target) == (t, s):
                return (1.0 / conv.scale, -conv.offset / conv.scale)
        return None

    def convert(self, value: float, source: str, target: str) -> float:
        """``value`` in ``source`` expressed in ``target``; :class:`CellError` when unsafe."""
        f = self.factor(source, target)
        if f is None:
            raise CellError(
                f"the unit {source!r} cannot be converted to {target!r} safely (a unit mix-up?); "
                f"map this column with its own unit"
            )
        scale, offset = f
        out = value * scale + offset
        return float(f"{out:.12g}")


@cache
def load_units() -> UnitTable:
    """The bundled unit table (``units.yaml``), validated."""
    raw: Any = yaml.safe_load(
        resources.files("remission.interop").joinpath("units.yaml").read_text(encoding="utf-8")
    )
    return UnitTable.model_validate(raw)
