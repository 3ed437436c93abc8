"""Import a CSV table or a REDCap records export as Cases, through a mapping file.

:func:`plan_table_import` reads the whole file, builds one Case per record id and validates it,
and returns a :class:`TablePlan`: the Cases that would be stored and every problem, each with the
file, the line, the data row (1-based, header not counted), the record and the column. It stores
nothing; :func:`save_table_plan` stores a plan only when it has no problem at all, in one
transaction (DESIGN.md, "Nothing is lost": imports are all-or-nothing per file).

Refused, row by row: a cell the mapping cannot read (a date in another format, a column mixing
date formats, a number with a thousands separator, a unit that cannot be converted safely or a
value outside its plausible range, a code that is not a choice of the field), rows repeated
exactly (an export merged twice: always an error, never silently dropped), two rows for one
REDCap record/event/instance, rows of one record that disagree on a patient field, two
measurements of one series on one day, and whatever the Case itself refuses (mapped back to the
row and column the value came from).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remission.casefile import document_from_data
from remission.exceptions import (
    CaseFileError,
    MappingError,
    Problem,
    TableImportError,
    TableProblem,
)
from remission.interop.cells import describe_format
from remission.interop.csv_table import CsvTable, read_csv_file
from remission.interop.mapping import (
    AssessmentMap,
    EventMap,
    MappingFile,
    Section,
    TableMapping,
    load_mapping_file,
    render_template,
    template_names,
)
from remission.interop.redcap import DataDictionary, check_mapping, read_dictionary
from remission.interop.row_reader import (
    BuiltPart,
    DataPath,
    Origin,
    ProblemCollector,
    RowContext,
    RowReader,
    data_path,
    flatten,
    read_fields,
    select_rows,
    set_path,
)
from remission.interop.table_series import build_series
from remission.model import Case
from remission.model.base import ID_PATTERN
from remission.model.events import TIME_FIELD
from remission.model.time import (
    PartialDate,
    RelativeTime,
    TimeResolutionError,
    parse_time,
    resolve_all,
)

if TYPE_CHECKING:
    from remission.api import ImportReport
    from remission.store import Store

__all__ = ["PlannedCase", "TablePlan", "plan_table_import", "planned_actions", "save_table_plan"]

_ID = re.compile(ID_PATTERN)
#: Same-day order of events on the timeline (a relapse before the therapy that treats it).
_SAME_DAY = {
    "relapse": 0,
    "disease_assessment": 1,
    "therapy": 2,
    "hsct": 3,
    "car_t_infusion": 4,
    "toxicity": 5,
    "other": 6,
    "follow_up": 7,
    "death": 8,
}


@dataclass(frozen=True)
class PlannedCase:
    """A Case the import would store, with the record and rows it was built from."""

    record: str
    case: Case
    rows: tuple[int, ...]

    @property
    def id(self) -> str:
        return self.case.id


@dataclass(frozen=True)
class TablePlan:
    """What an import would do: the valid Cases, and every problem found (row and column)."""

    where: str
    records: int
    cases: tuple[PlannedCase, ...]
    problems: tuple[TableProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def failed_records(self) -> list[str]:
        return sorted({p.record for p in self.problems if p.record is not None})


# --- sections -----------------------------------------------------------------------------------


def _merged(
    reader: RowReader, section: Section, rows: Sequence[RowContext], record: str
) -> tuple[BuiltPart | None, bool]:
    """One part from all selected rows of a record; rows that disagree are an error."""
    merged: dict[str, Any] = {}
    taken: dict[str, Any] = {}  # field name -> the value already merged
    origins: dict[DataPath, Origin] = {}
    first: RowContext | None = None
    failed = False
    for n, row in enumerate(rows, 1):
        data, orig, from_column, bad = read_fields(reader, section, row, n, record)
        failed |= bad
        if not from_column:
            continue
        first = first or row
        for name, value in flatten(data).items():
            key = data_path(name)
            if name not in taken:
                taken[name] = value
                set_path(merged, name, value)
                if key in orig:
                    origins[key] = orig[key]
            elif taken[name] != value:
                prev_row, _ = origins.get(key, (row.row, ""))
                reader.collector.add(
                    f"{name} is {value!r} here but {taken[name]!r} in row "
                    f"{prev_row.number}: one record, two values",
                    row.row,
                    orig.get(key, (row.row, section.fields[name].column or ""))[1] or None,
                    record,
                )
                failed = True
    if first is None:
        return None, failed
    return BuiltPart(merged, origins, first), failed


def _events(
    reader: RowReader, emap: EventMap, rows: Sequence[RowContext], record: str
) -> tuple[list[BuiltPart], bool]:
    selected = select_rows(emap, rows)
    failed = False
    built: list[BuiltPart] = []
    if not emap.per_row:
        one, failed = _merged(reader, emap, selected, record)
        if one is None:
            return [], failed
        candidates = [(one, 1)]
    else:
        candidates = []
        for n, row in enumerate(selected, 1):
            data, origins, from_column, bad = read_fields(reader, emap, row, n, record)
            failed |= bad
            if from_column or (emap.when is not None and not bad):
                candidates.append((BuiltPart(data, origins, row), n))
    for item, n in candidates:
        event_id = render_template(emap.id_template, item.row.placeholders(n))
        if not _ID.match(event_id):
            reader.collector.add(
                f"the event id {event_id!r} (from {emap.id_template!r}) is not a valid id",
                item.row.row,
                None,
                record,
            )
            failed = True
            continue
        item.data = {"id": event_id, "type": emap.type, **item.data}
        item.kind = emap.type
        built.append(item)
    return built, failed


def _assessments(
    reader: RowReader, amap: AssessmentMap, rows: Sequence[RowContext], record: str
) -> tuple[list[BuiltPart], bool]:
    built: list[BuiltPart] = []
    failed = False
    for n, row in enumerate(select_rows(amap, rows), 1):
        data, origins, from_column, bad = read_fields(reader, amap, row, n, record)
        failed |= bad
        if not bad and from_column and set(data) - {"at", "note"}:
            built.append(BuiltPart(data, origins, row, "assessment"))
    return built, failed


# --- ordering the timeline ------------------------------------------------------------------------


def _ordered(events: list[BuiltPart], diagnosis_date: Any) -> list[BuiltPart]:
    """Events in time order (same day: relapse, assessment, therapy, ..., death); events whose
    time cannot be placed keep their order after the dated ones."""
    points: dict[str, PartialDate | RelativeTime | None] = {"diagnosis": None}
    try:
        if diagnosis_date is not None:
            points["diagnosis"] = parse_time(diagnosis_date)
    except ValueError:
        pass
    ids = {ev.data["id"] for ev in events} | {"diagnosis"}
    for ev in events:
        t = ev.data.get(TIME_FIELD.get(ev.kind, "date"))
        follows = ev.data.get("after") or ev.data.get("assesses")
        try:
            if t is not None:
                points[ev.data["id"]] = parse_time(t)
            elif isinstance(follows, str) and follows in ids:
                # undated but tied to an event (a toxicity after an infusion): place it there
                points[ev.data["id"]] = RelativeTime(follows)
            else:
                points[ev.data["id"]] = None
        except ValueError:
            points[ev.data["id"]] = None
    try:
        resolved = resolve_all(points)
    except TimeResolutionError:
        return events
    axis_order: dict[str | None, int] = {None: 0}
    for ev in events:
        r = resolved.get(ev.data["id"])
        if r is not None:
            axis_order.setdefault(r.axis, len(axis_order))

    def key(ev: BuiltPart) -> tuple[Any, ...]:
        r = resolved[ev.data["id"]]
        return (axis_order[r.axis], r.lo, r.hi, _SAME_DAY.get(ev.kind, 9), ev.seq)

    return sorted(events, key=key)


# --- a whole record --------------------------------------------------------------------------------

_DISPLAY_LABEL = re.compile(r" \([^()]*'[^']*'\)")
_PATH_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _parse_display(text: str) -> DataPath:
    text = _DISPLAY_LABEL.sub("", text)
    return tuple(int(i) if i else name for i, name in _PATH_TOKEN.findall(text))


def _origin_of(path: DataPath, origins: Mapping[DataPath, Origin]) -> Origin | None:
    for cut in range(len(path), 0, -1):
        if path[:cut] in origins:
            return origins[path[:cut]]
    return None


def _build_record(
    reader: RowReader, record: str, rows: Sequence[RowContext]
) -> tuple[Case | None, bool]:
    mapping = reader.mapping
    failed = False
    data: dict[str, Any] = {
        "schema_version": 1,
        "kind": "case",
        "status": mapping.status,
        "complete_history": mapping.complete_history,
        "source": mapping.source.model_dump(exclude_none=True),
    }
    origins: dict[DataPath, Origin] = {}
    first = rows[0]
    case_id = render_template(mapping.case_id, first.placeholders(1))
    if not _ID.match(case_id):
        reader.collector.add(
            f"the case id {case_id!r} (from {mapping.case_id!r}) is not a valid id: use letters, "
            "digits, '_', '.' or '-', starting with a letter or digit (at most 80)",
            first.row,
            mapping.record_id,
            record,
        )
        return None, True
    data["id"] = case_id
    for name in ("patient", "diagnosis"):
        section = getattr(mapping, name)
        if section is None:
            continue
        part, bad = _merged(reader, section, select_rows(section, rows), record)
        failed |= bad
        if part is not None:
            data[name] = part.data
            origins.update({(name, *p): o for p, o in part.origins.items()})
    events: list[BuiltPart] = []
    for emap in mapping.events:
        found, bad = _events(reader, emap, rows, record)
        failed |= bad
        events += found
    for seq, ev in enumerate(events):
        ev.seq = seq
    ordered = _ordered(events, data.get("diagnosis", {}).get("date"))
    data["timeline"] = [ev.data for ev in ordered]
    for i, ev in enumerate(ordered):
        origins[("timeline", i)] = (ev.row.row, "")
        origins.update({("timeline", i, *p): o for p, o in ev.origins.items()})
    series: list[BuiltPart] = []
    for omap in mapping.observations:
        found, bad = build_series(reader, omap, rows, record)
        failed |= bad
        series += found
    taken = {ev.data["id"] for ev in ordered}
    for s in series:
        base, k = s.data["id"], 1
        while s.data["id"] in taken:
            k += 1
            s.data["id"] = f"{base}-{k}"
        taken.add(s.data["id"])
    data["observations"] = [s.data for s in series]
    for i, s in enumerate(series):
        origins[("observations", i)] = (s.row.row, "")
        origins.update({("observations", i, *p): o for p, o in s.origins.items()})
    assessments: list[BuiltPart] = []
    for amap in mapping.assessments:
        found, bad = _assessments(reader, amap, rows, record)
        failed |= bad
        assessments += found
    data["assessments"] = [a.data for a in assessments]
    for i, a in enumerate(assessments):
        origins[("assessments", i)] = (a.row.row, "")
        origins.update({("assessments", i, *p): o for p, o in a.origins.items()})
    if mapping.index:
        data["index"] = [render_template(t, first.placeholders(1)) for t in mapping.index]
    if failed:
        return None, True
    try:
        document = document_from_data(data, where=reader.collector.where)
    except CaseFileError as exc:
        for problem in exc.problems:
            path = _parse_display(problem.field or "")
            origin = _origin_of(path, origins)
            row, column = origin if origin is not None else (first.row, "")
            reader.collector.add(
                problem.message,
                row,
                column or None,
                record,
                _DISPLAY_LABEL.sub("", problem.field or "") or None,
            )
        return None, True
    assert isinstance(document, Case)
    return document, False


# --- the whole table ---------------------------------------------------------------------------------


def _check_header(
    table: CsvTable, mapping_file: MappingFile, dictionary: DataDictionary | None, record_col: str
) -> list[Problem]:
    mapping = mapping_file.mapping
    header = set(table.header)
    problems: list[Problem] = []

    def missing(column: str, used_at: Iterable[str]) -> None:
        places = ", ".join(sorted(set(used_at))[:3])
        close = [c for c in table.header if c.lower() == column.lower()]
        hint = f"; the file has {close[0]!r} (names are case-sensitive)" if close else ""
        problems.append(
            TableProblem(
                f"the file has no column {column!r}, which the mapping reads at {places}{hint}",
                table.where,
                1,
                column=column,
            )
        )

    if record_col not in header:
        missing(record_col, ["record_id"])
    checkboxes = {
        spec.column
        for _, s in mapping.sections()
        for spec in s.fields.values()
        if spec.read == "checkbox" and spec.column
    }
    for column, places in mapping.columns().items():
        if column in checkboxes:
            expected = (
                dictionary.export_columns(column)
                if dictionary is not None and column in dictionary.fields
                else ()
            )
            have = [c for c in table.header if c.startswith(f"{column}___")]
            lacking = [c for c in expected if c not in header]
            if not have or lacking:
                missing(lacking[0] if lacking else f"{column}___<code>", places)
            continue
        if column not in header and column != record_col:
            missing(column, places)
    for _, section in mapping.sections():
        for spec in section.fields.values():
            for name in template_names(spec.template or "") + template_names(
                spec.relative_to or ""
            ):
                if name not in ("record", "instance", "event", "n") and name not in header:
                    missing(name, ["a template"])
    if mapping.format == "redcap":
        uses_instrument = any(s.instrument for _, s in mapping.sections())
        uses_events = any(s.events for _, s in mapping.sections())
        if uses_instrument and "redcap_repeat_instrument" not in header:
            missing("redcap_repeat_instrument", ["instrument"])
        if uses_instrument and "redcap_repeat_instance" not in header:
            missing("redcap_repeat_instance", ["instrument"])
        if uses_events and "redcap_event_name" not in header:
            missing("redcap_event_name", ["events"])
    return problems


def _rows_by_record(
    table: CsvTable, mapping: TableMapping, record_col: str, collector: ProblemCollector
) -> dict[str, list[RowContext]]:
    by_record: dict[str, list[RowContext]] = {}
    seen_rows: dict[tuple[str, ...], int] = {}
    seen_keys: dict[tuple[str, str, str, str], int] = {}
    redcap = mapping.format == "redcap"
    for row in table.rows:
        cells = tuple(row.cells[c] for c in table.header)
        record = row.get(record_col)
        if cells in seen_rows:
            collector.add(
                f"this row repeats row {seen_rows[cells]} exactly (an export pasted twice?); "
                "remove one of them",
                row,
                None,
                record or None,
            )
            continue
        seen_rows[cells] = row.number
        if not record:
            collector.add("the record id is empty", row, record_col)
            continue
        instrument = row.get("redcap_repeat_instrument") if redcap else ""
        instance = row.get("redcap_repeat_instance") if redcap else ""
        event = row.get("redcap_event_name") if redcap else ""
        if redcap:
            if instrument and not instance.isdigit():
                collector.add(
                    f"the repeat instance {instance!r} is not a number",
                    row,
                    "redcap_repeat_instance",
                    record,
                )
                continue
            key = (record, event, instrument, instance)
            if key in seen_keys:
                what = f"instance {instance} of {instrument!r}" if instrument else "the record row"
                in_event = f" in event {event!r}" if event else ""
                collector.add(
                    f"{what}{in_event} is already given in row {seen_keys[key]}, with other "
                    "values: one of them is wrong",
                    row,
                    "redcap_repeat_instance" if instrument else record_col,
                    record,
                )
                continue
            seen_keys[key] = row.number
        by_record.setdefault(record, []).append(
            RowContext(row, record, instrument, instance, event)
        )
    return by_record


def _mixed_dates(collector: ProblemCollector) -> None:
    for column, used in collector.dates.items():
        for minority, majority, rows in used.mixed():
            for number in rows:
                record = collector.date_rows.get((column, number))
                collector.problems.append(
                    TableProblem(
                        f"the column mixes date formats: this row is "
                        f"{describe_format(minority)}, most rows are {describe_format(majority)} "
                        f"(day and month may be swapped); write every date one way",
                        collector.where,
                        None,
                        row=number,
                        column=column,
                        record=record,
                    )
                )


def plan_table_import(
    data: str | Path,
    mapping: str | Path | MappingFile,
    *,
    dictionary: str | Path | DataDictionary | None = None,
) -> TablePlan:
    """Read a CSV table or REDCap export through a mapping and build its Cases; store nothing.

    Raises :class:`MappingError` when the mapping is malformed or contradicts the dictionary,
    and :class:`TableImportError` when the file cannot be read at all (encoding, quoting,
    missing columns). Problems of single rows are returned in the plan, with the Cases of every
    record that has none.
    """
    mapping_file = mapping if isinstance(mapping, MappingFile) else load_mapping_file(mapping)
    the_mapping = mapping_file.mapping
    data_dict: DataDictionary | None
    if dictionary is None or isinstance(dictionary, DataDictionary):
        data_dict = dictionary
    else:
        data_dict = read_dictionary(dictionary)
    if data_dict is not None:
        clashes = check_mapping(the_mapping, data_dict)
        if clashes:
            raise MappingError([mapping_file.problem(loc, msg) for loc, msg in clashes])
    table = read_csv_file(data)
    record_col = the_mapping.record_id or (data_dict.record_id if data_dict else "record_id")
    header_problems = _check_header(table, mapping_file, data_dict, record_col)
    if header_problems:
        raise TableImportError(header_problems)
    collector = ProblemCollector(table.where)
    reader = RowReader(the_mapping, data_dict, collector)
    by_record = _rows_by_record(table, the_mapping, record_col, collector)
    cases: list[PlannedCase] = []
    for record, rows in by_record.items():
        case, _ = _build_record(reader, record, rows)
        if case is not None:
            cases.append(PlannedCase(record, case, tuple(r.row.number for r in rows)))
    _mixed_dates(collector)
    ids: dict[str, str] = {}
    for planned in cases:
        if planned.id in ids:
            first_row = next(r for r in table.rows if r.number == planned.rows[0])
            collector.add(
                f"records {ids[planned.id]!r} and {planned.record!r} both make the case id "
                f"{planned.id!r}; make the 'case_id' template tell them apart",
                first_row,
                record_col,
                planned.record,
            )
        ids.setdefault(planned.id, planned.record)
    failed = {p.record for p in collector.problems}
    lines = {r.number: r.line for r in table.rows}
    problems = tuple(
        sorted(
            (
                p
                if p.line is not None or p.row is None
                else TableProblem(
                    p.message,
                    p.where,
                    lines.get(p.row),
                    p.field,
                    row=p.row,
                    column=p.column,
                    record=p.record,
                )
                for p in collector.problems
            ),
            key=lambda p: (p.row or 0, p.column or "", p.message),
        )
    )
    return TablePlan(
        where=table.where,
        records=len(by_record),
        cases=tuple(c for c in cases if c.record not in failed),
        problems=problems,
    )


def save_table_plan(
    store: Store, plan: TablePlan, *, author: str | None = None, reason: str = "table import"
) -> ImportReport:
    """Store every Case of a plan in one transaction; refuses a plan with any problem (then
    nothing is stored). Returns the :class:`remission.api.ImportReport`."""
    from remission import api

    if plan.problems:
        raise TableImportError(list(plan.problems))
    prepared = [(f"{plan.where} (record {c.record})", api.record_for(c.case)) for c in plan.cases]
    return api.save_prepared(store, prepared, author=author, reason=reason)


def planned_actions(store: Store, plan: TablePlan) -> dict[str, str]:
    """What saving the plan would do to each case: ``create``, ``update`` (a new version) or
    ``unchanged`` (the stored document is the same); reads the store, writes nothing."""
    from remission import api

    existing = store.existing(c.id for c in plan.cases)
    out: dict[str, str] = {}
    for planned in plan.cases:
        if planned.id not in existing:
            out[planned.id] = "create"
            continue
        stored = store.get(planned.id).document
        same = stored == api.record_for(planned.case).document
        out[planned.id] = "unchanged" if same else "update"
    return out
