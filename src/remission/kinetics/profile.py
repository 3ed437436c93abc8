"""One measured kinetic profile (a CAR-T level or a B-cell count over days from infusion).

A :class:`Profile` is the validated input of every kinetic analysis: sample days counted from the
CAR-T infusion (day 0), the measured values, a below-quantification flag per sample, the lower
limit of quantification (LLOQ) per sample where known, and the unit. It is built with
:meth:`Profile.from_arrays`, which checks everything at once and raises
:class:`~remission.exceptions.KineticsInputError` listing every problem found.

Conventions (docs/kinetics.md, "Input"; reference kinetics.md §2.4–2.6):

* days must be finite and strictly increasing (no sorting is done for you: an unsorted or
  duplicated day is an input error, because it usually means a transcription mistake);
* values must be finite and non-negative; a missing value is only allowed on a sample flagged
  below quantification (BLQ);
* a sample is BLQ when it is flagged so, when its value is below its LLOQ, or when its value is
  exactly 0 ("not detected"); the value of a BLQ sample is never used as a level;
* negative days (pre-infusion baseline samples) are kept but ignored by the post-infusion
  analyses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from remission.exceptions import KineticsInputError, Problem

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["Profile"]


def _frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _as_float(x: object) -> float | None:
    """A float from a number-like value, NaN for None; None when it is not a number at all."""
    if x is None:
        return math.nan
    if isinstance(x, bool):
        return None
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, eq=False)
class Profile:
    """A validated kinetic profile. Build it with :meth:`from_arrays`.

    Attributes are read-only numpy arrays of equal length:

    ``days``
        sample times in days from infusion (strictly increasing; may start before 0);
    ``values``
        measured values (NaN where a BLQ sample carries no number);
    ``blq``
        True where the sample is below quantification (flagged, below its LLOQ, or 0);
    ``lloq``
        LLOQ per sample, NaN where unknown.

    ``unit`` is carried along with the figures (never pooled across units); ``analyte`` and
    ``label`` are free text used in messages, plots and JSON.

    Source: conventions of reference kinetics.md §2.4 (units) and §2.5 (BLQ coded as
    not-quantifiable, PKNCA).
    """

    days: FloatArray
    values: FloatArray
    blq: BoolArray
    lloq: FloatArray
    unit: str = ""
    analyte: str = ""
    label: str = ""
    lines: tuple[int, ...] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        days: Sequence[object] | npt.ArrayLike,
        values: Sequence[object] | npt.ArrayLike,
        *,
        blq: Sequence[object] | npt.ArrayLike | None = None,
        lloq: float | Sequence[object] | npt.ArrayLike | None = None,
        unit: str = "",
        analyte: str = "",
        label: str = "",
        lines: Sequence[int] | None = None,
    ) -> Profile:
        """Validate plain arrays and build a :class:`Profile`.

        ``blq`` is an optional sequence of booleans; ``lloq`` a scalar (one LLOQ for the whole
        profile) or one value per sample (None/NaN where unknown). ``label`` names the input in
        messages (a file name or case id) and ``lines`` gives the source line of each sample
        (used only to locate problems).

        Raises :class:`KineticsInputError` with one :class:`Problem` per defect: lengths that
        differ, a non-numeric or non-finite day, days not strictly increasing (unsorted or
        duplicated), a negative or non-finite value, a missing value on a sample not flagged BLQ,
        a negative LLOQ, or an empty profile. See docs/kinetics.md "Input".
        """
        where = label or None
        problems: list[Problem] = []

        def _line(i: int) -> int | None:
            if lines is not None and i < len(lines):
                return int(lines[i])
            return None

        def _p(msg: str, i: int | None = None, fld: str | None = None) -> None:
            if i is not None and lines is None and fld is not None:
                fld = f"{fld}[{i}]"
            problems.append(
                Problem(msg, where=where, line=None if i is None else _line(i), field=fld)
            )

        day_list = list(np.asarray(days, dtype=object).ravel())
        value_list = list(np.asarray(values, dtype=object).ravel())
        n = len(day_list)
        if n == 0:
            raise KineticsInputError([Problem("the profile has no samples", where=where)])
        if len(value_list) != n:
            raise KineticsInputError(
                [Problem(f"{n} days but {len(value_list)} values", where=where, field="values")]
            )
        if blq is None:
            blq_list: list[object] = [False] * n
        else:
            blq_list = list(np.asarray(blq, dtype=object).ravel())
            if len(blq_list) != n:
                raise KineticsInputError(
                    [Problem(f"{n} days but {len(blq_list)} BLQ flags", where=where, field="blq")]
                )
        if lloq is None:
            lloq_list: list[object] = [None] * n
        elif np.ndim(np.asarray(lloq, dtype=object)) == 0:
            lloq_list = [lloq] * n
        else:
            lloq_list = list(np.asarray(lloq, dtype=object).ravel())
            if len(lloq_list) != n:
                raise KineticsInputError(
                    [
                        Problem(
                            f"{n} days but {len(lloq_list)} LLOQ values", where=where, field="lloq"
                        )
                    ]
                )

        d = np.full(n, math.nan)
        v = np.full(n, math.nan)
        q = np.full(n, math.nan)
        flag = np.zeros(n, dtype=bool)
        for i in range(n):
            di = _as_float(day_list[i])
            if di is None or not math.isfinite(di):
                _p(f"day {day_list[i]!r} is not a finite number", i, "day")
            else:
                d[i] = di
            fi = blq_list[i]
            is_int01 = isinstance(fi, (int, np.integer)) and int(fi) in (0, 1)
            if isinstance(fi, (bool, np.bool_)) or is_int01:
                flag[i] = bool(fi)
            else:
                _p(f"BLQ flag {fi!r} is not true/false", i, "blq")
            li = _as_float(lloq_list[i])
            if li is None or math.isinf(li):
                _p(f"LLOQ {lloq_list[i]!r} is not a number", i, "lloq")
            elif li < 0:
                _p(f"LLOQ {li:g} is negative", i, "lloq")
            else:
                q[i] = li
            vi = _as_float(value_list[i])
            if vi is None or math.isinf(vi):
                _p(f"value {value_list[i]!r} is not a number", i, "value")
            elif math.isnan(vi):
                if not flag[i]:
                    _p(
                        "value is missing and the sample is not marked below quantification "
                        "(give a value, mark it BLQ, or remove the row)",
                        i,
                        "value",
                    )
            elif vi < 0:
                _p(f"value {vi:g} is negative; levels and counts cannot be below 0", i, "value")
            else:
                v[i] = vi
        for i in range(1, n):
            if math.isnan(d[i]) or math.isnan(d[i - 1]):
                continue
            if d[i] == d[i - 1]:
                _p(f"day {d[i]:g} appears twice (duplicated sample day)", i, "day")
            elif d[i] < d[i - 1]:
                _p(
                    f"day {d[i]:g} comes after day {d[i - 1]:g}: days must be in increasing order",
                    i,
                    "day",
                )
        if problems:
            raise KineticsInputError(problems)

        below = np.zeros(n, dtype=bool)
        known = ~np.isnan(v) & ~np.isnan(q)
        below[known] = v[known] < q[known]
        is_blq = flag | below | (v == 0.0) | np.isnan(v)
        return cls(
            days=_frozen(d),
            values=_frozen(v),
            blq=_frozen(is_blq),
            lloq=_frozen(q),
            unit=unit,
            analyte=analyte,
            label=label,
            lines=None if lines is None else tuple(int(x) for x in lines),
        )

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return int(self.days.size)

    @property
    def quantifiable(self) -> BoolArray:
        """True where the sample is a quantified level (not BLQ)."""
        return ~self.blq

    @property
    def post_infusion(self) -> BoolArray:
        """True for samples on or after day 0."""
        return self.days >= 0.0

    @property
    def lloq_value(self) -> float | None:
        """The profile's LLOQ when all known LLOQs agree, else the smallest known, else None."""
        known = self.lloq[~np.isnan(self.lloq)]
        if known.size == 0:
            return None
        return float(np.min(known))

    def scaled(self, factor: float) -> Profile:
        """The same profile with values and LLOQs multiplied by ``factor`` (> 0)."""
        if not factor > 0:
            raise KineticsInputError([Problem("scale factor must be positive")])
        return Profile(
            days=self.days,
            values=_frozen(self.values * factor),
            blq=self.blq,
            lloq=_frozen(self.lloq * factor),
            unit=self.unit,
            analyte=self.analyte,
            label=self.label,
            lines=self.lines,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN written as null)."""

        def _nn(a: FloatArray) -> list[float | None]:
            return [None if math.isnan(x) else float(x) for x in a]

        return {
            "label": self.label,
            "analyte": self.analyte,
            "unit": self.unit,
            "days": [float(x) for x in self.days],
            "values": _nn(self.values),
            "blq": [bool(x) for x in self.blq],
            "lloq": _nn(self.lloq),
        }
