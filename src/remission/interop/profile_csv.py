"""Read one kinetic profile from a CSV file: columns ``day,value`` and optional ``lloq``,
``blq``, ``unit``.

The format (docs/kinetics.md "CSV profiles"):

* a header row naming the columns (any order, case and surrounding spaces ignored);
* ``day``: days from infusion (day 0), a number; ``value``: the level, a number, or a
  below-quantification mark — ``<50`` (BLQ with LLOQ 50), ``BLQ``, ``<LLOQ``, ``ND``,
  ``not detected``, ``undetectable`` — or empty when ``blq`` says the sample is BLQ;
* ``lloq``: the limit of quantification of that sample (empty when unknown);
* ``blq``: ``true/false``, ``yes/no``, ``1/0``, ``y/n`` or empty (= false);
* ``unit``: the same unit on every row (or give it on the command line);
* blank lines and lines starting with ``#`` are skipped.

Every problem is reported at once with its file, line and column, and nothing is returned
unless the whole file is valid (:class:`~remission.exceptions.KineticsInputError`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

from remission.exceptions import KineticsInputError, Problem
from remission.kinetics.profile import Profile

__all__ = ["parse_profile_csv", "read_profile_csv"]

_BLQ_WORDS = {"blq", "<lloq", "bloq", "nd", "n.d.", "not detected", "undetectable", "bql", "<loq"}
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f", ""}
_KNOWN = ("day", "value", "lloq", "blq", "unit")
_LESS_THAN = re.compile(r"^<\s*([0-9.eE+\-]+)$")


def _num(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def parse_profile_csv(
    text: str, *, where: str = "<stdin>", unit: str = "", analyte: str = ""
) -> Profile:
    """Parse CSV text into a validated :class:`Profile` (see the module doc for the format).

    ``unit`` given here wins when the file has no ``unit`` column; if both are given they must
    agree. Raises :class:`KineticsInputError` listing every problem with line and column.
    """
    problems: list[Problem] = []
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        if not row or all(not c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        rows.append((line, [c.strip() for c in row]))
    if not rows:
        raise KineticsInputError(
            [Problem("the file is empty (expected a header: day,value)", where=where)]
        )
    header_line, header = rows[0]
    names = [h.lower() for h in header]
    col: dict[str, int] = {}
    for i, h in enumerate(names):
        if h in col:
            problems.append(
                Problem(f"column {h!r} appears twice", where=where, line=header_line, field=h)
            )
        elif h not in _KNOWN:
            problems.append(
                Problem(
                    f"unknown column {header[i]!r} (known: {', '.join(_KNOWN)})",
                    where=where,
                    line=header_line,
                    field=header[i],
                )
            )
        else:
            col[h] = i
    for req in ("day", "value"):
        if req not in col:
            problems.append(
                Problem(
                    f"missing column {req!r} (header has: {', '.join(header)})",
                    where=where,
                    line=header_line,
                    field=req,
                )
            )
    if problems:
        raise KineticsInputError(problems)

    days: list[object] = []
    values: list[object] = []
    blqs: list[bool] = []
    lloqs: list[float | None] = []
    lines: list[int] = []
    units: set[str] = set()
    for line, row in rows[1:]:

        def cell(name: str, row: list[str] = row) -> str | None:
            i = col.get(name)
            if i is None:
                return None
            return row[i] if i < len(row) else ""

        if len(row) > len(header):
            problems.append(
                Problem(
                    f"{len(row)} cells but the header has {len(header)}", where=where, line=line
                )
            )
            continue
        row_ok = True
        d_text = cell("day") or ""
        d = _num(d_text)
        if d is None:
            problems.append(
                Problem(
                    f"day {d_text!r} is not a number" if d_text else "day is empty",
                    where=where,
                    line=line,
                    field="day",
                )
            )
            row_ok = False
        lloq: float | None = None
        l_text = cell("lloq")
        if l_text:
            lloq = _num(l_text)
            if lloq is None:
                problems.append(
                    Problem(
                        f"LLOQ {l_text!r} is not a number", where=where, line=line, field="lloq"
                    )
                )
                row_ok = False
        blq = False
        b_text = cell("blq")
        if b_text is not None:
            b_low = b_text.lower()
            if b_low in _TRUE:
                blq = True
            elif b_low not in _FALSE:
                problems.append(
                    Problem(
                        f"BLQ flag {b_text!r}: use true/false, yes/no or 1/0",
                        where=where,
                        line=line,
                        field="blq",
                    )
                )
                row_ok = False
        v_text = cell("value") or ""
        value: float | None
        v_low = v_text.lower()
        m = _LESS_THAN.match(v_text)
        if not v_text:
            value = None
            if not blq:
                problems.append(
                    Problem(
                        "value is empty and the sample is not marked BLQ",
                        where=where,
                        line=line,
                        field="value",
                    )
                )
                row_ok = False
        elif v_low in _BLQ_WORDS:
            value, blq = None, True
        elif m:
            limit = _num(m.group(1))
            if limit is None or limit < 0:
                problems.append(
                    Problem(
                        f"value {v_text!r}: the limit is not a number",
                        where=where,
                        line=line,
                        field="value",
                    )
                )
                row_ok = False
            elif lloq is not None and not math.isclose(limit, lloq):
                problems.append(
                    Problem(
                        f"value {v_text!r} disagrees with LLOQ {lloq:g}",
                        where=where,
                        line=line,
                        field="value",
                    )
                )
                row_ok = False
            else:
                lloq = limit
            value, blq = None, True
        else:
            value = _num(v_text)
            if value is None:
                problems.append(
                    Problem(
                        f"value {v_text!r} is not a number (or a BLQ mark such as <50, BLQ, ND)",
                        where=where,
                        line=line,
                        field="value",
                    )
                )
                row_ok = False
        u_text = cell("unit")
        if u_text:
            units.add(u_text)
        if row_ok:
            days.append(d)
            values.append(value)
            blqs.append(blq)
            lloqs.append(lloq)
            lines.append(line)
    if len(units) > 1:
        problems.append(
            Problem(
                f"several units in one profile ({', '.join(sorted(units))}); never pool units",
                where=where,
                field="unit",
            )
        )
    file_unit = next(iter(units)) if len(units) == 1 else ""
    if unit and file_unit and unit != file_unit:
        problems.append(
            Problem(
                f"unit {unit!r} given but the file says {file_unit!r}", where=where, field="unit"
            )
        )
    if not problems and not days:
        problems.append(Problem("the file has a header but no samples", where=where))
    if problems:
        raise KineticsInputError(problems)
    return Profile.from_arrays(
        days,
        values,
        blq=blqs,
        lloq=lloqs,
        unit=unit or file_unit,
        analyte=analyte,
        label=where,
        lines=lines,
    )


def read_profile_csv(path: str | Path, *, unit: str = "", analyte: str = "") -> Profile:
    """Read a CSV profile file (see :func:`parse_profile_csv`); ``-`` is not handled here."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KineticsInputError([Problem("file not found", where=str(p))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KineticsInputError([Problem(f"cannot read the file: {exc}", where=str(p))]) from None
    return parse_profile_csv(text, where=str(p), unit=unit, analyte=analyte)
