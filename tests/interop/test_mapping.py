"""The mapping file (remission.interop.mapping): loads, validates with lines, round-trips."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remission.exceptions import MappingError
from remission.interop.mapping import (
    FieldSpec,
    load_mapping,
    load_mapping_file,
    parse_mapping_text,
    render_template,
    shipped_mappings,
    template_names,
)

MINIMAL = """\
format: table
record_id: patient
events:
  - type: car_t_infusion
    id: car1
    fields:
      date: {column: infusion_date, read: date}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(MappingError) as info:
        parse_mapping_text(textwrap.dedent(text), "m.yaml")
    return [str(p) for p in info.value.problems]


def test_the_shipped_redcap_example_loads_and_round_trips():
    path = shipped_mappings()["redcap-cart-example"]
    mapping = load_mapping(path)
    assert mapping.format == "redcap" and mapping.case_id == "cart-{record}"
    assert [e.type for e in mapping.events][:4] == ["therapy", "relapse", "hsct", "car_t_infusion"]
    again = parse_mapping_text(mapping.to_yaml())
    assert again == mapping
    assert parse_mapping_text(again.to_yaml()) == again


def test_a_column_name_alone_is_short_for_a_text_column():
    mapping = parse_mapping_text(MINIMAL + "      construct_name: construct\n")
    spec = mapping.events[0].fields["construct_name"]
    assert spec == FieldSpec(column="construct")
    assert mapping.columns() == {
        "patient": ["record_id"],
        "infusion_date": ["events[0].fields.date"],
        "construct": ["events[0].fields.construct_name"],
    }


def test_defaults_per_row_and_ids():
    mapping = parse_mapping_text(
        """\
        format: redcap
        events:
          - {type: relapse, instrument: relapse, fields: {date: {column: d, read: date}}}
          - {type: follow_up, events: month_3_arm_1, repeat: row, fields: {date: {column: f, read: date}}}
          - {type: death, fields: {date: {column: dd, read: date}}}
        """.replace("        ", "")
    )
    relapse, follow_up, death = mapping.events
    assert relapse.per_row and relapse.id_template == "rel{n}"
    assert follow_up.per_row and follow_up.events == ("month_3_arm_1",)
    assert not death.per_row and death.id_template == "death"


def test_an_unknown_case_field_is_named_with_its_line_and_a_suggestion():
    found = problems(
        MINIMAL
        + """\
      dose.vlue: {column: dose, read: number}
      prodct: {column: product}
"""
    )
    assert found == [
        "m.yaml:8: events[0].fields.dose.vlue: 'vlue' is not a field of dose; did you mean 'value'?",
        "m.yaml:9: events[0].fields.prodct: 'prodct' is not a field of CarTInfusion; did you mean 'product'?",
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("      x: {column: a, value: 1}\n", "exactly one of 'column', 'value'"),
        ("      onset: {column: a, read: days}\n", "needs 'relative_to'"),
        ("      date: {column: a, read: dates}\n", "'dates' is not allowed"),
        ("      dose.value: {column: a, read: number, unit: furlongs}\n", "not a known unit"),
        (
            "      dose.value: {column: a, read: number, unit: mg/L, to_unit: ng/mL}\n",
            "no safe conversion",
        ),
        ("      dose.value: {column: a, unit: mg/L}\n", "only for read: number"),
        ("      product: {column: a, vocabulary: drugs}\n", "not a vocabulary"),
        ("      date: {column: a, read: date, formats: ['%d/%q/%Y']}\n", "uses %q"),
        ("      date: {column: a, read: date, formats: ['%d/%m']}\n", "has no year"),
        ("      trial: {template: '{record.__class__}'}\n", "is not a placeholder"),
        ("      trial: {template: 'x{record'}\n", "unbalanced braces"),
        ("      id: {value: other}\n", "set the event's id on the event entry itself"),
        ("      dose: {column: a, read: number, range: [5, 1]}\n", "range is [lowest, highest]"),
    ],
)
def test_malformed_field_specs_are_refused(extra, message):
    text = MINIMAL.replace("      date: {column: infusion_date, read: date}\n", extra)
    found = "\n".join(problems(text))
    assert message in found
    assert "m.yaml:7" in found  # the line of the field


def test_yaml_problems_are_refused_with_their_line():
    assert problems("format: table\nformat: redcap\n") == [
        "m.yaml:2: this is not valid YAML: the key 'format' appears twice in the same block"
    ]
    assert "aliases" in problems("a: &x 1\nb: *x\n")[0]
    assert "block of keys" in problems("- a\n- b\n")[0]
    assert "not valid YAML" in problems("format: [table\n")[0]


def test_whole_mapping_rules():
    assert any("needs 'record_id'" in p for p in problems("format: table\n"))
    found = problems(
        """\
        format: table
        record_id: id
        patient: {instrument: demographics, fields: {sex: sex}}
        assessments:
          - fields: {crs.temperature_c: {column: t, read: number}}
        """.replace("        ", "")
    )
    assert "m.yaml:3: patient: 'instrument' and 'events' are REDCap selections" in found[0]
    assert any("assessments[0]: an assessment needs 'at'" in p for p in found)
    obs = problems(
        """\
        format: table
        record_id: id
        observations:
          - fields: {analyte: a, value: {column: v, read: number}, dy: d}
        """.replace("        ", "")
    )
    assert "unknown observation field 'dy'; did you mean 'day'?" in obs[0]
    obs = problems(
        """\
        format: table
        record_id: id
        observations:
          - fields: {analyte: a, value: {column: v, read: number}, day: d}
        """.replace("        ", "")
    )
    assert "'day' needs 'anchor'" in obs[0]


def test_mapping_files_on_disk(tmp_path):
    good = tmp_path / "m.yaml"
    good.write_text(MINIMAL, encoding="utf-8")
    loaded = load_mapping_file(good)
    assert loaded.mapping.record_id == "patient"
    assert (
        str(loaded.problem(("events", 0, "fields", "date"), "x"))
        == f"{good}:7: events[0].fields.date: x"
    )
    with pytest.raises(MappingError, match="no such mapping file"):
        load_mapping(tmp_path / "absent.yaml")
    with pytest.raises(MappingError, match="folder"):
        load_mapping(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("format: table\nrecord_id: n\xfamero\n".encode("latin-1"))
    with pytest.raises(MappingError, match="2: the mapping file is not UTF-8"):
        load_mapping(latin)


def test_templates_fill_only_plain_names():
    assert template_names("car{instance}-{record}") == ["instance", "record"]
    assert render_template("car{instance}", {"instance": "2"}) == "car2"
    assert render_template("fu-{event}", {}) == "fu-"


@given(
    st.text(max_size=30),
    st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.text(max_size=8)),
)
def test_a_template_is_never_evaluated(template, values):
    try:
        names = template_names(template)
    except ValueError:
        return
    rendered = render_template(template, values)
    assert all(n.isidentifier() for n in names)
    for name in names:  # every placeholder is replaced by its value (or nothing), never evaluated
        assert "{" + name + "}" not in rendered or "{" + name + "}" in "".join(values.values())


def test_the_example_in_the_documentation_is_the_shipped_file():
    guide = (Path(__file__).parents[2] / "docs" / "interop.md").read_text(encoding="utf-8")
    example = shipped_mappings()["redcap-cart-example"].read_text(encoding="utf-8")
    assert "## REDCap and CSV import" in guide
    assert f"```yaml\n{example}```" in guide
    # every key of a field spec and of the whole mapping is documented
    for key in [
        *FieldSpec.model_fields,
        "mapping_version",
        "record_id",
        "case_id",
        "complete_history",
    ]:
        assert f"`{key}`" in guide, key
