"""Long-format measurements grouped into observation series, in one unit, BLQ kept as BLQ.

Each selected row of an observation section is one point (analyte, value, unit, day from an
anchor event or a date). Rows of one record with the same analyte, anchor, specimen and method
make one series, in the first of the analyte's accepted units (vocabulary ``analytes``) that the
rows' unit converts to safely; a unit that cannot be converted is a unit mix-up and refused.
Below-quantification marks (``BLQ``, ``ND``, ``<50``) are kept as BLQ with their limit, never
as zero (kinetics.md, BLQ handling); two values for one time in one series are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from remission.interop.cells import CellError, load_units, parse_number
from remission.interop.mapping import ObservationMap, render_template
from remission.interop.row_reader import (
    BuiltPart,
    DataPath,
    Origin,
    RowContext,
    RowReader,
    read_fields,
    select_rows,
)
from remission.model.vocab import load_vocabulary

__all__ = ["blq_mark", "build_series"]

_BLQ = {"blq", "bloq", "bql", "<lloq", "<loq", "nd", "n.d.", "not detected", "undetectable"}
_LESS_THAN = re.compile(r"^<\s*(\S+)$")


def blq_mark(raw: str) -> tuple[bool, float | None] | None:
    """(True, LLOQ or None) for a below-quantification mark (``<50``, ``BLQ``, ``ND``)."""
    if raw.strip().lower() in _BLQ:
        return True, None
    m = _LESS_THAN.match(raw.strip())
    if m:
        try:
            return True, parse_number(m.group(1))
        except CellError:
            return None
    return None


def build_series(
    reader: RowReader, omap: ObservationMap, rows: Sequence[RowContext], record: str
) -> tuple[list[BuiltPart], bool]:
    """Series from long-format rows: grouped, put in the analyte's unit, duplicates refused."""
    units = load_units()
    analytes = load_vocabulary("analytes")
    failed = False
    groups: dict[
        tuple[Any, ...], list[tuple[RowContext, dict[str, Any], dict[DataPath, Origin]]]
    ] = {}
    value_spec = omap.fields["value"]
    plain = omap.model_copy(
        update={"fields": {k: v for k, v in omap.fields.items() if k != "value"}}
    )
    for n, row in enumerate(select_rows(omap, rows), 1):
        data, origins, from_column, bad = read_fields(reader, plain, row, n, record)
        raw = row.row.get(value_spec.column) if value_spec.column else ""
        if value_spec.column and raw == "" and not from_column:
            continue  # an empty row of the instrument
        failed |= bad
        col = value_spec.column
        blq = blq_mark(raw) if col else None
        try:
            if blq is not None:
                data["blq"] = True
                if blq[1] is not None:
                    data.setdefault("lloq", blq[1])
            elif raw == "" and value_spec.column:
                raise CellError(
                    "the value is empty (write BLQ or <LLOQ for a value below quantification)"
                )
            else:
                plain_spec = value_spec.model_copy(update={"unit_column": None, "to_unit": None})
                data["value"], _ = reader.read(plain_spec, row, n)
        except CellError as exc:
            reader.collector.add(str(exc), row.row, col, record)
            failed = True
            continue
        if "value" in data or "blq" in data:
            origins[("value",)] = (row.row, col or "")
        if bad:
            continue
        analyte = data.get("analyte")
        if analyte is None:
            reader.collector.add(
                "the analyte is empty", row.row, omap.fields["analyte"].column, record
            )
            failed = True
            continue
        try:
            term = analytes.normalize(str(analyte))
        except ValueError as exc:
            reader.collector.add(str(exc), row.row, omap.fields["analyte"].column, record)
            failed = True
            continue
        data["analyte"] = term
        key = (data.get("anchor"), term, data.get("specimen"), data.get("method"))
        groups.setdefault(key, []).append((row, data, origins))
    built: list[BuiltPart] = []
    used_ids: dict[str, int] = {}
    unit_spec = omap.fields.get("unit")
    for (anchor, term, specimen, method), members in groups.items():
        accepted = [str(u) for u in analytes.get(term).attributes.get("units", [])]
        first_unit = members[0][1].get("unit")
        target = None
        if first_unit is None and accepted:
            target = accepted[0]
        elif first_unit is not None:
            target = next((u for u in accepted if units.factor(str(first_unit), u)), None)
            if target is None and not accepted:
                target = str(first_unit)
        if target is None:
            row = members[0][0]
            reader.collector.add(
                f"the unit {first_unit!r} is not used for {analytes.get(term).label} "
                f"(use one of: {', '.join(accepted)})",
                row.row,
                unit_spec.column if unit_spec else None,
                record,
            )
            failed = True
            continue
        points: list[dict[str, Any]] = []
        series_origins: dict[DataPath, Origin] = {}
        seen: dict[Any, int] = {}
        lloq = None
        for row, data, orig in members:
            unit = data.get("unit") or target
            try:
                if "value" in data:
                    value = units.convert(float(data["value"]), str(unit), target)
                    if value_spec.range and not value_spec.range[0] <= value <= value_spec.range[1]:
                        raise CellError(
                            f"{value:g} {target} is outside the plausible range "
                            f"{value_spec.range[0]:g}-{value_spec.range[1]:g}: is the unit right?"
                        )
                else:
                    value = None
                if data.get("lloq") is not None:
                    lloq = units.convert(float(data["lloq"]), str(unit), target)
            except CellError as exc:
                reader.collector.add(
                    f"{exc} (this series of {term} is in {target})",
                    row.row,
                    (unit_spec.column if unit_spec and unit_spec.column else value_spec.column),
                    record,
                )
                failed = True
                continue
            when = data.get("day", data.get("at"))
            if when in seen:
                reader.collector.add(
                    f"{term} at {'day ' if 'day' in data else ''}{when} is already given in row "
                    f"{seen[when]}: two values for one time",
                    row.row,
                    (omap.fields.get("day") or omap.fields["at"]).column
                    if "day" in omap.fields or "at" in omap.fields
                    else None,
                    record,
                )
                failed = True
                continue
            seen[when] = row.row.number
            point: dict[str, Any] = {"day" if "day" in data else "at": when}
            if value is not None:
                point["value"] = value
            if data.get("blq"):
                point["blq"] = True
            j = len(points)
            for p, origin in orig.items():
                series_origins[("points", j, *p)] = origin
            points.append(point)
        base = render_template(
            omap.id, {**members[0][0].placeholders(1), "analyte": term.replace("_", "-")}
        )
        used_ids[base] = used_ids.get(base, 0) + 1
        series_id = base if used_ids[base] == 1 else f"{base}-{used_ids[base]}"
        series: dict[str, Any] = {
            "id": series_id,
            "analyte": term,
            "unit": target,
            "points": points,
        }
        if anchor is not None:
            series["anchor"] = anchor
        if specimen is not None:
            series["specimen"] = specimen
        if method is not None:
            series["method"] = method
        if lloq is not None:
            series["lloq"] = lloq
        if points:
            built.append(BuiltPart(series, series_origins, members[0][0], "observation"))
    return built, failed
