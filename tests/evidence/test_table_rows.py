"""A case series written as a flattened table: one row per patient, cells read by their column."""

from __future__ import annotations

from remission.evidence import extract_text

TABLE = """Tisagenlecleucel for relapsed B-ALL: two patients from one centre

Patients received tisagenlecleucel (CD19, 4-1BB) between 2021 and 2023.
Pt | age/sex | prior HSCT | relapse | CRS | ICANS | best response | outcome
1 | 33-yr-old M | haplo | first, marrow only | grade 1 | none | MRD-negative CR | alive, CR, 12 mo
2 | 5 y 4 mo F | none | second, marrow + testis | G2 | grade 1 | no response | died of PD mo 3
Patient 1 developed skin GVHD five weeks after infusion.
"""

PLAIN_HEADER = """Tisagenlecleucel in B-ALL
Patient | Age | Sex | CRS | ICANS | Response | Status
P1 | 41 | F | III | 0 | CRi | alive, relapse at 7 mo, 10 mo
P2 | 19 | M | 1 | 2 | CR | alive in CR, 15 months
"""


def test_each_row_of_a_patient_table_is_one_patient() -> None:
    result = extract_text(TABLE)
    assert result.kind == "case_series"
    assert [p.label for p in result.patients] == ["Pt 1", "Pt 2"]


def test_a_cell_means_what_its_column_says() -> None:
    first, second = (p.summary for p in extract_text(TABLE).patients)
    assert (first.age_years, first.sex, first.prior_hsct, first.relapse_count) == (
        33,
        "male",
        True,
        1,
    )
    assert (first.crs_max_grade, first.icans_max_grade) == (1, 0)
    assert (first.response, first.mrd_negative) == ("CR", True)
    assert (first.alive_at_last_follow_up, first.relapse_after, first.follow_up_months) == (
        True,
        False,
        12,
    )
    assert (second.age_years, second.sex, second.prior_hsct, second.relapse_count) == (
        5.33,
        "female",
        False,
        2,
    )
    assert second.extramedullary_sites == ["testis"]
    assert (second.crs_max_grade, second.icans_max_grade, second.response) == (2, 1, "NR")
    assert (second.alive_at_last_follow_up, second.follow_up_months) == (False, 3)


def test_a_later_sentence_naming_one_patient_belongs_to_that_patient_only() -> None:
    first, second = (p.summary for p in extract_text(TABLE).patients)
    assert first.gvhd is True
    assert second.gvhd is None


def test_the_index_therapy_comes_from_the_text_above_the_table() -> None:
    for p in extract_text(TABLE).patients:
        assert [row.agent for row in p.summary.index_therapies] == ["tisagenlecleucel"]


def test_a_header_of_plain_words_is_a_table_not_a_menu_bar() -> None:
    result = extract_text(PLAIN_HEADER)
    first, second = (p.summary for p in result.patients)
    assert (first.age_years, first.sex, first.crs_max_grade, first.icans_max_grade) == (
        41,
        "female",
        3,
        0,
    )
    assert (first.response, first.relapse_after, first.follow_up_months) == ("CRi", True, 10)
    assert (second.sex, second.response, second.relapse_after, second.follow_up_months) == (
        "male",
        "CR",
        False,
        15,
    )


def test_every_table_value_points_at_its_cell() -> None:
    result = extract_text(TABLE)
    values = {v.field: v for v in result.patients[0].values}
    span = values["crs_max_grade"].evidence[0].spans[0]
    assert TABLE[span.start : span.end] == span.text == "grade 1"
    assert values["crs_max_grade"].evidence[0].rule == "crs_max_grade.table"


def test_a_pipe_menu_without_a_patient_column_is_not_a_table() -> None:
    text = (
        "Home | Journals | Articles | Contact\n"
        "A 30-year-old man with B-ALL relapsed and received tisagenlecleucel. He had grade 2 CRS.\n"
    )
    result = extract_text(text)
    assert result.kind == "case_report"
    assert result.patients[0].summary.crs_max_grade == 2


MARKDOWN = """Blinatumomab in two children with B-ALL
| Case | Age (y) | Sex | MRD d29 | CRS | Outcome |
|---|---|---|---|---|---|
| 1 | 6 | F | negative | none | alive, 8 mo |
| 2 | 11 | M | 0.4% | grade 1 | died mo 5 |
"""


def test_a_markdown_table_with_border_pipes_and_a_rule_line_is_read() -> None:
    result = extract_text(MARKDOWN)
    first, second = (p.summary for p in result.patients)
    assert (first.age_years, first.sex, first.mrd_negative, first.crs_max_grade) == (
        6,
        "female",
        True,
        0,
    )
    assert (second.age_years, second.mrd_negative, second.alive_at_last_follow_up) == (
        11,
        False,
        False,
    )
    assert second.follow_up_months == 5


def test_a_numbered_table_of_other_things_is_not_a_patient_table() -> None:
    text = (
        "We included 30 patients with B-ALL treated with tisagenlecleucel; the median age was 12 years.\n"
        "No. | parameter | value\n"
        "1 | median dose | 2.5 x 10^6/kg\n"
        "2 | median expansion | day 10\n"
    )
    result = extract_text(text)
    assert result.kind == "cohort"
    assert result.patients == ()
