"""The declarative mapping from a CSV table or a REDCap export to Cases (docs/interop.md).

A mapping file (YAML) says, for each part of a Case, which column (or REDCap field) holds it and
how to read the cell: a date in a declared format, a number in a declared unit, a yes/no, a
REDCap choice or checkbox, a term of a project vocabulary. It is data, validated when loaded
(unknown Case fields, vocabularies, units or date formats are refused with the line of the
mapping file) and written back by :meth:`TableMapping.to_yaml`.

The parts of a mapping:

* ``patient`` and ``diagnosis``: fields read from a record's non-repeating rows; two rows that
  disagree are an error;
* ``events``: one entry per kind of timeline event; an entry with ``instrument`` makes one event
  per row of that REDCap repeating instrument; without it, one event per record (``repeat:
  record``) or per row (``repeat: row``, e.g. a follow-up form in each longitudinal event);
* ``observations``: long-format rows (analyte, value, unit, day or date), grouped into series;
* ``assessments``: daily bedside CRS / ICANS findings, one per row.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator

from remission.exceptions import MappingError, Problem
from remission.interop.cells import (
    DEFAULT_DATE_FORMATS,
    CellError,
    check_format,
    load_units,
)
from remission.model.base import Frozen
from remission.model.case import DailyAssessment
from remission.model.events import EVENT_TYPES
from remission.model.patient import Diagnosis, Patient
from remission.model.vocab import vocabulary_names

__all__ = [
    "MAX_MAPPING_BYTES",
    "AssessmentMap",
    "EventMap",
    "FieldSpec",
    "MappingFile",
    "ObservationMap",
    "Section",
    "TableMapping",
    "When",
    "load_mapping",
    "load_mapping_file",
    "parse_mapping_text",
    "render_template",
    "shipped_mappings",
    "template_names",
]

#: Mapping files larger than this are refused (a full REDCap project maps in a few kB).
MAX_MAPPING_BYTES = 1_000_000

ReadAs = Literal[
    "text", "number", "integer", "boolean", "date", "time", "days", "choice", "checkbox", "list"
]
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def template_names(template: str) -> list[str]:
    """The placeholders of a template (``car{instance}`` -> ``['instance']``).

    Only plain names are allowed: no attribute access or format specs, so a template cannot reach
    into Python objects. Raises ``ValueError`` on a malformed template.
    """
    if template.count("{") != template.count("}"):
        raise ValueError(f"template {template!r} has unbalanced braces")
    names = _PLACEHOLDER.findall(template)
    for name in names:
        if not _NAME.match(name):
            raise ValueError(
                f"template {template!r}: {{{name}}} is not a placeholder; use a column name, "
                "record, instance, event or n"
            )
    return names


def render_template(template: str, values: typing.Mapping[str, str]) -> str:
    """Fill a template's placeholders from ``values`` (missing ones become empty)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)


def _column_shorthand(value: Any) -> Any:
    """``sex: dem_sex`` is short for ``sex: {column: dem_sex}``."""
    return {"column": value} if isinstance(value, str) else value


class When(Frozen):
    """A condition on a row: the column is filled (``equals`` empty) or holds one of ``equals``."""

    column: str = Field(min_length=1)
    equals: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": data}
        if isinstance(data, dict) and isinstance(data.get("equals"), str | int | float):
            data = {**data, "equals": [data["equals"]]}
        if isinstance(data, dict) and isinstance(data.get("equals"), list):
            data = {**data, "equals": [str(v) for v in data["equals"]]}
        return data


class FieldSpec(Frozen):
    """How one Case field is read: from a ``column``, as a constant ``value``, or a ``template``.

    ``read`` says how the cell is read (default ``text``); ``values`` maps raw codes or labels to
    Case values (``null`` = not given); ``vocabulary`` normalises through a project vocabulary
    (synonyms accepted). Numbers may declare their ``unit`` (or a ``unit_column`` per row), the
    ``to_unit`` the Case wants (only safe conversions) and a plausible ``range`` in that unit.
    """

    column: str | None = Field(None, min_length=1, description="CSV column or REDCap field.")
    value: str | int | float | bool | list[str] | None = Field(
        None, description="A constant, instead of a column."
    )
    template: str | None = Field(
        None, description="Text built from the row: 'car{instance}', 'after-{cart_no}'."
    )
    read: ReadAs = "text"
    values: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="Raw code or label -> Case value (null: not given)."
    )
    vocabulary: str | None = None
    separator: str = Field(";", min_length=1, max_length=3)
    formats: tuple[str, ...] = Field((), description="Date formats of this column.")
    relative_to: str | None = Field(
        None, description="For read: days, the event id (a template) day 0 counts from."
    )
    unit: str | None = None
    unit_column: str | None = None
    to_unit: str | None = None
    range: tuple[float, float] | None = None
    decimals: int | None = Field(
        None, ge=0, le=12, description="Round a number (after conversion) to this many decimals."
    )
    required: bool = False

    @model_validator(mode="before")
    @classmethod
    def _values_keys_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("values"), dict):
            data = {**data, "values": {str(k): v for k, v in data["values"].items()}}
        return data

    @model_validator(mode="after")
    def _coherent(self) -> FieldSpec:
        given = [n for n in ("column", "value", "template") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'column', 'value' (a constant) or 'template'")
        if self.template is not None:
            template_names(self.template)
        if self.relative_to is not None:
            template_names(self.relative_to)
            if self.read != "days":
                raise ValueError("'relative_to' is only for read: days")
        if self.read == "days" and self.relative_to is None:
            raise ValueError("read: days needs 'relative_to' (the event id day 0 counts from)")
        if self.formats and self.read not in ("date", "time"):
            raise ValueError("'formats' is only for read: date or time")
        for fmt in self.formats:
            try:
                check_format(fmt)
            except CellError as exc:
                raise ValueError(str(exc)) from None
        number = self.read in ("number", "integer")
        for name in ("unit", "unit_column", "to_unit", "range", "decimals"):
            if getattr(self, name) is not None and not number:
                raise ValueError(f"'{name}' is only for read: number or integer")
        units = load_units()
        for name in ("unit", "to_unit"):
            text = getattr(self, name)
            if text is not None and units.canonical(text) is None:
                known = ", ".join(u.id for u in units.units)
                raise ValueError(f"{name} {text!r} is not a known unit; known: {known}")
        if self.to_unit is not None and self.unit is None and self.unit_column is None:
            raise ValueError("'to_unit' needs the column's 'unit' or a 'unit_column'")
        if self.unit and self.to_unit and units.factor(self.unit, self.to_unit) is None:
            raise ValueError(f"there is no safe conversion from {self.unit!r} to {self.to_unit!r}")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError("range is [lowest, highest]")
        if self.vocabulary is not None and self.vocabulary not in vocabulary_names():
            raise ValueError(
                f"{self.vocabulary!r} is not a vocabulary; known: {', '.join(vocabulary_names())}"
            )
        if self.read == "checkbox" and self.column is None:
            raise ValueError("read: checkbox needs the REDCap field name in 'column'")
        return self

    def columns(self) -> list[str]:
        """The columns this field reads (a template's named columns are checked separately)."""
        out = [c for c in (self.column, self.unit_column) if c is not None]
        return out


Spec = Annotated[FieldSpec, BeforeValidator(_column_shorthand)]


class Section(Frozen):
    """Which rows a part of the Case is read from, and its fields (Case field -> how to read it).

    ``instrument`` selects the rows of one REDCap repeating instrument (REDCap exports only);
    ``events`` the rows of some longitudinal events (``redcap_event_name``); ``when`` rows
    meeting a condition.
    """

    instrument: str | None = None
    events: tuple[str, ...] = ()
    when: When | None = None
    fields: dict[str, Spec] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _events_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("events"), str):
            data = {**data, "events": [data["events"]]}
        return data


EventType = Literal[
    "therapy",
    "car_t_infusion",
    "hsct",
    "relapse",
    "disease_assessment",
    "toxicity",
    "death",
    "follow_up",
    "other",
]

_DEFAULT_ID = {
    "therapy": "ther{n}",
    "car_t_infusion": "car{n}",
    "hsct": "hsct{n}",
    "relapse": "rel{n}",
    "disease_assessment": "assess{n}",
    "toxicity": "tox{n}",
    "death": "death",
    "follow_up": "fu{n}",
    "other": "event{n}",
}


class EventMap(Section):
    """One kind of timeline event; ``id`` is a template (``car{instance}``).

    ``repeat: row`` makes one event per selected row; ``repeat: record`` one per record (rows
    merged; disagreeing rows are an error). The default is ``row`` with an ``instrument``,
    else ``record``.
    """

    type: EventType
    id: str | None = None
    repeat: Literal["row", "record"] | None = None

    @property
    def id_template(self) -> str:
        return self.id or _DEFAULT_ID[self.type]

    @property
    def per_row(self) -> bool:
        return self.repeat == "row" or (self.repeat is None and self.instrument is not None)


_OBSERVATION_KEYS = (
    "analyte",
    "value",
    "unit",
    "day",
    "at",
    "anchor",
    "specimen",
    "method",
    "lloq",
)


class ObservationMap(Section):
    """Long-format measurements: each selected row is one point of a series.

    ``fields`` take the keys analyte, value, unit (per row or constant), day with anchor, or at
    (a date), and optionally specimen, method and lloq. Rows of one record with the same analyte,
    anchor, specimen and method form one series, in the analyte's unit (converted where safe).
    """

    id: str = "obs-{analyte}"

    @model_validator(mode="after")
    def _keys(self) -> ObservationMap:
        keys = set(self.fields)
        unknown = keys - set(_OBSERVATION_KEYS)
        if unknown:
            name = sorted(unknown)[0]
            close = difflib.get_close_matches(name, _OBSERVATION_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown observation field {name!r}{hint} (known: {', '.join(_OBSERVATION_KEYS)})"
            )
        missing = [k for k in ("analyte", "value") if k not in keys]
        if missing:
            raise ValueError(f"an observation mapping needs {' and '.join(missing)}")
        if ("day" in keys) == ("at" in keys):
            raise ValueError("an observation mapping needs 'day' (with 'anchor') or 'at'")
        if "day" in keys and "anchor" not in keys:
            raise ValueError("'day' needs 'anchor': the event id (a template) day 0 counts from")
        return self


class AssessmentMap(Section):
    """Daily bedside findings: ``fields`` are paths into an assessment (``at``,
    ``crs.temperature_c``, ``crs.oxygen.device``, ``icans.ice_score``); one assessment per row."""


class DateSettings(Frozen):
    formats: tuple[str, ...] = DEFAULT_DATE_FORMATS

    @model_validator(mode="after")
    def _formats_ok(self) -> DateSettings:
        if not self.formats:
            raise ValueError("declare at least one date format")
        for fmt in self.formats:
            try:
                check_format(fmt)
            except CellError as exc:
                raise ValueError(str(exc)) from None
        return self


class SourceSpec(Frozen):
    kind: Literal[
        "case_report", "case_series", "cohort", "clinical_record", "registry", "synthetic"
    ] = "clinical_record"
    note: str | None = None


class TableMapping(Frozen):
    """A whole mapping file: how the rows of one table become Cases, one per record id."""

    mapping_version: Literal[1] = 1
    format: Literal["redcap", "table"] = Field(
        description="redcap: a REDCap records export (repeating instruments, events); table: a "
        "plain wide or long CSV."
    )
    description: str | None = None
    record_id: str | None = Field(
        None,
        description="Column of the record id; for REDCap the dictionary's first field by default.",
    )
    case_id: str = Field("{record}", description="Template of the case id.")
    status: Literal["final", "draft"] = "final"
    source: SourceSpec = SourceSpec()
    complete_history: bool = False
    index: tuple[str, ...] = Field((), description="Templates of the index therapies' ids.")
    dates: DateSettings = DateSettings()
    decimal: Literal[".", ","] = "."
    patient: Section | None = None
    diagnosis: Section | None = None
    events: tuple[EventMap, ...] = ()
    observations: tuple[ObservationMap, ...] = ()
    assessments: tuple[AssessmentMap, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> TableMapping:
        template_names(self.case_id)
        for t in self.index:
            template_names(t)
        if self.format == "table" and self.record_id is None:
            raise ValueError("a plain table needs 'record_id': the column holding the record id")
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for loc, section in self.located_sections():
            if self.format == "table" and (section.instrument or section.events):
                problems.append(
                    (
                        loc,
                        "'instrument' and 'events' are REDCap selections; a plain table has "
                        "neither",
                    )
                )
            if loc[0] in ("patient", "diagnosis") and section.instrument:
                problems.append((loc, "is read from non-repeating rows; remove 'instrument'"))
            problems.extend(_check_targets(loc, section))
        if problems:
            raise MappingProblems(problems)
        return self

    def located_sections(self) -> list[tuple[tuple[str | int, ...], Section]]:
        out: list[tuple[tuple[str | int, ...], Section]] = []
        for name in ("patient", "diagnosis"):
            section = getattr(self, name)
            if section is not None:
                out.append(((name,), section))
        for name in ("events", "observations", "assessments"):
            out += [((name, i), s) for i, s in enumerate(getattr(self, name))]
        return out

    def sections(self) -> list[tuple[str, Section]]:
        """Every section with its path in the mapping file (``events[2]``)."""
        return [(_loc_text(loc), s) for loc, s in self.located_sections()]

    def columns(self) -> dict[str, list[str]]:
        """Every column the mapping reads -> where in the mapping it is read."""
        out: dict[str, list[str]] = {}
        if self.record_id:
            out.setdefault(self.record_id, []).append("record_id")
        for path, section in self.sections():
            if section.when is not None:
                out.setdefault(section.when.column, []).append(f"{path}.when")
            for name, spec in section.fields.items():
                for col in spec.columns():
                    out.setdefault(col, []).append(f"{path}.fields.{name}")
        return out

    def to_yaml(self) -> str:
        """YAML text that loads back to an equal mapping."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        data = {"mapping_version": 1, "format": self.format, **data}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# --- checking field paths against the Case model -------------------------------------------------


def _submodels(annotation: Any) -> list[type[BaseModel]]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _submodels(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple, list):
        out: list[type[BaseModel]] = []
        for arg in get_args(annotation):
            if arg is not Ellipsis:
                out += _submodels(arg)
        return out
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _check_path(model: type[BaseModel], path: str) -> str | None:
    """None when ``path`` (dotted) names a field of ``model``; else what is wrong."""
    current: list[type[BaseModel]] = [model]
    parts = path.split(".")
    for i, part in enumerate(parts):
        fields = {name: info for m in current for name, info in m.model_fields.items()}
        if part not in fields:
            known = sorted(fields)
            close = difflib.get_close_matches(part, known, n=1)
            where = ".".join(parts[:i]) or current[0].__name__
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
            return f"{part!r} is not a field of {where}{hint}"
        if i < len(parts) - 1:
            nxt = _submodels(fields[part].annotation)
            if not nxt:
                return f"{'.'.join(parts[: i + 1])} is a single value; it has no field {parts[i + 1]!r}"
            current = nxt
    return None


_RESERVED = {"id", "type"}


class MappingProblems(ValueError):
    """Problems of a whole mapping, each with its location in the mapping file."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]):
        self.problems = problems
        super().__init__("; ".join(f"{_loc_text(loc)}: {msg}" for loc, msg in problems))


def _check_targets(
    loc: tuple[str | int, ...], section: Section
) -> list[tuple[tuple[str | int, ...], str]]:
    if isinstance(section, ObservationMap):
        return []
    model: type[BaseModel]
    if isinstance(section, EventMap):
        model = EVENT_TYPES[section.type]
    elif isinstance(section, AssessmentMap):
        model = DailyAssessment
    elif loc[0] == "patient":
        model = Patient
    else:
        model = Diagnosis
    out: list[tuple[tuple[str | int, ...], str]] = []
    for name in section.fields:
        where = (*loc, "fields", name)
        if isinstance(section, EventMap) and name in _RESERVED:
            out.append((where, f"set the event's {name} on the event entry itself"))
            continue
        msg = _check_path(model, name)
        if msg is not None:
            out.append((where, msg))
    if isinstance(section, AssessmentMap) and "at" not in section.fields:
        out.append((loc, "an assessment needs 'at' (its time)"))
    return out


# --- loading -------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit dates (``2020-01-02`` stays text), refusing repeated keys."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, typing.Hashable):
            raise yaml.MarkedYAMLError(None, None, "a key must be plain text", key_node.start_mark)
        if key in out:
            raise yaml.MarkedYAMLError(
                None, None, f"the key {key!r} appears twice in the same block", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the node at ``loc`` (or of its nearest existing parent)."""
    if root is None:
        return None
    node: yaml.Node = root
    best = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            hit = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if hit is None:
                continue
            best, node = hit[0].start_mark.line + 1, hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return best
            node = node.value[part]
            best = node.start_mark.line + 1
        else:
            return best
    return best


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in str(part) or "(" in str(part):
            continue  # a validator's name pydantic put in the path
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return (
            f"{err['input']!r} is not allowed; use one of: {(err.get('ctx') or {}).get('expected')}"
        )
    if kind == "value_error":
        return str((err.get("ctx") or {}).get("error", err["msg"]))
    return str(err["msg"])


def parse_mapping_text(text: str, where: str = "<mapping>") -> TableMapping:
    """Parse and validate the YAML text of a mapping; :class:`MappingError` lists every problem
    with the line of the mapping file."""
    if "&" in text or "*" in text:
        try:
            for event in yaml.parse(text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    line = event.start_mark.line + 1 if event.start_mark else None
                    raise MappingError(
                        Problem("YAML aliases (*name) are not allowed in a mapping", where, line)
                    )
        except yaml.YAMLError:
            pass  # reported by the parse proper
    try:
        data = yaml.load(text, Loader=_Loader)
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise MappingError(
            Problem(f"this is not valid YAML: {exc.problem or exc}", where, line)
        ) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise MappingError(Problem(f"this is not valid YAML: {exc}", where)) from None
    if not isinstance(data, dict):
        raise MappingError(
            Problem("a mapping file is a block of keys (format, record_id, events, ...)", where, 1)
        )
    try:
        return TableMapping.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            inner = (err.get("ctx") or {}).get("error")
            if isinstance(inner, MappingProblems):
                for sub, msg in inner.problems:
                    full = loc + sub
                    problems.append(Problem(msg, where, _line_of(root, full), _loc_text(full)))
                continue
            problems.append(
                Problem(_message(err), where, _line_of(root, loc), _loc_text(loc) or None)
            )
        raise MappingError(problems) from None


@dataclass(frozen=True)
class MappingFile:
    """A loaded mapping with its file name and text, to place later problems on their line."""

    mapping: TableMapping
    where: str
    text: str

    def problem(self, loc: tuple[str | int, ...], message: str) -> Problem:
        try:
            root = yaml.compose(self.text, Loader=_Loader)
        except yaml.YAMLError:
            root = None
        return Problem(message, self.where, _line_of(root, loc), _loc_text(loc) or None)


def load_mapping(path: str | Path) -> TableMapping:
    """Read and validate a mapping file."""
    return load_mapping_file(path).mapping


def load_mapping_file(path: str | Path) -> MappingFile:
    """Read and validate a mapping file, keeping its text (see :class:`MappingFile`)."""
    p = Path(path)
    where = str(path)
    try:
        if p.is_dir():
            raise MappingError(Problem("this is a folder, not a mapping file", where))
        if p.stat().st_size > MAX_MAPPING_BYTES:
            raise MappingError(
                Problem(f"a mapping file is limited to {MAX_MAPPING_BYTES // 1000} kB", where)
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise MappingError(Problem("no such mapping file", where)) from None
    except OSError as exc:
        raise MappingError(
            Problem(f"the mapping file cannot be read: {exc.strerror}", where)
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MappingError(
            Problem("the mapping file is not UTF-8 text; save it as UTF-8", where, line)
        ) from None
    return MappingFile(parse_mapping_text(text, where), where, text)


def shipped_mappings() -> dict[str, Path]:
    """The example mappings shipped with remission (``redcap-cart-example`` ...), by name."""
    folder = resources.files("remission.interop").joinpath("mappings")
    return {
        p.name.removesuffix(".yaml"): Path(str(p))
        for p in sorted(folder.iterdir(), key=lambda x: x.name)
        if p.name.endswith(".yaml")
    }
