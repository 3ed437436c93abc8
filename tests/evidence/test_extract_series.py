"""Several patients in one text, and cohort-level counts."""

from __future__ import annotations

from remission.evidence import extract_text

SERIES = """Tandem CAR T cells in two patients

Background: We treated two patients with autologous CD19/CD22 CAR T cells with a 4-1BB domain.

Patient 1: A 23-year-old man with Ph-negative B-ALL relapsed for the third time. He had grade 1 CRS and no ICANS. Day 28 marrow: complete remission, MRD negative. He is alive 11 months after infusion.

Patient 2: An 8-year-old girl had her second relapse. She developed grade 3 CRS. She reached a partial response and died 4 months after infusion.

Conclusions: Tandem CAR T cells induced responses in both patients.
"""

COHORT = """Blinatumomab in children with relapsed ALL

The study included 14 patients with refractory B-precursor ALL. The median age was 9 years. Twelve of the 14 children
reached an MRD-negative remission; 11 of those then had a haploBMT. CRS occurred in 3 of 14 patients.
"""


def test_a_series_gives_one_summary_per_labelled_patient():
    result = extract_text(SERIES)
    assert result.kind == "case_series"
    assert [p.label for p in result.patients] == ["Patient 1", "Patient 2"]
    first, second = (p.summary for p in result.patients)
    assert (
        first.age_years,
        first.sex,
        first.relapse_count,
        first.crs_max_grade,
        first.icans_max_grade,
    ) == (23, "male", 3, 1, 0)
    assert (
        second.age_years,
        second.sex,
        second.relapse_count,
        second.crs_max_grade,
        second.response,
    ) == (8, "female", 2, 3, "PR")
    assert second.alive_at_last_follow_up is False


def test_the_preamble_product_is_each_patients_index_therapy():
    result = extract_text(SERIES)
    for p in result.patients:
        assert [
            r.model_dump(by_alias=True, exclude_defaults=True) for r in p.summary.index_therapies
        ] == [
            {
                "class": "car_t",
                "target": "CD19/CD22",
                "cell_source": "autologous",
                "costimulatory": ["4-1BB"],
            }
        ]


def test_a_cohort_gives_counts_not_patients():
    result = extract_text(COHORT)
    assert result.kind == "cohort"
    assert result.patients == ()
    assert result.cohort is not None
    c = result.cohort
    assert (
        c.n_patients,
        c.median_age_years,
        c.n_complete_response,
        c.n_mrd_negative,
        c.n_bridged_to_hsct,
        c.n_crs_any,
    ) == (14, 9, 12, 12, 11, 3)
    assert {v.field for v in result.cohort_values} >= {
        "cohort.n_patients",
        "cohort.median_age_years",
    }


TABLE = """Outcomes of CD19 CAR T cells in adults: a two-centre analysis
Results: Table 1 (flattened)
Characteristic | all patients (n=30)
Median age, years (range) | 41 (20-70)
Prior allo-HSCT | 11 (37%)
Day-28 CR/CRi | 24 of 30 (80%)
MRD-negative CR (flow) | 20
CRS, any grade | 25 (83%)
CRS grade ≥3 | 3 (10%)
ICANS, any grade | 8 (27%)
Consolidative allo-HSCT in remission | 6
Patients aged 40 or more (n=16) had similar response rates.
"""


def test_a_flattened_table_gives_the_cohort_counts_and_the_largest_n_is_the_whole():
    result = extract_text(TABLE)
    assert result.kind == "cohort"
    c = result.cohort
    assert c is not None
    assert (c.n_patients, c.median_age_years, c.n_complete_response, c.n_mrd_negative) == (
        30,
        41,
        24,
        20,
    )
    assert (c.n_crs_any, c.n_crs_grade3plus, c.n_icans_any, c.n_bridged_to_hsct) == (25, 3, 8, 6)


def test_patient_headings_and_lettered_bullets_are_patients():
    headed = extract_text(
        "Two older adults\nPatient 1\nA 71-year-old man with Ph+ B-ALL received dasatinib and blinatumomab.\n"
        "Patient 2\nA 64-year-old woman with Ph+ ALL received the same schedule.\n"
    )
    assert [p.summary.age_years for p in headed.patients] == [71, 64]
    bullets = extract_text(
        "Three children given tisagenlecleucel\n• Child A - a girl aged 3 years and 9 months with relapsed B-ALL.\n"
        "• Child B - a 14-year-old girl with a first relapse.\n• Child C - a 17-year-old boy in second relapse.\n"
    )
    assert [p.summary.age_years for p in bullets.patients] == [3.75, 14, 17]
    assert [p.summary.sex for p in bullets.patients] == ["female", "female", "male"]
