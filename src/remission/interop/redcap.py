"""REDCap: the data dictionary, the layout of a records export, and checking a mapping against them.

A REDCap project is described by its data dictionary (the CSV "Download the Data Dictionary"
gives), one row per field with the standard headers ``Variable / Field Name``, ``Form Name``,
``Field Type``, ``Field Label``, ``Choices, Calculations, OR Slider Labels`` and
``Text Validation Type OR Show Slider Number``. Its records export (raw data, CSV) has one row per
record, longitudinal event (``redcap_event_name``) and repeating-instrument instance
(``redcap_repeat_instrument``, ``redcap_repeat_instance``); a checkbox field ``agents`` is exported
as one 0/1 column per choice, ``agents___1``, ``agents___2``; radio and dropdown fields export the
choice's code, whose label the dictionary gives (``1, Male | 2, Female``).

:func:`check_mapping` compares a mapping with the dictionary before any record is read: fields and
instruments that do not exist, a field read from an instrument it does not belong to, a checkbox
read as text, a choice the mapping cannot translate. (REDCap's documented export layout; no code
from REDCap is used.)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from remission.exceptions import Problem, TableImportError, TableProblem
from remission.interop.csv_table import CsvTable, TableRow, read_csv_file
from remission.interop.mapping import FieldSpec, TableMapping
from remission.model.vocab import load_vocabulary

__all__ = [
    "CHOICE_TYPES",
    "REDCAP_COLUMNS",
    "DataDictionary",
    "DictionaryField",
    "check_mapping",
    "checkbox_column",
    "parse_choices",
    "read_dictionary",
]

#: The dictionary's standard headers (REDCap's own spelling), by what they hold.
HEADERS = {
    "name": "Variable / Field Name",
    "form": "Form Name",
    "type": "Field Type",
    "label": "Field Label",
    "choices": "Choices, Calculations, OR Slider Labels",
    "validation": "Text Validation Type OR Show Slider Number",
}
_REQUIRED = ("name", "form", "type")
#: Columns REDCap adds to a records export.
REDCAP_COLUMNS = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
)
FIELD_TYPES = (
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "yesno",
    "truefalse",
    "calc",
    "file",
    "descriptive",
    "slider",
    "sql",
)
CHOICE_TYPES = ("dropdown", "radio", "checkbox")
_IMPLIED = {"yesno": (("1", "Yes"), ("0", "No")), "truefalse": (("1", "True"), ("0", "False"))}


def parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    """``"1, Male | 2, Female"`` -> ``(("1", "Male"), ("2", "Female"))``.

    Raises ``ValueError`` for a choice without a code or label, or a code given twice.
    """
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in text.split("|"):
        if not part.strip():
            continue
        code, sep, label = part.partition(",")
        code, label = code.strip(), label.strip()
        if not sep or not code or not label:
            raise ValueError(f"choice {part.strip()!r} is not 'code, label'")
        if code in seen:
            raise ValueError(f"the choice code {code!r} is given twice")
        seen.add(code)
        out.append((code, label))
    return tuple(out)


def checkbox_column(field: str, code: str) -> str:
    """The export column of one checkbox choice: ``agents`` and ``1`` -> ``agents___1``
    (REDCap lowercases the code and writes a minus sign as an underscore)."""
    return f"{field}___{code.lower().replace('-', '_')}"


@dataclass(frozen=True)
class DictionaryField:
    """One field of the data dictionary, with the line it is on."""

    name: str
    form: str
    field_type: str
    label: str
    choices: tuple[tuple[str, str], ...]
    validation: str
    line: int

    def label_of(self, code: str) -> str | None:
        return next((label for c, label in self.choices if c == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.choices)

    def describe_choices(self, limit: int = 12) -> str:
        shown = ", ".join(f"{c} ({label})" for c, label in self.choices[:limit])
        return shown + (", ..." if len(self.choices) > limit else "")


@dataclass(frozen=True)
class DataDictionary:
    where: str
    fields: dict[str, DictionaryField]

    @property
    def record_id(self) -> str:
        """The record id field: REDCap's first field."""
        return next(iter(self.fields))

    @property
    def forms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.form for f in self.fields.values()))

    def export_columns(self, name: str) -> tuple[str, ...]:
        """The columns a field takes in a records export (one per choice for a checkbox)."""
        field = self.fields[name]
        if field.field_type == "checkbox":
            return tuple(checkbox_column(name, c) for c in field.codes)
        if field.field_type == "descriptive":
            return ()
        return (name,)


def dictionary_from_table(table: CsvTable) -> DataDictionary:
    """Build a dictionary from its CSV rows; :class:`TableImportError` lists every bad row."""
    where = table.where
    problems: list[Problem] = []
    by_key = {h.strip().lower(): h for h in table.header}
    columns: dict[str, str] = {}
    for key, header in HEADERS.items():
        found = by_key.get(header.lower())
        if found is not None:
            columns[key] = found
        elif key in _REQUIRED:
            problems.append(
                TableProblem(
                    f"the data dictionary has no column {header!r}; is this a REDCap data "
                    "dictionary (Project Setup > Data Dictionary > Download)?",
                    where,
                    1,
                    column=header,
                )
            )
    if problems:
        raise TableImportError(problems)
    fields: dict[str, DictionaryField] = {}
    first_line: dict[str, int] = {}
    for row in table.rows:
        name = row.get(columns["name"])
        ftype = row.get(columns["type"]).lower()
        form = row.get(columns["form"])

        def bad(message: str, column: str, row: TableRow = row) -> None:
            problems.append(TableProblem(message, where, row.line, row=row.number, column=column))

        if not name:
            bad("the field has no name", HEADERS["name"])
            continue
        if name in first_line:
            bad(
                f"the field {name!r} is defined twice (first on line {first_line[name]})",
                HEADERS["name"],
            )
            continue
        first_line[name] = row.line
        if ftype not in FIELD_TYPES:
            bad(f"{ftype!r} is not a REDCap field type ({', '.join(FIELD_TYPES)})", HEADERS["type"])
            continue
        if not form:
            bad("the field has no form", HEADERS["form"])
            continue
        choices: tuple[tuple[str, str], ...] = _IMPLIED.get(ftype, ())
        if ftype in CHOICE_TYPES:
            try:
                choices = parse_choices(row.get(columns.get("choices", "")))
            except ValueError as exc:
                bad(f"field {name!r}: {exc}", HEADERS["choices"])
                continue
            if not choices:
                bad(f"the {ftype} field {name!r} has no choices", HEADERS["choices"])
                continue
        fields[name] = DictionaryField(
            name=name,
            form=form,
            field_type=ftype,
            label=row.get(columns.get("label", "")),
            choices=choices,
            validation=row.get(columns.get("validation", "")).lower(),
            line=row.line,
        )
    if not problems and not fields:
        problems.append(TableProblem("the data dictionary lists no fields", where, 1))
    if problems:
        raise TableImportError(problems)
    return DataDictionary(where, fields)


def read_dictionary(path: str | Path) -> DataDictionary:
    """Read a REDCap data dictionary CSV."""
    return dictionary_from_table(read_csv_file(path))


# --- checking a mapping ---------------------------------------------------------------------------

Loc = tuple[str | int, ...]


def _choice_gaps(spec: FieldSpec, field: DictionaryField) -> list[str]:
    """Choices the mapping cannot turn into a Case value (neither in ``values`` nor a term)."""
    gaps = []
    folded = {k.casefold() for k in spec.values}
    vocab = load_vocabulary(spec.vocabulary) if spec.vocabulary else None
    for code, label in field.choices:
        if code in spec.values or label.casefold() in folded:
            continue
        if vocab is not None and (vocab.lookup(label) or vocab.lookup(code)):
            continue
        if not spec.values and vocab is None:
            continue  # the label itself is the value; the Case checks it
        gaps.append(f"{code} ({label})")
    return gaps


def _check_spec(
    loc: Loc, spec: FieldSpec, dictionary: DataDictionary, instrument: str | None
) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    known = dictionary.fields
    for attr in ("column", "unit_column"):
        name = getattr(spec, attr)
        if name is None or name in REDCAP_COLUMNS:
            continue
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.append(((*loc, attr), f"{name!r} is not a field of the data dictionary{hint}"))
            continue
        field = known[name]
        if instrument is not None and field.form != instrument:
            out.append(
                (
                    (*loc, attr),
                    f"{name!r} belongs to the form {field.form!r}, not to the repeating "
                    f"instrument {instrument!r}: its rows never hold it",
                )
            )
        if attr == "unit_column":
            continue
        ftype = field.field_type
        if ftype == "checkbox" and spec.read != "checkbox":
            out.append(
                (
                    (*loc, "read"),
                    f"{name!r} is a checkbox field (exported as {name}___<code> columns): "
                    "read: checkbox",
                )
            )
        elif spec.read == "checkbox" and ftype != "checkbox":
            out.append(((*loc, "read"), f"{name!r} is a {ftype} field, not a checkbox"))
        elif ftype in ("dropdown", "radio") and spec.read == "text" and not spec.values:
            out.append(
                (
                    (*loc, "read"),
                    f"{name!r} is a {ftype} field that exports codes "
                    f"({field.describe_choices(4)}): read: choice",
                )
            )
        elif ftype in ("yesno", "truefalse") and spec.read not in ("boolean", "choice"):
            out.append(((*loc, "read"), f"{name!r} is a {ftype} field: read: boolean"))
        elif field.validation.startswith("date") and spec.read not in ("date", "time"):
            out.append(((*loc, "read"), f"{name!r} is a date field: read: date"))
        if ftype in CHOICE_TYPES and spec.read in ("choice", "checkbox", "list", "text"):
            gaps = _choice_gaps(spec, field)
            if gaps:
                out.append(
                    (
                        (*loc, "values"),
                        f"the choices {', '.join(gaps)} of {name!r} have no value in the mapping "
                        "(add them to 'values', null for 'not given')",
                    )
                )
    return out


def check_mapping(mapping: TableMapping, dictionary: DataDictionary) -> list[tuple[Loc, str]]:
    """Everything in ``mapping`` the data dictionary contradicts, each with its place in the
    mapping file (empty when they fit)."""
    out: list[tuple[Loc, str]] = []
    if mapping.format != "redcap":
        return [(("format",), "a data dictionary is only used with format: redcap")]
    if mapping.record_id is not None and mapping.record_id not in dictionary.fields:
        out.append(
            (
                ("record_id",),
                f"{mapping.record_id!r} is not a field of the data dictionary (its first field, "
                f"the record id, is {dictionary.record_id!r})",
            )
        )
    forms = dictionary.forms
    for loc, section in mapping.located_sections():
        if section.instrument is not None and section.instrument not in forms:
            close = difflib.get_close_matches(section.instrument, list(forms), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; forms: {', '.join(forms)}"
            out.append(((*loc, "instrument"), f"{section.instrument!r} is not a form{hint}"))
            continue
        when = section.when
        known = when is None or when.column in dictionary.fields or when.column in REDCAP_COLUMNS
        if not known and when is not None:
            out.append(((*loc, "when"), f"{when.column!r} is not a field of the dictionary"))
        for name, spec in section.fields.items():
            out += _check_spec((*loc, "fields", name), spec, dictionary, section.instrument)
    return out
