"""The cBioPortal study folder: files that parse back, in cBioPortal's format, with OS and EFS as
the outcome rules compute them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import assume, given, settings

from remission.casefile import load_file
from remission.examples import example_paths
from remission.exceptions import ExportTargetError
from remission.interop.cbioportal import (
    PATIENT_ATTRIBUTES,
    TIMELINE_COLUMNS,
    read_clinical,
    read_meta,
    read_timeline,
    study_files,
    study_tables,
    write_study,
)
from remission.model import Case
from remission.rules.episodes import grade_case
from remission.rules.outcomes import event_free_survival, overall_survival
from remission.synth import generate_cohort

from .strategies import random_cases


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    docs = [load_file(p).document for p in example_paths()]
    return [d for d in docs if isinstance(d, Case)] + list(generate_cohort(10, seed=11))


@pytest.fixture(scope="module")
def study(cases, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cbio") / "study"
    return write_study(cases, folder, study_id="remission_test")


def _number(text: str) -> bool:
    if text == "NA":
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_every_data_file_has_a_meta_file_naming_it(study):
    folder: Path = study.folder
    metas = sorted(folder.glob("meta_*.txt"))
    assert {m.name for m in metas} >= {
        "meta_study.txt",
        "meta_clinical_patient.txt",
        "meta_clinical_sample.txt",
        "meta_timeline_treatment.txt",
        "meta_timeline_status.txt",
        "meta_timeline_lab_test.txt",
        "meta_timeline_toxicity.txt",
    }
    study_meta = read_meta(folder / "meta_study.txt")
    assert study_meta["cancer_study_identifier"] == "remission_test"
    assert study_meta["type_of_cancer"] == "bll" and study_meta["add_global_case_list"] == "true"
    assert study_meta["name"] and study_meta["description"]
    for meta in metas:
        if meta.name == "meta_study.txt":
            continue
        fields = read_meta(meta)
        assert fields["cancer_study_identifier"] == "remission_test"
        assert fields["genetic_alteration_type"] == "CLINICAL"
        assert (folder / fields["data_filename"]).is_file()
        expected = "TIMELINE" if "timeline" in meta.name else None
        if expected:
            assert fields["datatype"] == expected


def test_every_file_is_rectangular_tab_separated_text(study):
    for path in study.folder.glob("data_*.txt"):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert len({len(r) for r in rows}) == 1, path.name
        assert all(cell == cell.strip() and "\n" not in cell for row in rows for cell in row)


def test_the_clinical_patient_file_has_its_four_header_rows_and_typed_values(study, cases):
    header, records = read_clinical(study.folder / "data_clinical_patient.txt")
    columns = [a.column for a in PATIENT_ATTRIBUTES]
    assert [len(row) for row in header] == [len(columns)] * 4
    assert header[0][0] == "Patient Identifier" and header[0][columns.index("OS_STATUS")] == (
        "Overall Survival Status"
    )
    assert set(header[2]) <= {"STRING", "NUMBER", "BOOLEAN"}
    assert all(p.isdigit() for p in header[3])
    assert [r["PATIENT_ID"] for r in records] == [c.id for c in cases]
    for record in records:
        for column, datatype in zip(columns, header[2], strict=True):
            if datatype == "NUMBER":
                assert _number(record[column]), (column, record[column])
        assert record["OS_STATUS"] in ("1:DECEASED", "0:LIVING", "NA")
        assert record["EFS_STATUS"] in ("1:EVENT", "0:EVENT-FREE", "NA")
        for prefix in ("OS", "EFS"):
            assert (record[f"{prefix}_STATUS"] == "NA") == (record[f"{prefix}_MONTHS"] == "NA")


def test_os_and_efs_are_the_outcome_rules(study, cases):
    _, records = read_clinical(study.folder / "data_clinical_patient.txt")
    by_id = {r["PATIENT_ID"]: r for r in records}
    computed = 0
    for case in cases:
        anchor = case.index_events()[0].id if case.index_events() else "diagnosis"
        record = by_id[case.id]
        for prefix, outcome, event in (
            ("OS", overall_survival(case, anchor), "1:DECEASED"),
            ("EFS", event_free_survival(case, anchor), "1:EVENT"),
        ):
            if not outcome.computable:
                assert record[f"{prefix}_MONTHS"] == "NA"
                assert any(
                    s.patient_id == case.id and s.item == f"{prefix}_MONTHS" for s in study.skipped
                )
                continue
            assert outcome.interval is not None
            assert float(record[f"{prefix}_MONTHS"]) == pytest.approx(
                outcome.interval.months, abs=0.005
            )
            assert (record[f"{prefix}_STATUS"] == event) == bool(outcome.event)
            assert record[f"{prefix}_PRECISION"] == outcome.interval.precision
            computed += 1
    assert computed >= 15


def test_samples_map_every_patient(study):
    _, patients = read_clinical(study.folder / "data_clinical_patient.txt")
    _, samples = read_clinical(study.folder / "data_clinical_sample.txt")
    assert [s["PATIENT_ID"] for s in samples] == [p["PATIENT_ID"] for p in patients]
    assert len({s["SAMPLE_ID"] for s in samples}) == len(samples)
    assert {s["CANCER_TYPE_DETAILED"] for s in samples} == {"B-Lymphoblastic Leukemia/Lymphoma"}


def test_timeline_files_have_the_required_columns_and_whole_days(study, cases):
    ids = {c.id for c in cases}
    for kind, columns in TIMELINE_COLUMNS.items():
        rows = read_timeline(study.folder / f"data_timeline_{kind}.txt")
        assert rows and list(rows[0]) == columns
        assert columns[:4] == ["PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE"]
        assert {r["EVENT_TYPE"] for r in rows} == {kind.upper()}
        for row in rows:
            assert row["PATIENT_ID"] in ids
            start = int(row["START_DATE"])
            if row["STOP_DATE"]:
                assert int(row["STOP_DATE"]) >= start
            assert row["DATE_PRECISION"] == "exact" or row["DATE_PRECISION"].startswith("±")
    assert study.events["treatment"] == len(
        read_timeline(study.folder / "data_timeline_treatment.txt")
    )


def test_the_in_memory_files_are_the_written_files(study, cases):
    files, _ = study_files(cases, study_id="remission_test")
    assert sorted(files) == sorted(p.name for p in study.folder.iterdir())
    assert all((study.folder / n).read_text(encoding="utf-8") == t for n, t in files.items())


def test_day_0_is_the_first_index_therapy(study, cases):
    case = next(c for c in cases if c.id == "synthetic-annotated-001")
    rows = [
        r
        for r in read_timeline(study.folder / "data_timeline_treatment.txt")
        if r["PATIENT_ID"] == case.id
    ]
    car = next(r for r in rows if r["EVENT_ID"] == "car1" and r["SUBTYPE"] == "CAR-T")
    lymphodepletion = [r for r in rows if r["SUBTYPE"] == "Lymphodepletion"]
    assert {r["START_DATE"] for r in lymphodepletion} == {"-6"} and len(lymphodepletion) == 2
    assert (car["START_DATE"], car["TREATMENT_TYPE"], car["AGENT"]) == (
        "0",
        "Cellular Therapy",
        "tisagenlecleucel",
    )
    status = [
        r
        for r in read_timeline(study.folder / "data_timeline_status.txt")
        if r["PATIENT_ID"] == case.id
    ]
    relapse = next(r for r in status if r["EVENT_ID"] == "rel1")
    assert int(relapse["START_DATE"]) == round(case.interval("car1", "rel1").days)  # type: ignore[union-attr]
    tox = [
        r
        for r in read_timeline(study.folder / "data_timeline_toxicity.txt")
        if r["PATIENT_ID"] == case.id
    ]
    crs = next(r for r in tox if r["EVENT_ID"] == "crs1")
    assert (crs["START_DATE"], crs["STOP_DATE"], crs["GRADE"], crs["SCALE"]) == (
        "2",
        "7",
        "2",
        "ASTCT 2019",
    )
    labs = [
        r
        for r in read_timeline(study.folder / "data_timeline_lab_test.txt")
        if r["PATIENT_ID"] == case.id
    ]
    blq = next(r for r in labs if r["EVENT_ID"] == "cart-flow" and r["START_DATE"] == "180")
    assert blq["RESULT"] == "<0.01" and blq["BLQ"] == "Yes"


def test_computed_episodes_appear_when_no_episode_is_stated(study, cases):
    tox = read_timeline(study.folder / "data_timeline_toxicity.txt")
    checked = 0
    for case in cases:
        if not case.id.startswith("synth-") or not case.assessments:
            continue
        episodes = grade_case(case).episodes
        rows = [r for r in tox if r["PATIENT_ID"] == case.id and r["SOURCE"].startswith("computed")]
        assert sorted(int(r["GRADE"]) for r in rows) == sorted(e.max_grade for e in episodes)
        checked += bool(episodes)
    assert checked >= 1


def test_undated_events_are_left_out_with_a_reason(study, cases):
    case = next(c for c in cases if c.id == "seed-000-ph-pos-cart")
    skipped = {s.item: s.reason for s in study.skipped if s.patient_id == case.id}
    assert "hsct1" in skipped and "has no date" in skipped["hsct1"]
    assert "rel1" in skipped and "not on the same time axis" in skipped["rel1"]
    listed = read_timeline(study.folder / "skipped_events.tsv")
    assert len(listed) == len(study.skipped)
    for kind in TIMELINE_COLUMNS:
        rows = read_timeline(study.folder / f"data_timeline_{kind}.txt")
        assert not any(r["PATIENT_ID"] == case.id and r["EVENT_ID"] in skipped for r in rows)


def test_the_diagnosis_can_be_day_0_instead(cases):
    case = next(c for c in cases if c.id.startswith("synth-"))
    tables = study_tables([case], anchor="diagnosis")
    [patient] = tables.patients
    assert patient["TIMELINE_ANCHOR"] == "diagnosis"
    assert float(patient["OS_MONTHS"]) == pytest.approx(
        overall_survival(case, "diagnosis").interval.months,
        abs=0.005,  # type: ignore[union-attr]
    )
    dx = next(r for r in tables.timelines["status"] if r["STATUS"] == "Diagnosis")
    assert dx["START_DATE"] == "0"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"study_id": "has space"}, "not a usable study id"),
        ({"study_id": ""}, "not a usable study id"),
        ({"name": "two\nlines"}, "one non-empty line"),
        ({"anchor": "relapse"}, "anchor must be"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(cases, tmp_path, kwargs, message):
    with pytest.raises(ExportTargetError, match=message):
        write_study(cases[:2], tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_with_files_is_refused_and_kept(cases, tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ExportTargetError, match="not empty"):
        write_study(cases[:2], folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert write_study(cases[:2], empty).patients == 2


@settings(max_examples=60, deadline=None)
@given(random_cases())
def test_any_valid_case_gives_well_formed_rows_or_says_what_it_left_out(case):
    assume(case is not None)
    assert case is not None
    tables = study_tables([case])
    placed = set()
    for kind, rows in tables.timelines.items():
        for row in rows:
            start = int(row["START_DATE"])
            assert not row["STOP_DATE"] or int(row["STOP_DATE"]) >= start
            assert row["EVENT_TYPE"] == kind.upper()
            placed.add(row["EVENT_ID"])
    skipped = {s.item for s in tables.skipped}
    for ev in case.timeline:
        if ev.type in ("car_t_infusion", "toxicity", "follow_up", "disease_assessment"):
            assert (ev.id in placed) != (ev.id in skipped), ev.id
    [patient] = tables.patients
    os_ = overall_survival(case, case.index_events()[0].id)
    assert (patient["OS_MONTHS"] == "NA") == (not os_.computable or os_.interval is None)
