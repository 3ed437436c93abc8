"""What followed the index therapy, with negation cues and scales kept."""

from __future__ import annotations

from remission.evidence import extract_text

BASE = "A 12-year-old boy with relapsed B-ALL received tisagenlecleucel. "


def _patient(text: str):
    result = extract_text(BASE + text)
    assert len(result.patients) == 1
    return result.patients[0]


def _value(patient, field):
    return next(v for v in patient.values if v.field == field)


def test_without_icans_gives_icans_0_with_the_cue_without():
    p = _patient("He had grade 2 CRS without ICANS.")
    assert p.summary.icans_max_grade == 0
    ev = _value(p, "icans_max_grade").evidence[0]
    assert ev.cue is not None and ev.cue.text == "without"
    assert ev.modifier == "negated"
    assert p.summary.crs_max_grade == 2


def test_a_grade_shared_by_two_syndromes():
    p = _patient("Only grade 1 cytokine release syndrome (CRS) and ICANS were detected.")
    assert (p.summary.crs_max_grade, p.summary.icans_max_grade) == (1, 1)


def test_roman_grades_and_the_scale_are_kept():
    p = _patient("CRS grade III (ASTCT) was treated with tocilizumab.")
    assert p.summary.crs_max_grade == 3
    tox = next(e for e in p.events if e.type == "toxicity" and e.attributes["syndrome"] == "crs")
    assert tox.attributes["grade"] == {"grade": 3, "scale": "astct2019"}


def test_no_grade_3_crs_says_nothing_about_milder_crs():
    assert _patient("There was no grade 3 CRS.").summary.crs_max_grade is None


def test_mild_crs_without_a_grade_stays_unknown():
    assert _patient("Mild CRS resolved quickly.").summary.crs_max_grade is None


def test_no_signs_of_gvhd_is_gvhd_false():
    p = _patient("No signs of GVHD were observed.")
    assert p.summary.gvhd is False


def test_mrd_below_the_flow_threshold_is_negative():
    p = _patient(
        "The day 28 marrow showed complete remission with MRD below 0.01% by flow cytometry."
    )
    assert p.summary.response == "CR"
    assert p.summary.mrd_negative is True


def test_mrd_that_stayed_detectable_is_not_negative():
    p = _patient(
        "The marrow showed complete remission but MRD remained detectable at 0.05% by flow cytometry."
    )
    assert p.summary.mrd_negative is False


def test_partial_response_then_death():
    p = _patient(
        "On day 28 the marrow showed a partial response. He died of progressive leukaemia 4 months after infusion."
    )
    assert p.summary.response == "PR"
    assert p.summary.alive_at_last_follow_up is False
    assert p.summary.follow_up_months == 4


def test_36_months_event_free_after_car_t():
    p = _patient("He achieved complete remission and 36 months event free survival of follow-up.")
    assert p.summary.follow_up_months == 36
    assert p.summary.relapse_after is False


def test_over_the_course_of_one_year_is_12_months():
    p = _patient(
        "Her response stayed stable over the course of one year of follow-up."
    )
    assert p.summary.follow_up_months == 12


def test_a_relapse_after_the_index_therapy():
    p = _patient(
        "He reached complete remission, but a CD19-negative relapse occurred 6 months after infusion."
    )
    assert p.summary.relapse_after is True


def test_transplant_in_remission_is_a_bridge_and_declined_transplant_is_not():
    assert (
        _patient(
            "He was in complete remission and underwent a haploidentical transplant on day +60."
        ).summary.bridged_to_hsct
        is True
    )
    assert (
        _patient(
            "He was in complete remission and declined a second transplant."
        ).summary.bridged_to_hsct
        is False
    )


def test_a_salvage_transplant_after_relapse_is_not_a_bridge():
    p = _patient(
        "He was in complete remission. He relapsed 3 months later and then underwent a haploidentical transplant."
    )
    assert p.summary.bridged_to_hsct is None


def test_status_years_later_and_day_counts_give_follow_up():
    assert _patient("He remains alive and in CR 2 years later.").summary.follow_up_months == 24
    p = _patient("At day +180 after the CAR T infusion he was alive, in remission.")
    assert p.summary.follow_up_months == 5.9
    assert p.summary.relapse_after is False


def test_no_response_makes_a_later_transplant_salvage():
    p = _patient(
        "On day 28 the marrow still contained 35% blasts, consistent with no response. Two cycles of "
        "inotuzumab ozogamicin produced a complete remission, after which he underwent a haploidentical transplant."
    )
    assert p.summary.response == "NR"
    assert p.summary.bridged_to_hsct is False
    assert p.summary.relapse_after is None
