"""Age and sex, each with the words it came from."""

from __future__ import annotations

from remission.evidence import extract_text


def _patient(text: str):
    result = extract_text(text)
    assert len(result.patients) == 1
    return result.patients[0]


def _value(patient, field: str):
    return next(v for v in patient.values if v.field == field)


def test_a_7_year_old_boy_is_7_and_male():
    p = _patient("A 7-year-old boy with relapsed B-ALL received tisagenlecleucel.")
    assert p.summary.age_years == 7
    assert p.summary.sex == "male"
    assert _value(p, "age_years").evidence[0].spans[0].text == "7-year-old"


def test_age_at_the_index_therapy_wins_over_age_at_diagnosis():
    p = _patient(
        "A 37-year-old man was diagnosed with B-ALL in 2018. He relapsed twice. "
        "At the age of 41 he received brexucabtagene autoleucel."
    )
    assert p.summary.age_years == 41


def test_months_become_years():
    p = _patient("An 18-month-old girl with relapsed B-ALL was given CD19 CAR-T cells.")
    assert p.summary.age_years == 1.5
    assert p.summary.sex == "female"


def test_her_brother_as_donor_does_not_make_the_patient_male():
    p = _patient(
        "The patient relapsed after transplantation. She then received donor-derived CD19 CAR-T cells "
        "derived from her brother."
    )
    assert p.summary.sex == "female"


def test_median_age_of_a_cohort_is_not_a_patients_age():
    p = _patient(
        "The median age of patients in the literature is 9 years. A girl with relapsed ALL received CAR-T cells."
    )
    assert p.summary.age_years is None
