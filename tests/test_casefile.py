"""Case files: YAML in, validated documents out, and every problem said where and in plain words.

DESIGN.md, "Nothing is lost": a rejected input says what and where (file, line, field) in words a
clinician understands. These tests read the message a person would read, not only the exception.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.casefile import (
    MAX_FILE_BYTES,
    document_from_data,
    dump_document,
    load_file,
    load_files,
    parse_document_text,
)
from remission.examples import example_paths
from remission.exceptions import CaseFileError, DuplicateIdError, InputError, Problem
from remission.model import Case, CohortAggregate

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

EXAMPLES = example_paths()

#: A short, valid case; tests change one thing in it and read what is said about that thing.
BASE = textwrap.dedent(
    """\
    id: case-1
    patient: {sex: male, age: {value: 30}}
    diagnosis: {date: 2014-03}
    timeline:
      - id: rel1
        type: relapse
        date: 2015
        sites: [marrow]
      - id: car1
        type: car_t_infusion
        date: 2015-06-01
        product: tisagenlecleucel
    """
)

#: A full synthetic course touching every part of the schema (all event types, nested blocks,
#: every time form, daily assessments, observation series, multi-line text).
RICH = textwrap.dedent(
    """\
    # A synthetic course written for the tests.
    id: rich-001
    status: draft
    source: {kind: synthetic, note: written for the tests}
    patient:
      sex: female
      birth_year: 1990
      age: {value: 24, unit: years, at: diagnosis}
      down_syndrome: false
    diagnosis:
      date: 2014-05
      ph_positive: true
      bcr_abl1_transcript: p190
      kinase_mutations: [T315I]
      cd19: positive
      cns_status: CNS1
      wbc_10e9_l: 45.5
    index: [car1]
    complete_history: true
    timeline:
      - id: ind1
        type: therapy
        start: diagnosis
        end: ind1+6w
        protocol: hyper-CVAD
        agents: [vincristine, dexamethasone, ponatinib]
        intent: induction
        line: 1
        route: iv
      - id: rel1
        type: relapse
        date: 2016-11
        number: 1
        sites: [marrow, testicle]
        marrow_blasts_pct: 62.5
        cns_status: CNS2
      - id: blina1
        type: therapy
        start: rel1+7d
        end: blina1+28d
        agents: [Blincyto]
        intent: salvage
        cycle: 1
        dose: {value: 28, unit: ug/day}
      - id: car1
        type: car_t_infusion
        date: 2017-03-05
        product: tisagenlecleucel
        dose: {value: 2000000.0, unit: cells/kg}
        lymphodepletion:
          agents: [fludarabine, cyclophosphamide]
          start: car1-5d
      - id: crs1
        type: toxicity
        syndrome: crs
        after: car1
        onset: car1+2d
        resolved: car1+9d
        grade: {grade: 2, scale: Lee}
        treatments: [tocilizumab]
      - id: d28
        type: disease_assessment
        date: car1 + day 28
        assesses: car1
        response: CR
        marrow_blasts_pct: 0.5
        mrd: {value: 0.0, detectable: false, method: flow, sensitivity: 0.0001}
        csf: {wbc_per_ul: 2, blasts_present: false}
        extramedullary:
          - {site: testis, status: resolved}
        imaging:
          - {modality: PET/CT, result: negative}
        b_cell_aplasia: true
      - id: hsct1
        type: hsct
        date: {after: car1, months: 3}
        donor_type: haploidentical
        donor: {relation: brother, sex: male, hla_match: 5/10}
        graft_source: peripheral_blood
        conditioning: {intensity: myeloablative, agents: [busulfan], tbi_gy: 12}
      - id: gvhd1
        type: toxicity
        syndrome: gvhd
        gvhd_kind: acute
        onset: hsct1+30d
        organs: [skin]
        grade: {grade: 1, scale: MAGIC}
      - id: enrol
        type: other
        date: 2017-02
        label: enrolled on a trial
      - id: fu1
        type: follow_up
        date: 2018-03-05
        disease_status: remission
        car_t_persistence: false
      - id: death1
        type: death
        date: 2019
        cause: infection
    assessments:
      - at: car1+2d
        crs: {temperature_c: 39.2, hypotension: true, fluids_only: true}
      - at: car1+4d
        icans: {ice_score: 8, age_years: 26}
    observations:
      - id: cart-blood
        analyte: car_t_transgene_copies
        unit: copies/ug
        anchor: car1
        lloq: 10
        points:
          - {day: 0, value: 0, blq: true}
          - {day: 7, value: 15000}
          - {day: 14, value: 42000.5}
      - id: ferritin
        analyte: ferritin
        unit: ng/mL
        points:
          - {at: car1+3d, value: 5400}
    notes: |
      Synthetic course for the tests.
      Second line of the note: "quoted", 'single', #hash, key: value.
    """
)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line of ``text`` containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[nth - 1]


def problems(text: str, where: str = "case.yaml") -> list[Problem]:
    with pytest.raises(CaseFileError) as info:
        parse_document_text(text, where)
    return info.value.problems


def only_problem(text: str, where: str = "case.yaml") -> Problem:
    found = problems(text, where)
    assert len(found) == 1, found
    return found[0]


def with_events(extra: str, base: str = BASE) -> str:
    """``base`` with more timeline events (YAML indented as in BASE)."""
    return base + textwrap.indent(textwrap.dedent(extra), "  ")


# --- the bundled examples ------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_bundled_example_loads(path):
    loaded = load_file(path)
    assert loaded.path == path
    assert isinstance(loaded.document, Case | CohortAggregate)
    assert loaded.document.kind == yaml.safe_load(path.read_text(encoding="utf-8"))["kind"]


def test_the_bundled_examples_load_together_with_distinct_ids():
    loaded = load_files(EXAMPLES)
    assert len(loaded) == len(EXAMPLES) >= 5
    assert len({item.document.id for item in loaded}) == len(loaded)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_an_exported_example_reimports_to_an_identical_document(path):
    doc = load_file(path).document
    text = dump_document(doc)
    again = parse_document_text(text, "exported.yaml")
    assert again == doc
    assert dump_document(again) == text


def test_a_full_course_touching_every_part_of_the_schema_loads_and_round_trips():
    doc = parse_document_text(RICH, "rich.yaml")
    assert isinstance(doc, Case)
    assert {ev.type for ev in doc.timeline} == {
        "therapy", "car_t_infusion", "hsct", "relapse", "disease_assessment", "toxicity",
        "death", "follow_up", "other",
    }
    # synonyms are stored as their canonical terms
    assert doc.event("rel1").sites == ("marrow", "testis")
    assert doc.event("blina1").agents == ("blinatumomab",)
    assert doc.event("crs1").grade.scale == "Lee 2014"
    # a named product fills in what it fixes
    assert doc.event("car1").costimulatory == ("4-1BB",)
    text = dump_document(doc)
    assert parse_document_text(text) == doc
    assert "Second line of the note" in text


def test_an_exported_document_starts_with_its_schema_version_and_kind():
    text = dump_document(parse_document_text(BASE))
    assert text.splitlines()[:3] == ["schema_version: 1", "kind: case", "id: case-1"]


def test_a_utf8_byte_order_mark_and_windows_line_endings_are_accepted(tmp_path):
    path = tmp_path / "windows.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.replace("\n", "\r\n").encode("utf-8"))
    assert load_file(path).document == parse_document_text(BASE)


# --- YAML that cannot be read --------------------------------------------------------------------


def test_malformed_yaml_names_the_line():
    text = BASE.replace("sites: [marrow]", "sites: [marrow")
    problem = only_problem(text)
    assert problem.message.startswith("this is not valid YAML")
    assert problem.where == "case.yaml"
    assert problem.line == line_of(text, "sites: [marrow") + 1


def test_bad_indentation_names_the_line():
    text = BASE.replace("    sites: [marrow]", "\tsites: [marrow]")
    problem = only_problem(text)
    assert "not valid YAML" in problem.message and "tab" in problem.message
    assert problem.line == line_of(text, "\tsites")


def test_a_key_given_twice_is_refused_at_the_second_with_the_line_of_the_first():
    text = BASE.replace("    date: 2015\n", "    date: 2015\n    date: 2016\n")
    problem = only_problem(text)
    first = line_of(text, "date: 2015\n".strip())
    assert "the key 'date' appears twice in the same block" in problem.message
    assert f"(first on line {first})" in problem.message
    assert problem.line == line_of(text, "date: 2016")
    assert str(problem).startswith(f"case.yaml:{first + 1}: this is not valid YAML")


def test_a_top_level_key_given_twice_is_refused():
    text = BASE + "patient: {sex: female}\n"
    problem = only_problem(text)
    assert "the key 'patient' appears twice" in problem.message
    assert problem.line == line_of(text, "patient:", 2)


def test_two_documents_in_one_file_are_refused_at_the_second():
    problem = only_problem("id: a\n---\nid: b\n")
    assert problem.message == (
        "this is not valid YAML: expected a single document in the stream, but found another document"
    )
    assert problem.line == 2


def test_a_case_written_as_json_is_read_like_yaml():
    text = json.dumps({"id": "j1", "patient": {"sex": "male"},
                       "timeline": [{"id": "r1", "type": "relapse", "date": "2016-11", "sites": ["cns"]}]})
    doc = parse_document_text(text)
    assert doc.event("r1").sites == ("cns",)


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("- id: a\n- id: b\n", "this is a list"),
        ("", "this is empty"),
        ("   \n\n", "this is empty"),
        ("# only a comment\n", "this is empty"),
        ("just some words\n", "this is a str"),
        ("42\n", "this is a int"),
    ],
)
def test_a_file_that_is_not_a_block_of_fields_says_what_it_is(text, what):
    problem = only_problem(text)
    assert problem.message.startswith("a case file must be a block of fields (id, patient, timeline")
    assert what in problem.message
    assert problem.line == 1


def test_an_unknown_document_kind_is_named():
    problem = only_problem("kind: patient\nid: x\n")
    assert problem.message == "kind 'patient' is not known; use 'case' or 'cohort'"
    assert (problem.line, problem.field) == (1, "kind")


@pytest.mark.parametrize(
    "extra",
    [
        "notes: &loop {again: *loop}\n",
        "genetics: &g [IKZF1, TP53]\nx: *g\n",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
    ],
)
def test_anchors_and_aliases_are_refused_with_the_line_of_the_first_alias(extra):
    text = BASE + extra
    problem = only_problem(text)
    assert problem.message.startswith("YAML anchors and aliases (&name, *name) are not allowed")
    assert problem.line == line_of(text, "*")


@pytest.mark.parametrize(("opener", "closer"), [("{a: ", "}"), ("[", "]")])
def test_deeply_nested_blocks_are_refused(opener, closer):
    text = BASE + "notes: " + opener * 3000 + "1" + closer * 3000 + "\n"
    assert only_problem(text).message == "the YAML nests too deeply to be a case file"


# --- fields: unknown, wrong type, out of range ---------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "suggestion"),
    [
        ("sex: male", "sexx: male", "patient.sexx", "sex"),
        ("timeline:", "timline:", "timline", "timeline"),
        ("sites: [marrow]", "sities: [marrow]", "timeline[0] (relapse 'rel1').sities", "sites"),
        (
            "product: tisagenlecleucel",
            "cell_source: donor_derived\n    donor: {relashion: brother}",
            "timeline[1] (CAR-T infusion 'car1').donor.relashion",
            "relation",
        ),
    ],
)
def test_an_unknown_field_is_named_with_its_path_and_the_field_meant(old, new, field, suggestion):
    text = BASE.replace(old, new)
    problem = only_problem(text)
    name = field.rsplit(".", 1)[-1]
    assert problem.message == f"unknown field {name!r}; did you mean {suggestion!r}?"
    assert problem.field == field
    assert problem.line == line_of(text, name)


def test_an_unknown_field_in_a_daily_assessment_suggests_the_field_meant():
    text = BASE + "assessments:\n  - at: car1+1d\n    crs: {temprature_c: 39}\n"
    problem = only_problem(text)
    assert problem.field == "assessments[0].crs.temprature_c"
    assert "did you mean 'temperature_c'?" in problem.message


def test_an_unknown_field_in_a_cohort_suggests_the_alias_as_written():
    text = "kind: cohort\nid: c\nn_patients: 5\nindex_therapies:\n  - {clas: car_t}\n"
    messages = {p.field: p.message for p in problems(text)}
    assert "did you mean 'class'?" in messages["index_therapies[0].clas"]


def test_an_unknown_field_with_nothing_close_lists_the_known_fields():
    problem = only_problem(BASE.replace("sex: male", "sex: male, qqqqqqq: 1"))
    assert problem.message.startswith("unknown field 'qqqqqqq'; known fields here: sex, birth_year, age")


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("sites: [marrow]", "number: two", "timeline[0] (relapse 'rel1').number", "must be a whole number"),
        ("sites: [marrow]", "molecular: maybe", "timeline[0] (relapse 'rel1').molecular", "must be true or false"),
        ("sites: [marrow]", "sites: marrow", "timeline[0] (relapse 'rel1').sites", "must be a list"),
        ("sites: [marrow]", "marrow_blasts_pct: lots", "timeline[0] (relapse 'rel1').marrow_blasts_pct",
         "must be a number"),
        ("patient: {sex: male, age: {value: 30}}", "patient: male", "patient", "must be a block of fields"),
        ("id: case-1", "id: 123", "id", "must be text"),
    ],
)
def test_a_value_of_the_wrong_type_says_what_it_must_be(old, new, field, message):
    text = BASE.replace(old, new)
    problem = only_problem(text)
    assert (problem.field, problem.message) == (field, message)
    assert problem.line == line_of(text, new.split(":")[0])


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("sites: [marrow]", "marrow_blasts_pct: 150", "timeline[0] (relapse 'rel1').marrow_blasts_pct",
         "150 is out of range: it must be <= 100"),
        ("sites: [marrow]", "marrow_blasts_pct: -1", "timeline[0] (relapse 'rel1').marrow_blasts_pct",
         "-1 is out of range: it must be >= 0"),
        ("product: tisagenlecleucel", "dose: {value: -2000000, unit: cells/kg}",
         "timeline[1] (CAR-T infusion 'car1').dose.value", "-2000000 is out of range: it must be > 0"),
        ("{value: 30}", "{value: 130}", "patient.age.value", "130 is out of range: it must be <= 120"),
        ("sites: [marrow]", "number: 0", "timeline[0] (relapse 'rel1').number",
         "0 is out of range: it must be >= 1"),
        ("sex: male", "sex: male, birth_year: 1800", "patient.birth_year",
         "1800 is out of range: it must be >= 1900"),
    ],
)
def test_an_impossible_value_says_the_allowed_range(old, new, field, message):
    problem = only_problem(BASE.replace(old, new))
    assert problem.field == field
    assert problem.message.startswith(message)


def test_an_id_with_spaces_is_refused_with_the_rule_for_ids():
    problem = only_problem(BASE.replace("id: rel1", "id: first relapse"))
    assert problem.field == "timeline[0] (relapse 'first relapse').id"
    assert "'first relapse' is not a valid id: use letters, digits" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("sites: [marrow]", "sites: [marow]", "timeline[0] (relapse 'rel1').sites[0]",
         "'marow' is not a known disease site; did you mean 'marrow'?"),
        ("product: tisagenlecleucel", "product: tisagenlecleucell", "timeline[1] (CAR-T infusion 'car1').product",
         "did you mean 'tisagenlecleucel'"),
        ("sex: male", "sex: mal", "patient.sex", "'mal' is not allowed; use one of: 'male' or 'female'"),
    ],
)
def test_an_unknown_term_suggests_the_term_meant(old, new, field, message):
    problem = only_problem(BASE.replace(old, new))
    assert problem.field == field
    assert message in problem.message


def test_a_misspelt_agent_suggests_the_agent_meant():
    text = with_events(
        """\
        - id: tki1
          type: therapy
          start: 2015
          agents: [ponatinb]
        """
    )
    problem = only_problem(text)
    assert problem.field == "timeline[2] (therapy 'tki1').agents[0]"
    assert problem.message.startswith("'ponatinb' is not a known therapeutic agent; did you mean 'ponatinib'")
    assert problem.line == line_of(text, "ponatinb")


def test_synonyms_of_a_term_are_stored_as_the_term():
    doc = parse_document_text(BASE.replace("sites: [marrow]", "sites: [leukemides, testicle]"))
    assert doc.event("rel1").sites == ("skin", "testis")


def test_an_unknown_event_type_lists_the_event_types():
    text = with_events("- id: t1\n  type: therapyy\n")
    problem = only_problem(text)
    assert problem.message.startswith("'therapyy' is not an event type; use one of: car_t_infusion, death,")
    assert problem.field == "timeline[2] (therapyy 't1')"
    assert problem.line == line_of(text, "id: t1")


def test_an_event_without_a_type_asks_for_one():
    problem = only_problem(with_events("- id: t1\n  date: 2016\n"))
    assert problem.message.startswith("needs a 'type' (car_t_infusion, death,")
    assert problem.field == "timeline[2]"


def test_a_contradiction_with_a_named_product_is_explained():
    problem = only_problem(BASE.replace("product: tisagenlecleucel", "product: tisagenlecleucel\n    target: CD22"))
    assert problem.message == "tisagenlecleucel is CD19 (target), not CD22"
    assert problem.field == "timeline[1] (CAR-T infusion 'car1')"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("date: 2015\n", "date: 2015-02-30\n", "2015-02 has no day 30"),
        ("date: 2015\n", "date: 2015-02-29\n", "2015-02 has no day 29"),
        ("date: 2015\n", "date: 2015-13\n", "month 13 is not 1-12"),
        ("date: 2015\n", "date: 1850\n", "year 1850 is outside 1900-2200"),
        ("date: 2015\n", "date: true\n", "a point in time cannot be true/false"),
        ("date: 2015\n", "date: car1+3 fortnights\n", "unknown time unit 'fortnights'"),
        ("date: 2015\n", "date: {after: car1, days: -3}\n", "'days' must not be negative; use 'before'"),
        ("date: 2015\n", "date: {after: car1, before: car1}\n", "exactly one of 'after' or 'before'"),
    ],
)
def test_an_impossible_time_is_explained_on_its_line(old, new, message):
    text = BASE.replace(old, new)
    problem = only_problem(text)
    assert problem.field == "timeline[0] (relapse 'rel1').date"
    assert message in problem.message
    assert problem.line == line_of(text, new.strip())


def test_every_problem_of_a_file_is_reported_at_once():
    text = BASE.replace("sex: male", "sexx: male").replace(
        "sites: [marrow]", "sites: [marow]\n    marrow_blasts_pct: 150"
    )
    found = problems(text)
    assert [p.field for p in found] == [
        "patient.sexx",
        "timeline[0] (relapse 'rel1').sites[0]",
        "timeline[0] (relapse 'rel1').marrow_blasts_pct",
    ]
    assert [p.line for p in found] == [2, line_of(text, "marow"), line_of(text, "150")]


def test_a_problem_reads_as_file_line_field_message():
    problem = only_problem(BASE.replace("sex: male", "sexx: male"), where="cases/p1.yaml")
    assert str(problem) == "cases/p1.yaml:2: patient.sexx: unknown field 'sexx'; did you mean 'sex'?"


# --- the whole course: ids, references, chronology -----------------------------------------------


def test_an_event_id_used_twice_names_the_first_use():
    text = with_events("- id: car1\n  type: relapse\n")
    problem = only_problem(text)
    assert problem.message == "id 'car1' is used twice (first at timeline[1])"
    assert problem.field == "timeline[2] (relapse 'car1').id"
    assert problem.line == line_of(text, "id: car1", 2)


def test_the_id_diagnosis_is_reserved():
    problem = only_problem(with_events("- id: diagnosis\n  type: relapse\n"))
    assert problem.message == "'diagnosis' is reserved for the diagnosis date"


def test_an_observation_series_cannot_reuse_an_event_id():
    text = BASE + "observations:\n  - id: car1\n    analyte: ferritin\n    unit: ng/mL\n" \
        "    points: [{at: car1, value: 3}]\n"
    problem = only_problem(text)
    assert (problem.field, problem.message) == ("observations[0].id", "id 'car1' is already used")


@pytest.mark.parametrize(
    ("text", "field", "missing"),
    [
        (BASE.replace("timeline:", "index: [car9]\ntimeline:"), "index[0]", "car9"),
        (with_events("- id: a1\n  type: disease_assessment\n  assesses: nosuch\n"),
         "timeline[2] (disease assessment 'a1').assesses", "nosuch"),
        (with_events("- id: x1\n  type: toxicity\n  syndrome: crs\n  after: car9\n"),
         "timeline[2] (toxicity episode 'x1').after", "car9"),
        (BASE.replace("{value: 30}", "{value: 30, at: car9}"), "patient.age.at", "car9"),
        (BASE + "observations:\n  - id: o1\n    analyte: ferritin\n    unit: ng/mL\n    anchor: car9\n"
                "    points: [{day: 1, value: 3}]\n", "observations[0].anchor", "car9"),
    ],
)
def test_a_reference_to_a_missing_event_is_named(text, field, missing):
    problem = only_problem(text)
    assert problem.field == field
    assert problem.message == f"refers to {missing!r}, which is no event of this case"
    assert problem.line == line_of(text, missing)


def test_a_time_counted_from_a_missing_event_is_named():
    text = with_events("- id: a1\n  type: disease_assessment\n  date: nosuch+2d\n")
    problem = only_problem(text)
    assert problem.field == "timeline[2] (disease assessment 'a1').date"
    assert problem.message == "nosuch+2d counts from 'nosuch', which is no event of this case"
    assert problem.line == line_of(text, "nosuch+2d")


def test_an_end_counted_from_a_missing_event_is_named():
    text = with_events("- id: x1\n  type: toxicity\n  syndrome: crs\n  onset: car1+1d\n  resolved: car9+5d\n")
    problem = only_problem(text)
    assert problem.field == "timeline[2] (toxicity episode 'x1').resolved"
    assert "counts from 'car9', which is no event of this case" in problem.message


def test_a_therapy_can_only_be_added_to_a_therapy():
    text = with_events("- id: t1\n  type: therapy\n  agents: [dasatinib]\n  added_to: rel1\n")
    assert only_problem(text).message == "'rel1' is not a therapy"


def test_an_index_therapy_must_be_a_therapy():
    text = BASE.replace("timeline:", "index: [rel1]\ntimeline:")
    assert only_problem(text).message == "'rel1' is not a therapy, CAR-T infusion or HSCT"


def test_times_that_count_from_each_other_in_a_loop_are_refused():
    text = with_events(
        """\
        - id: a1
          type: disease_assessment
          date: a2+2d
        - id: a2
          type: disease_assessment
          date: a1+2d
        """
    )
    problem = only_problem(text)
    assert problem.message == "times refer to each other in a loop: a1 -> a2 -> a1"
    assert problem.field == "timeline[2] (disease assessment 'a1').date"
    assert problem.line == line_of(text, "a2+2d")


def test_a_relapse_before_the_diagnosis_is_impossible():
    text = BASE.replace("date: 2015\n", "date: 2013-06\n")
    problem = only_problem(text)
    assert problem.message == "this relapse is dated before the diagnosis"
    assert problem.field == "timeline[0] (relapse 'rel1').date"
    assert problem.line == line_of(text, "2013-06")


def test_partial_dates_conflict_only_when_the_conflict_is_certain():
    # diagnosed March 2014, relapsed "in 2014": possibly later, so accepted
    assert parse_document_text(BASE.replace("date: 2015\n", "date: 2014\n"))


def test_an_event_after_death_is_impossible():
    text = with_events("- id: d1\n  type: death\n  date: 2015-01\n")
    problem = only_problem(text)
    assert problem.message == "this CAR-T infusion is dated after the patient's death"
    assert problem.field == "timeline[1] (CAR-T infusion 'car1').date"


def test_a_patient_dies_only_once():
    text = with_events("- id: d1\n  type: death\n  date: 2016-01\n- id: d2\n  type: death\n  date: 2016-02\n")
    problem = only_problem(text)
    assert problem.message == "a patient can die only once"
    assert problem.field == "timeline[3] (death 'd2')"
    assert problem.line == line_of(text, "id: d2")


def test_a_toxicity_resolved_before_its_onset_is_impossible():
    text = with_events(
        "- id: x1\n  type: toxicity\n  syndrome: crs\n  onset: car1+5d\n  resolved: car1+2d\n"
    )
    problem = only_problem(text)
    assert problem.message == "this toxicity episode ends before it starts"
    assert problem.field == "timeline[2] (toxicity episode 'x1').resolved"
    assert problem.line == line_of(text, "car1+2d")


def test_a_therapy_that_ends_before_it_starts_is_impossible():
    text = with_events("- id: t1\n  type: therapy\n  agents: [dasatinib]\n  start: 2016-05\n  end: 2016-01\n")
    problem = only_problem(text)
    assert problem.message == "this therapy ends before it starts"
    assert problem.field == "timeline[2] (therapy 't1').end"


def test_a_cohort_cannot_count_more_patients_than_it_has():
    problem = only_problem("kind: cohort\nid: c\nn_patients: 5\nn_complete_response: 7\n")
    assert "n_complete_response = 7 is more than the 5 patients" in problem.message


def test_the_data_form_reports_the_same_problems_without_lines():
    data = yaml.safe_load(BASE.replace("sex: male", "sexx: male"))
    with pytest.raises(CaseFileError) as info:
        document_from_data(data, where="record 7")
    (problem,) = info.value.problems
    assert (problem.where, problem.line, problem.field) == ("record 7", None, "patient.sexx")
    assert str(problem) == "record 7: patient.sexx: unknown field 'sexx'; did you mean 'sex'?"


# --- files on disk -------------------------------------------------------------------------------


def test_a_file_not_in_utf8_names_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("sites: [marrow]", "note: Ã©valuation\n    sites: [marrow]").encode("utf-8")
                     .replace("Ã©".encode(), b"\xe9"))
    with pytest.raises(CaseFileError) as info:
        load_file(path)
    (problem,) = info.value.problems
    assert problem.where == str(path)
    assert problem.line == line_of(BASE, "sites: [marrow]")
    assert "the file is not UTF-8 text (byte 0xe9" in problem.message
    assert "save it as UTF-8" in problem.message


def test_a_file_with_nul_bytes_is_refused_as_binary(tmp_path):
    path = tmp_path / "image.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(CaseFileError) as info:
        load_file(path)
    (problem,) = info.value.problems
    assert problem.message.startswith("this is a binary file, not a YAML case file")
    assert problem.line == 3  # after the PNG signature's two line breaks


def test_a_utf16_file_is_refused_not_misread(tmp_path):
    path = tmp_path / "utf16.yaml"
    path.write_bytes(BASE.encode("utf-16"))
    with pytest.raises(CaseFileError, match="saved as UTF-16; save it as UTF-8"):
        load_file(path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(BASE + "notes: " + "x" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_file(path, max_bytes=1000)
    (problem,) = info.value.problems
    assert problem.where == str(path)
    assert problem.message == f"the file is {path.stat().st_size / 1e3:.1f} kB; case files are limited to 1.0 kB"
    assert load_file(path, max_bytes=10_000).document.id == "case-1"


def test_a_six_megabyte_file_is_refused_at_the_default_limit(tmp_path):
    path = tmp_path / "six-mb.yaml"
    filler = "".join(f"# padding line {i:07d} " + "x" * 80 + "\n" for i in range(60_000))
    path.write_text(BASE + filler, encoding="utf-8")
    assert path.stat().st_size > 6_000_000 > MAX_FILE_BYTES
    with pytest.raises(CaseFileError) as info:
        load_file(path)
    (problem,) = info.value.problems
    assert problem.message == f"the file is {path.stat().st_size / 1e6:.1f} MB; case files are limited to 5.0 MB"


def test_a_folder_is_not_a_case_file(tmp_path):
    with pytest.raises(CaseFileError) as info:
        load_file(tmp_path)
    assert [(p.where, p.message) for p in info.value.problems] == [
        (str(tmp_path), "this is a folder, not a case file")
    ]


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(CaseFileError) as info:
        load_file(path)
    assert str(info.value) == f"{path}: no such file"


def test_problems_from_every_file_are_gathered_before_failing(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(BASE, encoding="utf-8")
    typo = tmp_path / "typo.yaml"
    typo.write_text(BASE.replace("id: case-1", "id: case-2").replace("sex: male", "sexx: male"), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: case-3\npatient: {sex: male\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(CaseFileError) as info:
        load_files([good, typo, broken, missing])
    found = info.value.problems
    assert [p.where for p in found] == [str(typo), str(broken), str(missing)]
    assert "did you mean 'sex'?" in found[0].message
    assert "not valid YAML" in found[1].message
    assert found[2].message == "no such file"
    text = str(info.value)
    assert f"{typo}:2: patient.sexx:" in text


def test_two_files_with_the_same_case_id_are_refused_together(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(BASE, encoding="utf-8")
    second.write_text("# a copy\n" + BASE, encoding="utf-8")
    with pytest.raises(DuplicateIdError) as info:
        load_files([first, second])
    assert isinstance(info.value, InputError)
    (problem,) = info.value.problems
    assert problem.where == str(second)
    assert (problem.line, problem.field) == (2, "id")
    assert problem.message == f"case id 'case-1' is also used by {first}"


def test_a_duplicate_id_is_reported_with_the_other_problems(tmp_path):
    first, second, bad = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    first.write_text(BASE, encoding="utf-8")
    second.write_text(BASE, encoding="utf-8")
    bad.write_text("[]\n", encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_files([first, second, bad])
    assert [p.where for p in info.value.problems] == [str(bad), str(second)]


# --- junk never crashes (hypothesis) -------------------------------------------------------------

json_scalars = (
    st.none() | st.booleans() | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
)
json_data = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=15,
)
FIELD_NAMES = [
    "id", "type", "date", "start", "end", "onset", "resolved", "sites", "agents", "product", "target",
    "cell_source", "donor", "dose", "grade", "after", "assesses", "index", "kind", "n_patients", "age",
    "value", "unit", "at", "mrd", "csf", "points", "anchor", "analyte", "syndrome", "class", "n", "of",
]
SEEDS = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLES] + [yaml.safe_load(RICH)]


def assert_only_located_problems(text: str) -> None:
    """Parsing either succeeds or raises CaseFileError whose every problem is readable."""
    try:
        parse_document_text(text, "junk.yaml")
    except CaseFileError as exc:
        assert exc.problems
        n_lines = text.count("\n") + 1
        for problem in exc.problems:
            assert isinstance(problem.message, str) and problem.message.strip()
            assert problem.where == "junk.yaml"
            assert problem.line is None or 1 <= problem.line <= n_lines + 1
            assert problem.field is None or isinstance(problem.field, str)
            assert str(problem).startswith("junk.yaml")


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """A valid document with one to three random edits: a key deleted, a value replaced by junk of
    any type, or a key inserted (a real field name or random text)."""
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "replace", "insert"]))
        target = parent[path[-1]]
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace" or not isinstance(target, dict | list):
            parent[path[-1]] = draw(json_data)
        elif isinstance(target, dict):
            target[draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=8))] = draw(json_data)
        else:
            target.append(draw(json_data))
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_gives_located_problems_or_a_document(text):
    assert_only_located_problems(text)


@FUZZ
@given(json_data)
def test_arbitrary_data_gives_located_problems_or_a_document(data):
    assert_only_located_problems(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(mutated_examples())
def test_a_mangled_example_gives_located_problems_or_a_document(text):
    assert_only_located_problems(text)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_on_disk_give_located_problems_or_a_document(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("junk") / "junk.yaml"
    path.write_bytes(raw)
    try:
        load_file(path)
    except CaseFileError as exc:
        assert exc.problems and all(p.message and p.where == str(path) for p in exc.problems)


# --- valid cases round-trip (hypothesis) ---------------------------------------------------------

SITES = ["marrow", "cns", "testis", "skin", "lymph_node", "bone", "eye"]
AGENTS = ["blinatumomab", "ponatinib", "dasatinib", "inotuzumab_ozogamicin", "vincristine", "cytarabine"]
RESPONSES = ["CR", "CRi", "PR", "NR", "PD"]


@st.composite
def partial_date_values(draw: st.DrawFn, start: dt.date, end: dt.date) -> Any:
    day = draw(st.dates(min_value=start, max_value=end))
    form = draw(st.sampled_from(["year-int", "year", "month", "day"]))
    return {"year-int": day.year, "year": f"{day.year}", "month": f"{day.year}-{day.month:02d}",
            "day": day.isoformat()}[form]


@st.composite
def offsets_from(draw: st.DrawFn, ref: str) -> Any:
    """A time counted forwards from ``ref`` in one of the accepted spellings."""
    amount = draw(st.integers(0, 400))
    unit = draw(st.sampled_from(["d", "w", "mo", "y"]))
    if unit != "d":
        amount = draw(st.integers(1, 12))
    form = draw(st.sampled_from(["short", "spaced", "mapping"]))
    if form == "mapping":
        key = {"d": "days", "w": "weeks", "mo": "months", "y": "years"}[unit]
        return {"after": ref, key: amount}
    if form == "spaced" and unit == "d":
        return f"{ref} + day {amount}"
    return f"{ref}+{amount}{unit}"


notes = st.none() | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@st.composite
def valid_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A plausible course: a dated diagnosis, then events each counted forwards from an earlier
    one (or undated), with ids, cross-references and free text."""
    case: dict[str, Any] = {"id": draw(st.from_regex(r"[a-z][a-z0-9\-]{0,15}", fullmatch=True))}
    patient: dict[str, Any] = {}
    if draw(st.booleans()):
        patient["sex"] = draw(st.sampled_from(["male", "female"]))
    if draw(st.booleans()):
        patient["age"] = {"value": draw(st.integers(0, 90) | st.floats(0, 90)),
                          "unit": draw(st.sampled_from(["years", "months"]))}
        if patient["age"]["unit"] == "months":
            patient["age"]["value"] = draw(st.integers(1, 24))
    case["patient"] = patient
    case["diagnosis"] = {"date": draw(partial_date_values(dt.date(1995, 1, 1), dt.date(2020, 12, 31)))}
    timeline: list[dict[str, Any]] = []
    earlier = ["diagnosis"]
    therapies: list[str] = []
    infusions: list[str] = []
    for i in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["relapse", "therapy", "car_t_infusion", "disease_assessment", "toxicity"]))
        ev_id = f"{kind[:3]}{i}"
        when = None if draw(st.integers(0, 4)) == 0 else draw(offsets_from(draw(st.sampled_from(earlier))))
        ev: dict[str, Any] = {"id": ev_id, "type": kind}
        if kind == "relapse":
            ev["date"] = when
            ev["number"] = draw(st.integers(1, 5))
            ev["sites"] = draw(st.lists(st.sampled_from(SITES), unique=True, max_size=3))
            ev["marrow_blasts_pct"] = draw(st.none() | st.floats(0, 100) | st.integers(0, 100))
        elif kind == "therapy":
            ev["start"] = when
            ev["agents"] = draw(st.lists(st.sampled_from(AGENTS), unique=True, min_size=1, max_size=3))
            if when is not None and draw(st.booleans()):
                ev["end"] = f"{ev_id}+{draw(st.integers(0, 90))}d"
            therapies.append(ev_id)
        elif kind == "car_t_infusion":
            ev["date"] = when
            ev["product"] = draw(st.sampled_from(["investigational", "tisagenlecleucel", "Kymriah"]))
            if ev["product"] == "investigational":
                ev["target"] = draw(st.sampled_from(["CD19", "CD22", "CD19/CD22"]))
            ev["dose"] = {"value": draw(st.integers(1, 10**8)), "unit": "cells/kg"}
            infusions.append(ev_id)
        elif kind == "disease_assessment":
            ev["date"] = when
            if therapies or infusions:
                ev["assesses"] = draw(st.sampled_from(therapies + infusions))
                if when is not None:  # a response is judged after the therapy it judges
                    ev["date"] = draw(offsets_from(ev["assesses"]))
            ev["response"] = draw(st.sampled_from(RESPONSES))
            if draw(st.booleans()):
                ev["mrd"] = {"detectable": False, "method": "flow"}
        else:
            ev["syndrome"] = draw(st.sampled_from(["crs", "icans"]))
            if infusions:
                ev["after"] = draw(st.sampled_from(infusions))
                if when is not None:  # an episode starts after the infusion it follows
                    when = draw(offsets_from(ev["after"]))
            ev["onset"] = when
            if when is not None and draw(st.booleans()):
                ev["resolved"] = f"{ev_id}+{draw(st.integers(0, 30))}d"
            ev["grade"] = {"grade": draw(st.integers(0, 5)), "scale": draw(st.sampled_from(["ASTCT 2019", "Lee"]))}
        ev["note"] = draw(notes)
        timeline.append({k: v for k, v in ev.items() if v is not None})
        earlier.append(ev_id)
    if draw(st.booleans()):
        timeline.append({"id": "fu", "type": "follow_up", "date": draw(offsets_from(earlier[-1])),
                         "alive": True, "disease_status": draw(st.sampled_from(["remission", "relapse"]))})
    case["timeline"] = timeline
    if infusions and draw(st.booleans()):
        case["index"] = [infusions[-1]]
    case["notes"] = draw(notes)
    return {k: v for k, v in case.items() if v is not None}


@FUZZ
@given(valid_cases())
def test_a_generated_valid_case_validates_and_round_trips_exactly(data):
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    doc = parse_document_text(text, "generated.yaml")
    assert isinstance(doc, Case)
    assert [ev.id for ev in doc.timeline] == [ev["id"] for ev in data["timeline"]]
    exported = dump_document(doc)
    again = parse_document_text(exported, "exported.yaml")
    assert again == doc
    assert dump_document(again) == exported


# --- regressions: bugs these tests found, now fixed ------------------------------------------


@pytest.mark.parametrize("value", ["5", "[1, 2]"])
def test_a_malformed_costimulatory_domain_with_a_named_product_is_a_located_problem(value):
    text = BASE.replace("product: tisagenlecleucel", f"product: tisagenlecleucel\n    costimulatory: {value}")
    found = problems(text)
    assert found and all(p.field.startswith("timeline[1] (CAR-T infusion 'car1')") for p in found)


def test_a_costimulatory_domain_given_as_text_is_quoted_as_written():
    text = BASE.replace("product: tisagenlecleucel", "product: tisagenlecleucel\n    costimulatory: CD28")
    assert "C, D, 2, 8" not in only_problem(text).message


def test_a_nul_byte_late_in_the_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "late-nul.yaml"
    path.write_text(BASE + "notes: " + "x" * 9000 + "\x00\n", encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_file(path)
    (problem,) = info.value.problems
    assert problem.line == line_of(BASE, "product") + 1


def test_a_small_size_limit_is_not_described_as_zero(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(BASE + "notes: " + "x" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_file(path, max_bytes=1000)
    assert "limited to 0 MB" not in info.value.problems[0].message


def test_locating_many_problems_reads_the_yaml_once(monkeypatch):
    calls = []
    real_compose = yaml.compose

    def counting_compose(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real_compose(*args, **kwargs)

    monkeypatch.setattr(yaml, "compose", counting_compose)
    text = "id: many\ntimeline:\n" + "".join(
        f"  - id: r{i}\n    type: relapse\n    sites: [testicl{i}]\n" for i in range(20)
    )
    assert len(problems(text)) == 20
    assert len(calls) <= 1


def test_a_case_with_a_hyphenated_id_and_a_zero_offset_round_trips():
    text = with_events("- id: a1\n  type: disease_assessment\n  date: car-1+0d\n",
                       base=BASE.replace("id: car1", "id: car-1"))
    doc = parse_document_text(text)
    assert parse_document_text(dump_document(doc)) == doc


def test_an_infinite_dose_is_refused():
    text = BASE.replace("product: tisagenlecleucel", "product: tisagenlecleucel\n    dose: {value: .inf, unit: cells}")
    assert "dose.value" in only_problem(text).field


@pytest.mark.parametrize("key", ["1", "yes"])
def test_a_key_that_yaml_reads_as_a_number_or_boolean_is_explained(key):
    problem = only_problem(BASE + f"{key}: something\n")
    assert problem.field != "[1]"
    assert "Keys should be strings" not in problem.message


def test_a_time_counted_from_an_event_whose_id_looks_like_a_year_round_trips():
    text = "id: c1\ndiagnosis: {date: 2010}\ntimeline:\n  - id: '2014'\n    type: relapse\n" \
        "  - id: a1\n    type: disease_assessment\n    date: {after: '2014'}\n"
    doc = parse_document_text(text)
    assert parse_document_text(dump_document(doc)) == doc


def test_one_report_names_each_file_as_it_was_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(BASE, encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_files(["./a.yaml", "./b.yaml", "./nosuch.yaml"])
    assert [p.where for p in info.value.problems] == ["./nosuch.yaml", "./b.yaml"]


def test_a_list_whose_item_is_wrong_is_not_called_empty():
    text = BASE + "observations:\n  - id: o1\n    analyte: ferritin\n    unit: ng/mL\n" \
        "    points: [{at: car1, value: -3}]\n"
    problem = only_problem(text)
    assert problem.field == "observations[0].points[0].value"


def test_a_blank_text_field_is_explained_in_plain_words():
    text = with_events("- id: t1\n  type: therapy\n  protocol: '   '\n")
    problem = only_problem(text)
    assert problem.field == "timeline[2] (therapy 't1').protocol"
    assert problem.message == "must not be empty"


def test_a_donor_type_given_as_a_number_is_explained_in_good_english():
    text = with_events("- id: h1\n  type: hsct\n  donor_type: 5\n")
    assert "a allogeneic" not in only_problem(text).message
