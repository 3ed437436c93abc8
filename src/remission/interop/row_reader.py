"""Reading one row of a table through a mapping: cells in, Case values out, problems located.

A :class:`RowReader` applies a mapping's field specs (:class:`~remission.interop.mapping.FieldSpec`)
to one row: it reads the cell as declared (a date in the declared formats, a number in its unit,
a REDCap choice through its dictionary label, a checkbox's ``field___code`` columns, a vocabulary
term), fills templates, and records where each value came from, so that a problem found later
in the Case can be traced back to its row and column. Problems are gathered in a
:class:`ProblemCollector`, never raised one by one: an import reports every failing row at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from remission.exceptions import TableProblem
from remission.interop.cells import (
    CellError,
    DateColumn,
    load_units,
    parse_boolean,
    parse_date,
    parse_number,
)
from remission.interop.csv_table import TableRow
from remission.interop.mapping import (
    FieldSpec,
    Section,
    TableMapping,
    render_template,
    template_names,
)
from remission.interop.redcap import DataDictionary, DictionaryField, checkbox_column
from remission.model.time import parse_time
from remission.model.vocab import load_vocabulary

__all__ = [
    "BuiltPart",
    "DataPath",
    "Origin",
    "ProblemCollector",
    "RowContext",
    "RowReader",
    "data_path",
    "flatten",
    "read_fields",
    "select_rows",
    "set_path",
]

#: A place in the Case data: ("timeline", 2, "dose", "value").
DataPath = tuple[str | int, ...]
#: The row and column a value was read from.
Origin = tuple[TableRow, str]


@dataclass(frozen=True)
class RowContext:
    """A data row with what places it: its record, REDCap repeat instrument and instance, and
    longitudinal event (empty strings for a plain table)."""

    row: TableRow
    record: str
    instrument: str
    instance: str
    event: str

    def placeholders(self, n: int) -> dict[str, str]:
        """What a template may name: every column's raw cell, and record, instance, event, n
        (``n``: the row's number within its section, the instance when REDCap gives none)."""
        values = dict(self.row.cells)
        values.update(
            record=self.record, instance=self.instance or str(n), event=self.event, n=str(n)
        )
        return values


@dataclass
class ProblemCollector:
    """Problems of one import, and the date formats each column used."""

    where: str
    problems: list[TableProblem] = field(default_factory=list)
    dates: dict[str, DateColumn] = field(default_factory=dict)
    date_rows: dict[tuple[str, int], str] = field(default_factory=dict)

    def add(
        self,
        message: str,
        row: TableRow | None,
        column: str | None = None,
        record: str | None = None,
        path: str | None = None,
    ) -> None:
        self.problems.append(
            TableProblem(
                message,
                self.where,
                row.line if row is not None else None,
                path,
                row=row.number if row is not None else None,
                column=column,
                record=record,
            )
        )


# --- reading one value ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowReader:
    """Reads the fields of a mapping from rows; date formats used are noted in the collector."""

    mapping: TableMapping
    dictionary: DataDictionary | None
    collector: ProblemCollector

    def field_info(self, column: str | None) -> DictionaryField | None:
        if self.dictionary is None or column is None:
            return None
        return self.dictionary.fields.get(column)

    def map_value(self, spec: FieldSpec, raw: str, label: str | None) -> Any:
        """A raw code or text turned into a Case value through ``values`` and ``vocabulary``."""
        for key in (raw, label):
            if key is not None and key in spec.values:
                return spec.values[key]
        folded = {k.casefold(): v for k, v in spec.values.items()}
        for key in (raw, label):
            if key is not None and key.casefold() in folded:
                return folded[key.casefold()]
        if spec.vocabulary is not None:
            vocab = load_vocabulary(spec.vocabulary)
            for key in (label, raw):
                if key is not None and vocab.lookup(key) is not None:
                    return vocab.normalize(key)
            try:
                return vocab.normalize(label or raw)
            except ValueError as exc:
                raise CellError(str(exc)) from None
        if spec.values:
            known = ", ".join(repr(k) for k in list(spec.values)[:12])
            raise CellError(f"{raw!r} is not one of the codes the mapping knows ({known})")
        return label if label is not None else raw

    def choice(self, spec: FieldSpec, raw: str, column: str) -> Any:
        info = self.field_info(column)
        label = None
        if info is not None and info.choices:
            label = info.label_of(raw)
            if label is None:
                as_label = next(
                    (c for c, lab in info.choices if lab.casefold() == raw.casefold()), None
                )
                hint = (
                    f"; it is the label of choice {as_label}: export the records as raw data "
                    "(codes), not labels"
                    if as_label
                    else ""
                )
                raise CellError(
                    f"{raw!r} is not a choice of {column!r} ({info.describe_choices()}){hint}"
                )
        return self.map_value(spec, raw, label)

    def checkbox(self, spec: FieldSpec, row: RowContext) -> tuple[Any, str]:
        assert spec.column is not None
        info = self.field_info(spec.column)
        prefix = f"{spec.column}___"
        pairs: list[tuple[str, str, str | None]]
        if info is not None:
            pairs = [(checkbox_column(spec.column, c), c, lab) for c, lab in info.choices]
        else:
            pairs = [
                (col, col[len(prefix) :], None) for col in row.row.cells if col.startswith(prefix)
            ]
        out: list[Any] = []
        for col, code, label in pairs:
            cell = row.row.get(col)
            if cell in ("", "0"):
                continue
            if cell != "1":
                raise CellError(f"checkbox column {col!r} holds {cell!r}; expected 1 or 0")
            value = self.map_value(spec, code, label)
            if value is not None and value not in out:
                out.append(value)
        return (out or None), spec.column

    def number(self, spec: FieldSpec, raw: str, row: RowContext) -> float:
        value = parse_number(raw, decimal=self.mapping.decimal)
        if spec.read == "integer" and not value.is_integer():
            raise CellError(f"{raw!r} is not a whole number")
        unit = spec.unit
        if spec.unit_column is not None:
            stated = row.row.get(spec.unit_column)
            unit_info = self.field_info(spec.unit_column)
            if stated and unit_info is not None and unit_info.choices:
                label = unit_info.label_of(stated)
                if label is None:
                    raise CellError(
                        f"{stated!r} is not a choice of {spec.unit_column!r} "
                        f"({unit_info.describe_choices()})"
                    )
                stated = label
            if stated:
                if load_units().canonical(stated) is None:
                    raise CellError(
                        f"the unit {stated!r} in column {spec.unit_column!r} is not a known unit"
                    )
                unit = stated
            elif unit is None:
                raise CellError(f"the value {raw!r} has no unit in column {spec.unit_column!r}")
        target = spec.to_unit or (spec.unit if spec.unit_column else None)
        if unit is not None and target is not None:
            value = load_units().convert(value, unit, target)
        if spec.decimals is not None:
            value = round(value, spec.decimals)
        if spec.range is not None and not spec.range[0] <= value <= spec.range[1]:
            shown = target or unit or ""
            raise CellError(
                f"{value:g} {shown} is outside the plausible range {spec.range[0]:g}-"
                f"{spec.range[1]:g}{' ' + shown if shown else ''}: is the unit right?".replace(
                    "  ", " "
                )
            )
        return int(value) if spec.read == "integer" else value

    def date(self, spec: FieldSpec, raw: str, row: RowContext, column: str) -> str:
        formats = spec.formats or self.mapping.dates.formats
        point, fmt = parse_date(raw, formats)
        self.collector.dates.setdefault(column, DateColumn()).add(fmt, row.row.number)
        self.collector.date_rows[(column, row.row.number)] = row.record
        return str(point)

    def read(self, spec: FieldSpec, row: RowContext, n: int) -> tuple[Any, str | None]:
        """The Case value of one field in one row (None: not given), and the column read."""
        if spec.value is not None:
            return spec.value, None
        if spec.template is not None:
            for name in template_names(spec.template):
                if name not in ("record", "instance", "event", "n") and name not in row.row.cells:
                    raise CellError(f"the template names column {name!r}, which the file lacks")
            return render_template(spec.template, row.placeholders(n)), None
        assert spec.column is not None
        column = spec.column
        if spec.read == "checkbox":
            return self.checkbox(spec, row)
        raw = row.row.get(column)
        if raw == "":
            return None, column
        if spec.read == "text":
            return (
                self.map_value(spec, raw, None) if spec.values or spec.vocabulary else raw
            ), column
        if spec.read == "choice":
            return self.choice(spec, raw, column), column
        if spec.read == "list":
            items = [p.strip() for p in raw.split(spec.separator) if p.strip()]
            mapped = [self.map_value(spec, p, None) for p in items]
            return [m for m in mapped if m is not None] or None, column
        if spec.read == "boolean":
            if spec.values:
                return self.map_value(spec, raw, None), column
            info = self.field_info(column)
            if info is not None and info.choices and raw not in info.codes:
                raise CellError(
                    f"{raw!r} is not a choice of {column!r} ({info.describe_choices()})"
                )
            return parse_boolean(raw), column
        if spec.read in ("number", "integer"):
            return self.number(spec, raw, row), column
        if spec.read == "date":
            return self.date(spec, raw, row, column), column
        if spec.read == "time":
            try:
                return self.date(spec, raw, row, column), column
            except CellError:
                if not re.search(r"[A-Za-z]", raw):
                    raise
                try:
                    return str(parse_time(raw)), column
                except ValueError as exc:
                    raise CellError(str(exc)) from None
        # days from an event
        assert spec.relative_to is not None
        days = parse_number(raw, decimal=self.mapping.decimal)
        ref = render_template(spec.relative_to, row.placeholders(n))
        if not ref:
            raise CellError(
                f"day {raw} counts from {spec.relative_to!r}, but that is empty in this row"
            )
        sign = "-" if days < 0 else "+"
        return f"{ref}{sign}{abs(days):g}d", column


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Put ``value`` at a dotted path (``dose.value``), creating the blocks on the way."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def data_path(dotted: str) -> DataPath:
    """``"dose.value"`` -> ``("dose", "value")``."""
    return tuple(dotted.split("."))


def select_rows(section: Section, rows: Sequence[RowContext]) -> list[RowContext]:
    """The rows a section reads: its repeating instrument's rows (without one, the
    non-repeating rows), of its events, meeting its ``when``."""
    out = []
    for r in rows:
        if section.instrument is not None:
            if r.instrument != section.instrument:
                continue
        elif r.instrument:
            continue
        if section.events and r.event not in section.events:
            continue
        if section.when is not None:
            cell = r.row.get(section.when.column)
            if not cell or (section.when.equals and cell not in section.when.equals):
                continue
        out.append(r)
    return out


@dataclass
class BuiltPart:
    """A part of a Case being built: its data, where each value came from, its first row."""

    data: dict[str, Any]
    origins: dict[DataPath, Origin]
    row: RowContext
    kind: str = ""
    seq: int = 0


def read_fields(
    reader: RowReader, section: Section, row: RowContext, n: int, record: str
) -> tuple[dict[str, Any], dict[DataPath, Origin], bool, bool]:
    """One row's values for a section: (data, origins, any value from a column, any problem)."""
    data: dict[str, Any] = {}
    origins: dict[DataPath, Origin] = {}
    from_column = False
    failed = False
    for name, spec in section.fields.items():
        try:
            value, column = reader.read(spec, row, n)
        except CellError as exc:
            col = spec.column or spec.unit_column
            reader.collector.add(str(exc), row.row, col, record, None)
            failed = True
            continue
        if value is None:
            if spec.required:
                reader.collector.add(
                    f"{name} is required but the cell is empty", row.row, spec.column, record
                )
                failed = True
            continue
        set_path(data, name, value)
        if column is not None:
            from_column = True
            origins[data_path(name)] = (row.row, column)
    # constants complete what a row says; alone they make no object (an MRD method with no
    # MRD result in the row is no MRD)
    for key in [k for k, v in data.items() if isinstance(v, dict)]:
        if not any(p[0] == key for p in origins):
            del data[key]
    return data, origins, from_column, failed


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested blocks as dotted paths: ``{"dose": {"value": 2}}`` -> ``{"dose.value": 2}``."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, name + "."))
        else:
            out[name] = v
    return out
