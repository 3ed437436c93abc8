"""The registry-shaped summary: one row per CAR-T infusion, checked against the rules."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings

from remission.casefile import load_file, parse_document_text
from remission.examples import example_paths
from remission.exceptions import ExportTargetError
from remission.interop.registry import (
    DICTIONARY_COLUMNS,
    FORMS,
    MISSING_COLUMNS,
    registry_fields,
    registry_files,
    registry_markdown,
    registry_rows,
    write_registry,
)
from remission.model import CarTInfusion, Case, ToxicityEpisode
from remission.rules.episodes import grade_case
from remission.synth import generate_cohort

from .strategies import random_cases

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "clinical-criteria.md"
DOC = Path(__file__).resolve().parents[2] / "docs" / "interop.md"


def _examples() -> list[Case]:
    docs = [load_file(p).document for p in example_paths()]
    return [d for d in docs if isinstance(d, Case)]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def synth_cases() -> list[Case]:
    return list(generate_cohort(12, seed=7))


# --------------------------------------------------------------------------------------------
# The field definitions
# --------------------------------------------------------------------------------------------


def test_every_defined_field_is_derived_and_nothing_else(synth_cases):
    table = registry_rows([*_examples(), *synth_cases])
    names = [f.name for f in registry_fields()]
    assert table.rows and all(list(row) == names for row in table.rows)
    # every field gets a value for at least one row, so no derivation is dead
    filled = {n for row in table.rows for n, v in row.items() if v not in (None, "")}
    # these two are filled by the case in the translation test below
    assert set(names) - filled <= {"dose_fractions", "icans_treatments"}


def test_every_field_names_known_forms_and_a_section():
    for f in registry_fields():
        assert set(f.forms) <= set(FORMS)
        if f.name != "imprecise_times":
            assert f.forms and f.section, f.name


@pytest.mark.skipif(not REFERENCE.is_file(), reason="the shared clinical reference is absent")
def test_every_section_is_named_as_in_the_clinical_reference():
    text = REFERENCE.read_text(encoding="utf-8")
    section5 = text[text.index("## 5. Registry") :].lower()
    for f in registry_fields():
        if not f.section:
            continue
        words = re.sub(r"\[check\]|[():,+]", " ", f.section.split(":")[0]).lower().split()
        assert all(w in section5 for w in words), (f.name, f.section)


def test_the_documentation_lists_every_field_from_the_data_file():
    doc = DOC.read_text(encoding="utf-8")
    assert registry_markdown() in doc


# --------------------------------------------------------------------------------------------
# Rows against the rules
# --------------------------------------------------------------------------------------------


def test_one_row_per_car_t_infusion_and_none_for_blinatumomab_only_cases(synth_cases):
    cases = [*_examples(), *synth_cases]
    table = registry_rows(cases)
    expected = sum(len(c.events(CarTInfusion)) for c in cases)
    assert len(table.rows) == expected
    for case in cases:
        if not case.events(CarTInfusion):
            [m] = table.missing_for(case.id)
            assert m.field == "" and "no CAR-T infusion" in m.reason


def test_the_annotated_example_row():
    case = next(c for c in _examples() if c.id == "synthetic-annotated-001")
    [row] = registry_rows([case]).rows
    assert row["infusion_date"] == "2021-10-12" and row["infusion_date_precision"] == "day"
    assert row["product"] == "tisagenlecleucel" and row["product_class"] == "commercial"
    assert (row["car_target"], row["costimulatory_domain"], row["cell_source"]) == (
        "CD19",
        "4-1BB",
        "autologous",
    )
    assert row["disease_status_before"] == "relapse 1" and row["bridging_therapy"] == [
        "blinatumomab"
    ]
    assert (row["best_response"], row["best_response_day"], row["mrd_negative_after"]) == (
        "CR",
        28.0,
        True,
    )
    assert (row["crs_onset_day"], row["crs_resolution_day"], row["crs_max_grade_astct"]) == (
        2,
        7,
        2,
    )
    assert row["crs_onset_date"] == "2021-10-14" and row["crs_resolution_date"] == "2021-10-19"
    assert (row["icans_onset_day"], row["icans_resolution_day"], row["icans_max_grade_astct"]) == (
        6,
        8,
        1,
    )
    assert row["subsequent_hsct"] is True and row["subsequent_hsct_day"] == 100
    assert row["vital_status"] == "alive" and row["last_contact_date"] == "2023-04-30"
    assert row["b_cell_aplasia_last"] is False


def test_a_reinfusion_makes_a_second_row_with_its_own_history():
    case = next(c for c in _examples() if c.id == "seed-002-cns-sequential-cart")
    first, second = registry_rows([case]).rows
    assert (first["infusion_number"], second["infusion_number"]) == (1, 2)
    assert first["relapse_after"] is True and first["subsequent_car_t"] is True
    assert second["prior_car_t"] is True and second["disease_status_before"] == "relapse 2"
    assert second["cell_source"] == "donor_derived" and second["subsequent_hsct"] is True
    assert first["crs_occurred"] is None and second["crs_occurred"] is True


def test_computed_toxicity_follows_the_episode_rules(synth_cases):
    checked = 0
    for case in synth_cases:
        stated = {
            (ev.syndrome, ev.after) for ev in case.events(ToxicityEpisode) if ev.syndrome != "gvhd"
        }
        grading = grade_case(case) if case.assessments else None
        for row in registry_rows([case]).rows:
            inf = row["infusion_id"]
            for s in ("crs", "icans"):
                if (s, inf) in stated or grading is None:
                    continue
                episodes = [e for e in grading.episodes_for(s) if e.follows == inf]
                assert row[f"{s}_max_grade_astct"] == grading.max_grade(s, follows=inf)
                top = grading.max_grade(s, follows=inf)
                expected = True if episodes or (top or 0) >= 1 else (False if top == 0 else None)
                assert row[f"{s}_occurred"] == expected
                if episodes:
                    first = min(episodes, key=lambda e: e.onset_day.days)  # type: ignore[union-attr]
                    assert row[f"{s}_onset_day"] == round(first.onset_day.days, 1)  # type: ignore[union-attr]
                    if all(e.resolution_day is not None for e in episodes):
                        last = max(e.resolution_day.days for e in episodes)  # type: ignore[union-attr]
                        assert row[f"{s}_resolution_day"] == round(last, 1)
                    else:
                        assert row[f"{s}_resolution_day"] is None
                    checked += 1
    assert checked >= 3


def test_a_stated_grade_in_another_scale_is_translated_only_when_determinate():
    text = """
schema_version: 1
kind: case
id: lee1
index: [car1]
timeline:
  - {id: car1, type: car_t_infusion, date: 2020-01-10, product: tisagenlecleucel, fractions: 3}
  - {id: crs1, type: toxicity, syndrome: crs, after: car1, onset: car1+1d, resolved: car1+4d,
     grade: {grade: 1, scale: Lee 2014}}
  - {id: icans1, type: toxicity, syndrome: icans, after: car1, onset: car1+5d,
     grade: {grade: 2, scale: CTCAE v4.03}, treatments: [dexamethasone]}
"""
    case = parse_document_text(text, "lee.yaml")
    assert isinstance(case, Case)
    table = registry_rows([case])
    [row] = table.rows
    assert row["crs_max_grade_astct"] == 1 and "translated from Lee 2014" in row["crs_grade_basis"]
    assert row["dose_fractions"] == 3 and row["icans_treatments"] == ["dexamethasone"]
    assert (
        row["icans_max_grade_astct"] is None and "no single ASTCT 2019" in row["icans_grade_basis"]
    )
    missing = {m.field: m.reason for m in table.missing_for("lee1")}
    assert (
        "icans_max_grade_astct" in missing and "no single ASTCT" in missing["icans_max_grade_astct"]
    )
    assert "icans_resolution_day" in missing  # required because ICANS occurred; none stated
    assert "crs_resolution_day" not in missing


def test_missing_required_fields_are_listed_with_reasons():
    case = next(c for c in _examples() if c.id == "seed-001-cns-cart")
    table = registry_rows([case])
    missing = {m.field: m for m in table.missing_for(case.id)}
    for name in ("sex", "infusion_date", "cell_dose", "diagnosis_date"):
        assert name in missing and missing[name].reason
    assert missing["infusion_date"].forms == "CIBMTR 4006; EBMT registration"
    assert "best_response" not in missing  # stated CR
    required = {f.name for f in registry_fields() if f.required}
    [row] = table.rows
    assert {n for n in required if row[n] in (None, "")} <= set(missing)


def test_ages_of_90_and_over_are_grouped_in_the_row():
    text = (
        "schema_version: 1\nkind: case\nid: old2\npatient: {age: {value: 91, at: car1}}\n"
        "timeline:\n  - {id: car1, type: car_t_infusion, date: 2020-05-01}\n"
    )
    case = parse_document_text(text, "old.yaml")
    assert isinstance(case, Case)
    assert registry_rows([case]).rows[0]["age_at_infusion_years"] == "90 or older"


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def test_the_files_read_back(tmp_path, synth_cases):
    cases = [*_examples(), *synth_cases]
    paths = write_registry(cases, tmp_path / "reg")
    assert [p.name for p in paths] == [
        "registry.csv",
        "registry_dictionary.csv",
        "registry_missing.csv",
    ]
    table = registry_rows(cases)
    rows = _read(paths[0])
    assert rows == table.csv_rows()
    assert list(rows[0]) == [f.name for f in registry_fields()]
    dictionary = _read(paths[1])
    assert [d["field"] for d in dictionary] == [f.name for f in registry_fields()]
    assert list(dictionary[0]) == list(DICTIONARY_COLUMNS)
    missing = _read(paths[2])
    assert list(missing[0]) == list(MISSING_COLUMNS) and len(missing) == len(table.missing)
    assert {r["crs_occurred"] for r in rows} <= {"yes", "no", ""}
    # the in-memory form (for a download) is the same text
    texts = registry_files(cases)
    assert {name: (tmp_path / "reg" / name).read_text(encoding="utf-8") for name in texts} == texts


def test_a_folder_with_files_is_refused_and_left_as_it_was(tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with pytest.raises(ExportTargetError, match="not empty"):
        write_registry(_examples(), folder)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    write_registry(_examples(), folder, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == [
        "keep.txt",
        "registry.csv",
        "registry_dictionary.csv",
        "registry_missing.csv",
    ]


def test_an_unwritable_target_is_refused_with_its_path(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ExportTargetError, match="a-file"):
        write_registry(_examples(), blocker / "sub")
    with pytest.raises(ExportTargetError, match="is a file"):
        write_registry(_examples(), blocker)
    assert blocker.read_text() == "x"


@settings(max_examples=60, deadline=None)
@given(random_cases())
def test_any_valid_case_gives_rows_that_agree_with_its_intervals(case):
    assume(case is not None)
    assert case is not None
    table = registry_rows([case])
    assert len(table.rows) == len(case.events(CarTInfusion))
    for row in table.rows:
        inf = row["infusion_id"]
        crs = case.event(inf.replace("car", "crs"))
        assert isinstance(crs, ToxicityEpisode) and crs.grade is not None
        assert row["crs_max_grade_astct"] == crs.grade.grade
        assert row["crs_occurred"] is (crs.grade.grade >= 1)
        if row["crs_occurred"]:
            assert row["crs_onset_day"] == case.interval(inf, crs.onset).days  # type: ignore[union-attr]
        assert row["best_response_day"] in (28, None)
        for f in registry_fields():
            if f.is_required(row) and row[f.name] in (None, ""):
                assert any(
                    m.infusion_id == inf and m.field == f.name for m in table.missing_for(case.id)
                )


def test_the_field_file_round_trips():
    from importlib import resources

    import yaml

    from remission.interop.registry import RegistryField

    raw = yaml.safe_load(
        resources.files("remission.interop").joinpath("registry_fields.yaml").read_text("utf-8")
    )["fields"]
    fields = registry_fields()
    for entry, field in zip(raw, fields, strict=True):
        dumped = field.model_dump(mode="json")
        assert {k: dumped[k] for k in entry} == entry
        assert RegistryField.model_validate(dumped) == field


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fields: {}\n", "needs a list 'fields'"),
        (
            "fields:\n  - {name: a, label: A, type: string, forms: [CIBMTR 9999], section: s,"
            " description: d, derivation: x}\n",
            r"fields\[0\].*unknown form",
        ),
        (
            "fields:\n  - {name: a, label: A, type: text, forms: [], section: s, description: d,"
            " derivation: x}\n",
            r"fields\[0\]\.type",
        ),
        (
            "fields:\n  - {name: a, label: A, type: string, forms: [], section: s,"
            " description: d, derivation: x, required_if: b}\n",
            "names no earlier field",
        ),
        (
            "fields:\n  - {name: a, label: A, type: string, forms: [], section: s, description: d,"
            " derivation: x}\n  - {name: a, label: A, type: string, forms: [], section: s,"
            " description: d, derivation: x}\n",
            "defined twice",
        ),
    ],
)
def test_a_malformed_field_file_is_refused_with_the_entry_named(tmp_path, text, message):
    path = tmp_path / "fields.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        registry_fields(path)
