"""REDCap data dictionaries and checking a mapping against one (remission.interop.redcap)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remission.exceptions import TableImportError
from remission.interop.csv_table import parse_csv_text
from remission.interop.mapping import parse_mapping_text, shipped_mappings
from remission.interop.redcap import (
    HEADERS,
    check_mapping,
    checkbox_column,
    dictionary_from_table,
    parse_choices,
    read_dictionary,
)

DATA = Path(__file__).parent / "data" / "redcap"
DICTIONARY = DATA / "cart_followup_DataDictionary.csv"


def dictionary_text(rows: list[list[str]], header: list[str] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        header or [HEADERS[k] for k in ("name", "form", "type", "label", "choices", "validation")]
    )
    writer.writerows(rows)
    return buf.getvalue()


def test_the_test_projects_dictionary():
    d = read_dictionary(DICTIONARY)
    assert d.record_id == "record_id"
    assert d.forms == (
        "demographics",
        "diagnosis",
        "prior_therapy",
        "relapse",
        "transplant",
        "car_t_infusion",
        "toxicity",
        "response_assessment",
        "cart_kinetics",
        "crs_daily",
        "follow_up",
    )
    sex = d.fields["dem_sex"]
    assert sex.choices == (("1", "Male"), ("2", "Female")) and sex.label_of("2") == "Female"
    assert d.fields["dem_down"].choices == (("1", "Yes"), ("0", "No"))  # implied by yesno
    assert d.fields["dx_date"].validation == "date_ymd"
    assert d.export_columns("cart_costim") == ("cart_costim___1", "cart_costim___2")
    assert d.fields["tox_grade"].codes[0] == "0"


def test_choices_as_redcap_writes_them():
    assert parse_choices("1, Male | 2, Female") == (("1", "Male"), ("2", "Female"))
    assert parse_choices("0, 0 (stated absent)|1, 1, mild") == (
        ("0", "0 (stated absent)"),
        ("1", "1, mild"),
    )
    with pytest.raises(ValueError, match="twice"):
        parse_choices("1, a | 1, b")
    with pytest.raises(ValueError, match="not 'code, label'"):
        parse_choices("1 Male | 2, Female")


_codes = st.from_regex(r"[A-Za-z0-9_\-]{1,6}", fullmatch=True)
_labels = st.text(
    alphabet=st.characters(blacklist_characters="|\r\n", blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s)


@given(st.dictionaries(_codes, _labels, min_size=1, max_size=8))
def test_choices_written_and_read_back(choices):
    text = " | ".join(f"{c}, {label}" for c, label in choices.items())
    assert parse_choices(text) == tuple(choices.items())


def test_checkbox_columns_follow_redcaps_naming():
    assert checkbox_column("agents", "12") == "agents___12"
    assert checkbox_column("sites", "CNS") == "sites___cns"
    assert checkbox_column("x", "-1") == "x____1"


def test_a_malformed_dictionary_lists_every_bad_row():
    text = dictionary_text(
        [
            ["record_id", "demo", "text", "ID", "", ""],
            ["sex", "demo", "radio", "Sex", "1 Male | 2, Female", ""],
            ["sex", "demo", "text", "again", "", ""],
            ["colour", "demo", "colourpicker", "x", "", ""],
            ["agents", "demo", "checkbox", "Agents", "", ""],
            ["", "demo", "text", "no name", "", ""],
        ]
    )
    with pytest.raises(TableImportError) as info:
        dictionary_from_table(parse_csv_text(text, "dict.csv"))
    found = [str(p) for p in info.value.problems]
    assert found == [
        "dict.csv:3: row 2, column 'Choices, Calculations, OR Slider Labels': field 'sex': choice '1 Male' is not 'code, label'",
        "dict.csv:4: row 3, column 'Variable / Field Name': the field 'sex' is defined twice (first on line 3)",
        "dict.csv:5: row 4, column 'Field Type': 'colourpicker' is not a REDCap field type (text, notes, dropdown, radio, checkbox, yesno, truefalse, calc, file, descriptive, slider, sql)",
        "dict.csv:6: row 5, column 'Choices, Calculations, OR Slider Labels': the checkbox field 'agents' has no choices",
        "dict.csv:7: row 6, column 'Variable / Field Name': the field has no name",
    ]


def test_a_csv_that_is_not_a_dictionary_is_refused():
    with pytest.raises(TableImportError, match=r"no column 'Form Name'.*data dictionary"):
        dictionary_from_table(parse_csv_text("Variable / Field Name,Type\na,text\n", "x.csv"))


def test_the_shipped_mapping_fits_the_test_projects_dictionary():
    mapping = parse_mapping_text(shipped_mappings()["redcap-cart-example"].read_text())
    assert check_mapping(mapping, read_dictionary(DICTIONARY)) == []


def test_everything_the_dictionary_contradicts_is_named():
    mapping = parse_mapping_text(
        """\
format: redcap
record_id: recordid
patient:
  fields:
    sex: dem_sex
    birth_year: {column: dem_birthyear, read: integer}
diagnosis:
  fields:
    date: dx_date
    genetics: {column: dx_genetics, read: list}
    cns_status: {column: dx_cns, read: choice, values: {"1": CNS1, "2": CNS2}}
events:
  - type: relapse
    instrument: relapses
    fields: {date: {column: rel_date, read: date}}
  - type: car_t_infusion
    instrument: car_t_infusion
    fields:
      date: {column: resp_date, read: date}
      costimulatory: {column: cart_source, read: checkbox}
  - type: follow_up
    events: [month_3_arm_1]
    when: fu_alive
    fields: {date: {column: fu_date, read: date}, alive: {column: fu_vital, read: text}}
"""
    )
    found = {
        ".".join(str(p) for p in loc): msg
        for loc, msg in check_mapping(mapping, read_dictionary(DICTIONARY))
    }
    assert found == {
        "record_id": "'recordid' is not a field of the data dictionary (its first field, the record id, is 'record_id')",
        "patient.fields.sex.read": "'dem_sex' is a radio field that exports codes (1 (Male), 2 (Female)): read: choice",
        "patient.fields.birth_year.column": "'dem_birthyear' is not a field of the data dictionary; did you mean 'dem_birth_year'?",
        "diagnosis.fields.date.read": "'dx_date' is a date field: read: date",
        "diagnosis.fields.genetics.read": "'dx_genetics' is a checkbox field (exported as dx_genetics___<code> columns): read: checkbox",
        "diagnosis.fields.cns_status.values": "the choices 3 (CNS3) of 'dx_cns' have no value in the mapping (add them to 'values', null for 'not given')",
        "events.0.instrument": "'relapses' is not a form; did you mean 'relapse'?",
        "events.1.fields.date.column": "'resp_date' belongs to the form 'response_assessment', not to the repeating instrument 'car_t_infusion': its rows never hold it",
        "events.1.fields.costimulatory.read": "'cart_source' is a radio field, not a checkbox",
        "events.2.when": "'fu_alive' is not a field of the dictionary",
        "events.2.fields.alive.read": "'fu_vital' is a radio field that exports codes (1 (Alive), 0 (Dead)): read: choice",
    }


def test_a_dictionary_is_only_for_redcap_mappings():
    mapping = parse_mapping_text("format: table\nrecord_id: id\n")
    assert check_mapping(mapping, read_dictionary(DICTIONARY)) == [
        (("format",), "a data dictionary is only used with format: redcap")
    ]
