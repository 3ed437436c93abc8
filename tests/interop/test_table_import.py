"""CSV and REDCap imports through a mapping (remission.interop.table_import).

The REDCap project under data/redcap/ is a fictional CAR-T follow-up project written for these
tests: six patients with varied courses (a CNS relapse, Ph+ with T315I bridged to transplant, a
reinfusion after failure with a CD19-negative relapse and death, a donor-derived CAR-T with GVHD,
a primary refractory adult, a non-responder). Bad input is made by editing a copy of it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from remission.exceptions import MappingError, TableImportError
from remission.interop.csv_table import MAX_TABLE_BYTES
from remission.interop.mapping import shipped_mappings
from remission.interop.table_import import (
    TablePlan,
    plan_table_import,
    planned_actions,
    save_table_plan,
)
from remission.model import CarTInfusion, Death, DiseaseAssessment, FollowUp, ToxicityEpisode
from remission.rules.summary import summarize

DATA = Path(__file__).parent / "data"
RECORDS = DATA / "redcap" / "cart_followup_records.csv"
DICTIONARY = DATA / "redcap" / "cart_followup_DataDictionary.csv"
MAPPING = shipped_mappings()["redcap-cart-example"]


def read_records() -> tuple[list[str], list[dict[str, str]]]:
    with RECORDS.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_records(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def find(
    rows: list[dict[str, str]],
    record: str,
    instrument: str = "",
    instance: str = "",
    event: str = "baseline_arm_1",
) -> int:
    """The index of a row in the export (its data row number is index + 1)."""
    for i, r in enumerate(rows):
        if (
            r["record_id"],
            r["redcap_repeat_instrument"],
            r["redcap_repeat_instance"],
            r["redcap_event_name"],
        ) == (
            record,
            instrument,
            instance,
            event,
        ):
            return i
    raise LookupError((record, instrument, instance, event))


def edited(
    tmp_path: Path, edit: Callable[[list[str], list[dict[str, str]]], None], **kwargs
) -> TablePlan:
    header, rows = read_records()
    edit(header, rows)
    path = write_records(tmp_path / "records.csv", header, rows)
    return plan_table_import(
        path, kwargs.pop("mapping", MAPPING), dictionary=kwargs.pop("dictionary", DICTIONARY)
    )


def messages(plan: TablePlan) -> list[str]:
    return [str(p) for p in plan.problems]


@pytest.fixture(scope="module")
def plan() -> TablePlan:
    return plan_table_import(RECORDS, MAPPING, dictionary=DICTIONARY)


# --- the realistic export --------------------------------------------------------------------------


def test_the_redcap_export_imports_to_six_cases_with_the_expected_summaries(plan):
    assert plan.ok, messages(plan)
    assert plan.records == 6
    summaries = {c.id: summarize(c.case) for c in plan.cases}
    assert list(summaries) == [f"cart-100{i}" for i in range(1, 7)]

    s = summaries["cart-1001"]  # a child with a marrow and CNS relapse, tisa-cel, in remission
    assert (s.sex, s.age_years, s.relapse_count, s.extramedullary_sites, s.cns_involvement) == (
        "female",
        8,
        1,
        ["cns"],
        True,
    )
    assert (s.response, s.mrd_negative, s.crs_max_grade, s.icans_max_grade) == ("CR", True, 2, 1)
    assert s.index_therapies[0].agent == "tisagenlecleucel" and s.alive_at_last_follow_up is True
    assert s.follow_up_months == pytest.approx(12.2, abs=0.05)

    s = summaries["cart-1002"]  # Ph+ p190, T315I, brexu-cel, MRD-negative CR, then a MUD HSCT
    assert (s.ph_positive, s.bcr_abl_transcript, s.abl_kinase_mutations) == (
        True,
        "p190",
        ["T315I"],
    )
    assert s.index_therapies[0].costimulatory == ["CD28"]
    assert (s.crs_max_grade, s.icans_max_grade, s.bridged_to_hsct, s.relapse_after) == (
        3,
        2,
        True,
        False,
    )

    s = summaries["cart-1003"]  # two relapses, haplo HSCT, tisa-cel fails, CD19/CD22 reinfusion
    assert (s.relapse_count, s.prior_hsct, s.refractory, s.extramedullary_sites) == (
        2,
        True,
        True,
        ["skin"],
    )
    assert s.index_therapies[0].target == "CD19/CD22"  # the last infusion is the index therapy
    assert (s.response, s.mrd_negative, s.icans_max_grade) == ("CR", False, 0)  # MRD 0.02 %
    assert (s.relapse_after, s.alive_at_last_follow_up) == (True, False)

    s = summaries["cart-1004"]  # refractory CNS and testis relapse, donor-derived CD28 CAR-T
    assert s.extramedullary_sites == ["cns", "testis"] and s.refractory is True
    assert s.index_therapies[0].cell_source == "donor_derived"
    assert (s.response, s.crs_max_grade, s.icans_max_grade, s.gvhd) == ("CRi", 4, 3, True)

    s = summaries["cart-1005"]  # primary refractory adult, obe-cel, CD19-negative relapse
    assert (s.relapse_count, s.response, s.relapse_after, s.icans_max_grade) == (
        None,
        "CR",
        True,
        0,
    )

    s = summaries["cart-1006"]  # no CRS stated absent, no response, died
    assert (s.response, s.crs_max_grade, s.icans_max_grade, s.alive_at_last_follow_up) == (
        "NR",
        0,
        None,
        False,
    )


def test_values_are_read_converted_and_placed_in_time(plan):
    cases = {c.id: c.case for c in plan.cases}
    c1 = cases["cart-1001"]
    assert [e.id for e in c1.timeline] == [
        "ther1", "rel1", "ther2", "ther3", "car1", "tox1", "tox2", "resp1",
        "fu-month_3_arm_1", "fu-month_6_arm_1", "fu-month_12_arm_1",
    ]  # fmt: skip
    car = c1.event("car1")
    assert isinstance(car, CarTInfusion) and car.lymphodepletion is not None
    assert car.lymphodepletion.agents == ("fludarabine", "cyclophosphamide")
    assert car.dose is not None and (car.dose.value, car.dose.unit) == (2.1, "x10^6 cells/kg")
    crs = c1.event("tox1")
    assert (
        isinstance(crs, ToxicityEpisode)
        and str(crs.onset) == "car1+1d"
        and crs.treatments == ("tocilizumab",)
    )
    assert c1.diagnosis.genetics == ("IKZF1 deletion",) and c1.diagnosis.cns_status == "CNS1"
    # a temperature entered in °F is stored in °C; the daily findings keep their day
    assert [str(a.at) for a in c1.assessments] == ["car1+1d", "car1+2d", "car1+5d"]
    assert c1.assessments[0].crs is not None and c1.assessments[0].crs.temperature_c == 38.8
    assert (
        c1.assessments[1].crs is not None and c1.assessments[1].crs.oxygen.device == "nasal_cannula"
    )
    # ferritin entered in ug/L and ng/mL is one series in ng/mL; BLQ stays BLQ, never 0
    series = {s.id: s for s in c1.observations}
    ferritin = series["ferritin-car1"]
    assert ferritin.unit == "ng/mL" and [p.value for p in ferritin.points] == [610, 4100, 2300]
    cart = series["car-t-pct-t-cells-car1"]
    assert cart.points[-1].blq and cart.points[-1].value is None

    c2 = cases["cart-1002"]
    assert c2.diagnosis.wbc_10e9_l == pytest.approx(48.2)  # 48200 /uL
    crp = next(s for s in c2.observations if s.analyte == "crp")
    assert crp.unit == "mg/L" and [p.value for p in crp.points] == [85, 31]  # 8.5 mg/dL -> 85 mg/L
    assert c2.assessments == ()

    c3 = cases["cart-1003"]
    resp2 = c3.event("resp2")
    assert isinstance(resp2, DiseaseAssessment) and resp2.mrd is not None
    assert resp2.mrd.value == pytest.approx(2e-4) and resp2.mrd.method == "flow"  # 0.02 % of cells
    order = [e.id for e in c3.timeline]
    assert order.index("tox3") == order.index("car2") + 1  # undated ICANS placed at its infusion
    assert order[-1] == "death"
    death = c3.event("death")
    assert isinstance(death, Death) and str(death.date) == "2018-05-02" and death.cause == "disease"
    assert not any(isinstance(e, FollowUp) and str(e.date) == "" for e in c3.timeline)

    c4 = cases["cart-1004"]
    copies = next(s for s in c4.observations if s.analyte == "car_t_transgene_copies")
    assert copies.lloq == 50 and copies.points[-1].blq  # "<50"
    assert c4.assessments[0].crs is not None
    assert c4.assessments[0].crs.vasopressors == ["norepinephrine", "vasopressin"]


def test_the_wide_and_long_examples():
    wide = plan_table_import(
        DATA / "table" / "wide_cases.csv", DATA / "table" / "wide_mapping.yaml"
    )
    assert wide.ok, messages(wide)
    s = {c.id: summarize(c.case) for c in wide.cases}
    assert s["wide-W02"].relapse_count == 2 and s["wide-W02"].prior_hsct is True
    assert s["wide-W02"].extramedullary_sites == ["testis"]  # "testicular", a synonym
    assert s["wide-W02"].crs_max_grade == 3 and s["wide-W02"].alive_at_last_follow_up is False
    w01 = next(c.case for c in wide.cases if c.id == "wide-W01")
    assert str(w01.diagnosis.date) == "2012-03"  # a partial date keeps its precision
    w03 = next(c.case for c in wide.cases if c.id == "wide-W03")
    assert w03.event("d28").mrd is None  # a constant method alone makes no MRD

    long = plan_table_import(DATA / "table" / "long_labs.csv", DATA / "table" / "long_mapping.yaml")
    assert long.ok, messages(long)
    l01 = long.cases[0].case
    assert len(l01.timeline) == 1  # the infusion repeated on every row is one event
    series = {s.analyte: s for s in l01.observations}
    assert [p.value for p in series["ferritin"].points] == [820, 6400, 2900]
    assert [p.value for p in series["crp"].points] == [142, 61]
    assert series["car_t_pct_t_cells"].lloq == 0.01


# --- bad input: every failing row, with its row and column ----------------------------------------


def test_mixed_date_formats(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1002", "response_assessment", "1")]["resp_date"] = "16/07/2019"

    plan = edited(tmp_path, edit)
    assert [p.record for p in plan.problems] == ["1002"]
    p = plan.problems[0]
    assert (p.column, p.row, p.line) == ("resp_date", p.line - 1, p.line)
    assert "not a date in the declared format (YYYY-MM-DD); it looks like DD/MM/YYYY" in p.message
    assert "cart-1002" not in [c.id for c in plan.cases] and len(plan.cases) == 5

    # declaring both formats does not make a mixed column acceptable
    mapping = tmp_path / "both.yaml"
    mapping.write_text(
        MAPPING.read_text().replace('formats: ["%Y-%m-%d"]', 'formats: ["%Y-%m-%d", "%d/%m/%Y"]')
    )
    plan = edited(tmp_path, edit, mapping=mapping)
    assert len(plan.problems) == 1
    assert (
        "the column mixes date formats: this row is DD/MM/YYYY, most rows are YYYY-MM-DD"
        in messages(plan)[0]
    )
    assert plan.problems[0].column == "resp_date" and plan.problems[0].line is not None


def test_duplicated_rows(tmp_path):
    def edit(header, rows):
        i = find(rows, "1001", "toxicity", "1")
        rows.insert(i + 1, dict(rows[i]))  # an exact duplicate
        j = find(rows, "1004", "relapse", "1")
        changed = dict(rows[j], rel_blasts="56")
        rows.insert(j + 1, changed)  # the same instance twice, with other values

    plan = edited(tmp_path, edit)
    found = messages(plan)
    assert len(found) == 2
    assert (
        "this row repeats row" in found[0] and "exactly" in found[0] and "record '1001'" in found[0]
    )
    assert "instance 1 of 'relapse' in event 'baseline_arm_1' is already given in row" in found[1]
    assert plan.problems[1].column == "redcap_repeat_instance"
    assert sorted(c.record for c in plan.cases) == ["1002", "1003", "1005", "1006"]


def test_unit_mix_ups(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1001", "cart_kinetics", "7")]["lab_unit"] = "6"  # ferritin in mg/L
        rows[find(rows, "1004", "crs_daily", "1")]["cd_temp"] = "104.2"  # °F typed as °C
        rows[find(rows, "1002", "response_assessment", "1")].update(
            resp_mrd_result="2", resp_mrd_pct="150"
        )

    found = messages(edited(tmp_path, edit))
    assert len(found) == 3
    assert (
        "column 'lab_unit'" in found[0]
        and "the unit 'mg/L' cannot be converted to 'ng/mL' safely (a unit mix-up?)" in found[0]
    )
    assert (
        "column 'resp_mrd_pct'" in found[1]
        and "1.5 fraction is outside the plausible range 0-1" in found[1]
    )
    assert (
        "column 'cd_temp'" in found[2]
        and "104.2 degC is outside the plausible range 30-44 degC: is the unit right?" in found[2]
    )


def test_unknown_codes_and_choices(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1001")]["dem_sex"] = "3"
        rows[find(rows, "1002", "car_t_infusion", "1")]["cart_product"] = (
            "Tecartus"  # a label export
        )
        rows[find(rows, "1003", "relapse", "1")]["rel_sites___1"] = "2"

    found = messages(edited(tmp_path, edit))
    assert "column 'dem_sex': '3' is not a choice of 'dem_sex' (1 (Male), 2 (Female))" in found[0]
    assert "column 'cart_product': 'Tecartus' is not a choice of 'cart_product'" in found[1]
    assert "checkbox column 'rel_sites___1' holds '2'; expected 1 or 0" in found[2]


def test_a_label_export_is_recognised(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1001")]["dem_sex"] = "Female"

    found = messages(edited(tmp_path, edit))
    assert found[0].endswith(
        "it is the label of choice 2: export the records as raw data (codes), not labels"
    )


def test_a_value_the_case_refuses_is_traced_to_its_row_and_column(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1006", "relapse", "1")]["rel_date"] = "2018-12-01"  # before the diagnosis
        rows[find(rows, "1005", "car_t_infusion", "1")]["cart_target"] = "2"  # obe-cel is CD19

    plan = edited(tmp_path, edit)
    by_record = {p.record: p for p in plan.problems}
    assert by_record["1006"].column == "rel_date" and by_record["1006"].field == "timeline[0].date"
    assert by_record["1006"].message == "this relapse is dated before the diagnosis"
    _, rows = read_records()
    assert by_record["1006"].row == find(rows, "1006", "relapse", "1") + 1
    assert "obecabtagene autoleucel is CD19 (target), not CD22" in by_record["1005"].message


def test_rows_of_one_record_that_disagree(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1002", event="month_3_arm_1")]["dem_sex"] = "2"

    found = messages(edited(tmp_path, edit))
    assert len(found) == 1
    assert "column 'dem_sex': sex is 'female' here but 'male' in row" in found[0]
    assert "one record, two values" in found[0]


def test_two_values_for_one_time_in_a_series(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1001", "cart_kinetics", "2")]["lab_day"] = "7"

    found = messages(edited(tmp_path, edit))
    assert len(found) == 1 and "car_t_pct_t_cells at day 7 is already given in row" in found[0]


def test_missing_columns_stop_the_import_before_any_row(tmp_path):
    def edit(header, rows):
        header.remove("rel_date")
        header.remove("cart_costim___2")
        for r in rows:
            del r["rel_date"], r["cart_costim___2"]

    with pytest.raises(TableImportError) as info:
        edited(tmp_path, edit)
    found = sorted(str(p) for p in info.value.problems)
    assert len(found) == 2
    assert all(":1: column" in f for f in found)
    assert "column 'cart_costim___2': the file has no column 'cart_costim___2'" in found[0]
    assert (
        "the file has no column 'rel_date', which the mapping reads at events[1].fields.date"
        in found[1]
    )


def test_a_mapping_the_dictionary_contradicts_is_refused_with_its_lines(tmp_path):
    mapping = tmp_path / "m.yaml"
    text = MAPPING.read_text().replace("column: dem_sex", "column: dem_gender")
    mapping.write_text(text)
    with pytest.raises(MappingError) as info:
        plan_table_import(RECORDS, mapping, dictionary=DICTIONARY)
    (problem,) = info.value.problems
    line = 1 + next(i for i, t in enumerate(text.splitlines()) if "dem_gender" in t)
    assert problem.line == line and problem.field == "patient.fields.sex.column"
    assert "'dem_gender' is not a field of the data dictionary" in problem.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'record_id,dem_sex\n1001,"2\n', "malformed"),
        (b"record_id,dem_sex\n1001,2,3\n", "the row has 3 cells but the header has 2"),
        ("record_id,dem_sex\n1001,Fémale\n".encode("latin-1"), "not UTF-8 text"),
        ("record_id,dem_sex\n1001,2\n".encode("utf-16"), "UTF-16"),
        (b"record_id,dem_sex\n1001,\x002\n", "binary file"),
        (b"", "the file is empty"),
        (b"record_id,dem_sex,dem_sex\n1,2,2\n", "the header names this column twice"),
    ],
)
def test_malformed_files_are_refused_with_their_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(TableImportError, match=message) as info:
        plan_table_import(path, MAPPING)
    assert all(p.where == str(path) for p in info.value.problems)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(MAX_TABLE_BYTES + 1)  # sparse: no time or disk spent writing it
    with pytest.raises(TableImportError, match=r"tables are limited to 50\.0 MB"):
        plan_table_import(path, MAPPING)


def test_hostile_strings(tmp_path):
    def edit(header, rows):
        rows[find(rows, "1003", "car_t_infusion", "2")]["cart_construct"] = (
            '=HYPERLINK("http://x","y")'
        )
        rows[find(rows, "1001")]["dem_sex"] = "\x1b[31m2"
        for r in rows:
            if r["record_id"] == "1005":
                r["record_id"] = "../../etc/passwd"
        rows[find(rows, "1004", "relapse", "1")]["rel_mutations"] = "x" * 400

    plan = edited(tmp_path, edit)
    found = messages(plan)
    assert "'\\x1b[31m2' is not a choice of 'dem_sex'" in found[0]  # shown escaped, never raw
    assert all("\x1b" not in f for f in found)
    assert any(
        "the case id 'cart-../../etc/passwd'" in f and "is not a valid id" in f for f in found
    )
    assert any("record '1004'" in f and "is longer than 300 characters" in f for f in found)
    construct = next(c for c in plan.cases if c.record == "1003").case.event("car2")
    assert (
        isinstance(construct, CarTInfusion)
        and construct.construct_name == '=HYPERLINK("http://x","y")'
    )


def test_a_cell_too_long_for_any_value(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("record_id,dem_sex\n1001," + "9" * 100_001 + "\n", encoding="utf-8")
    with pytest.raises(TableImportError, match="too long for a value"):
        plan_table_import(path, MAPPING)


# --- storing: all or nothing ----------------------------------------------------------------------


def _state(store) -> dict[str, int]:
    return {row.id: row.version for row in store.list()}


def test_a_valid_plan_is_stored_in_one_go_and_again_is_unchanged(store, plan):
    assert planned_actions(store, plan) == {c.id: "create" for c in plan.cases}
    report = save_table_plan(store, plan, author="dm", reason="REDCap export")
    assert report.counts == {"created": 6, "updated": 0, "unchanged": 0}
    stored = store.get("cart-1002")
    assert stored.summary["bridged_to_hsct"] is True and stored.summary["abl_kinase_mutations"] == [
        "T315I"
    ]
    assert set(planned_actions(store, plan).values()) == {"unchanged"}
    assert save_table_plan(store, plan).counts["unchanged"] == 6


def test_a_plan_with_any_failing_row_stores_nothing(store, plan, tmp_path):
    save_table_plan(store, plan)
    before = _state(store)

    def edit(header, rows):
        rows[find(rows, "1001")]["dem_birth_year"] = "2009"  # a valid change to one case ...
        rows[find(rows, "1006", "relapse", "1")]["rel_blasts"] = "7,2"  # ... and one bad cell

    bad = edited(tmp_path, edit)
    assert planned_actions(store, bad)["cart-1001"] == "update"
    assert [p.column for p in bad.problems] == ["rel_blasts"]
    with pytest.raises(TableImportError, match="decimal comma"):
        save_table_plan(store, bad)
    assert _state(store) == before
    assert store.get("cart-1001").document["patient"]["birth_year"] == 2008


def test_mapping_paths_may_be_given_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(DATA / "table")
    plan = plan_table_import("long_labs.csv", "long_mapping.yaml")
    assert plan.where == "long_labs.csv" and plan.ok
    assert os.path.basename(plan.where) == "long_labs.csv"


def test_a_plain_table_with_decimal_commas_offsets_and_merged_rows(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        """\
format: table
record_id: pid
decimal: ","
dates: {formats: ["%d.%m.%Y"]}
patient:
  fields:
    sex: {column: sex, values: {w: female, m: male}}
events:
  - type: car_t_infusion
    id: car1
    fields:
      date: {column: infusion, read: date}
      product: {column: product, vocabulary: car_t_products}
      dose.value: {column: dose, read: number}
      dose.unit: {value: x10^6 cells/kg}
  - type: disease_assessment
    repeat: row
    id: "a{n}"
    when: response
    fields:
      date: {column: assessed, read: time}
      assesses: {value: car1}
      response: response
      marrow_blasts_pct: {column: blasts, read: number, decimals: 1}
""",
        encoding="utf-8",
    )
    data = tmp_path / "d.csv"
    data.write_text(
        "pid;sex;infusion;product;dose;assessed;response;blasts\n".replace(";", ",")
        + 'P1,w,01.03.2020,tisa-cel,"2,5",car1+28d,CR,"0,44"\n'
        + "P1,w,01.03.2020,tisa-cel,,10.06.2020,CR,\n"
        + "P2,m,05.05.2021,Kymriah,3,car1+1mo,PR,12\n",
        encoding="utf-8",
    )
    plan = plan_table_import(data, mapping)
    assert plan.ok, messages(plan)
    p1 = plan.cases[0].case
    car = p1.event("car1")
    assert isinstance(car, CarTInfusion) and car.dose is not None and car.dose.value == 2.5
    assessments = p1.events(DiseaseAssessment)
    assert [str(a.date) for a in assessments] == ["car1+28d", "2020-06-10"]
    assert assessments[0].marrow_blasts_pct == 0.4

    # the same rows disagreeing on the infusion date: one record, two values
    data.write_text(
        data.read_text(encoding="utf-8").replace(
            "P1,w,01.03.2020,tisa-cel,,", "P1,w,02.03.2020,tisa-cel,,"
        ),
        encoding="utf-8",
    )
    (problem,) = plan_table_import(data, mapping).problems
    assert (problem.row, problem.column) == (2, "infusion")
    assert "date is '2020-03-02' here but '2020-03-01' in row 1" in problem.message
