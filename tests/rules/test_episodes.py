"""Toxicity episodes from daily assessments (ASTCT 2019 grades; episode rules in
docs/rules.md, "Toxicity episodes").

An episode starts at the first day graded >= 1, resolves at the first grade-0 day after its last
day >= 1, and continues when the syndrome returns fewer than EPISODE_GAP_DAYS (3) days after that
grade-0 day. "Not assessable" never starts, continues or ends an episode.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.casefile import load_file
from remission.examples import example_paths
from remission.model import Case
from remission.rules.episodes import EPISODE_GAP_DAYS, grade_case
from remission.rules.summary import summarize

FEVER = {"temperature_c": 38.6}  # grade 1: fever alone
NO_CRS = {"temperature_c": 37.0}  # grade 0: no qualifying fever
NOT_RECORDED: dict = {}  # no temperature: not assessable
PRESSOR = {"temperature_c": 39.2, "hypotension": True, "vasopressors": ["norepinephrine"]}  # 3


def case_with(assessments, timeline=None, patient=None, **extra):
    data = {
        "id": "ep-test",
        "patient": patient or {"age": {"value": 30, "at": "car1"}},
        "timeline": timeline
        or [{"id": "car1", "type": "car_t_infusion", "date": "2021-10-12", "target": "CD19"}],
        "assessments": assessments,
        **extra,
    }
    return Case.model_validate(data)


def crs_days(grades_by_day, ref="car1"):
    return [{"at": f"{ref}+{day}d", "crs": findings} for day, findings in grades_by_day]


def _synthetic():
    path = next(p for p in example_paths() if p.name.startswith("synthetic"))
    return load_file(path).document


def test_synthetic_example_crs_episode_onset_maximum_and_drivers():
    g = grade_case(_synthetic())
    (crs,) = g.episodes_for("crs")
    assert crs.follows == "car1"
    assert crs.onset_at == "car1+2d" and crs.onset_day.days == 2 and crs.onset_day.exact
    assert crs.max_grade == 2 and crs.max_at == "car1+3d"
    # fluids-only hypotension and 2 L/min nasal cannula are both grade-2 tiers
    assert any("fluids" in d for d in crs.drivers) and any(
        "nasal cannula" in d for d in crs.drivers
    )
    # no CRS assessment after day 6, when CRS was still graded 1: ongoing at the last assessment
    assert crs.ongoing and crs.resolution_at is None and crs.duration is None
    assert [d.grade for d in crs.daily] == [1, 2, 1]


def test_synthetic_example_icans_episode_resolves_at_the_first_grade_zero():
    (icans,) = grade_case(_synthetic()).episodes_for("icans")
    assert icans.onset_day.days == 6 and icans.max_grade == 1
    assert icans.resolution_at == "car1+7d" and icans.resolution_day.days == 7
    assert icans.duration.days == 1
    assert icans.drivers == ("ICE 8 (7–9) → grade 1",)


def test_daily_grade_is_the_worst_of_that_day():
    case = case_with(crs_days([(2, FEVER), ("2.5", PRESSOR), (3, NO_CRS)]))
    (ep,) = grade_case(case).episodes
    assert [(d.at, d.grade) for d in ep.daily] == [("car1+2d", 3), ("car1+3d", 0)]
    assert ep.daily[0].assessments == (0, 1)
    assert ep.max_grade == 3 and any("vasopressor" in d for d in ep.drivers)


def test_a_short_grade_zero_gap_continues_the_episode():
    case = case_with(crs_days([(1, FEVER), (2, NO_CRS), (4, FEVER), (5, NO_CRS)]))
    (ep,) = grade_case(case).episodes  # 4 - 2 = 2 days < 3
    assert ep.onset_at == "car1+1d" and ep.resolution_at == "car1+5d"
    assert [d.grade for d in ep.daily] == [1, 0, 1, 0]
    assert any("the same episode" in n for n in ep.notes)


def test_a_gap_of_three_days_starts_a_new_episode():
    assert EPISODE_GAP_DAYS == 3
    case = case_with(crs_days([(1, FEVER), (2, NO_CRS), (5, PRESSOR), (6, NO_CRS)]))
    first, second = grade_case(case).episodes
    assert (first.number, first.onset_at, first.resolution_at, first.max_grade) == (
        1,
        "car1+1d",
        "car1+2d",
        1,
    )
    assert (second.number, second.onset_at, second.resolution_at, second.max_grade) == (
        2,
        "car1+5d",
        "car1+6d",
        3,
    )


def test_the_gap_can_be_chosen_by_the_caller():
    case = case_with(crs_days([(1, FEVER), (2, NO_CRS), (5, FEVER)]))
    assert len(grade_case(case).episodes) == 2
    assert len(grade_case(case, gap_days=4).episodes) == 1


def test_not_assessable_never_starts_an_episode():
    case = case_with(crs_days([(1, NOT_RECORDED), (2, NO_CRS), (3, NOT_RECORDED)]))
    g = grade_case(case)
    assert g.episodes == ()
    assert [a.grade for a in g.assessments] == [None, 0, None]


def test_not_assessable_never_ends_an_episode_and_marks_the_maximum_as_a_lower_bound():
    case = case_with(crs_days([(1, FEVER), (2, NOT_RECORDED), (3, NOT_RECORDED), (4, NO_CRS)]))
    (ep,) = grade_case(case).episodes
    assert ep.resolution_at == "car1+4d"
    assert [d.grade for d in ep.daily] == [1, None, None, 0]
    assert ep.may_be_higher and len(ep.not_assessable) == 2
    assert "no temperature recorded" in ep.not_assessable[0]


def test_an_episode_still_going_at_the_last_assessment_has_no_resolution():
    case = case_with(crs_days([(1, FEVER), (2, PRESSOR), (3, NOT_RECORDED)]))
    (ep,) = grade_case(case).episodes
    assert ep.ongoing and ep.resolution_day is None and ep.max_grade == 3


def test_not_assessable_days_do_not_shorten_the_gap():
    # grade 0 on day 2; days 3-4 not assessable; grade 1 on day 5: 3 days after the grade-0 day
    case = case_with(
        crs_days([(1, FEVER), (2, NO_CRS), (3, NOT_RECORDED), (4, NOT_RECORDED), (5, FEVER)])
    )
    assert len(grade_case(case).episodes) == 2


def test_assessments_are_ordered_by_time_not_by_listing():
    case = case_with(crs_days([(3, NO_CRS), (1, FEVER), (2, PRESSOR)]))
    (ep,) = grade_case(case).episodes
    assert ep.onset_at == "car1+1d" and ep.max_at == "car1+2d" and ep.resolution_at == "car1+3d"


def test_episode_follows_the_latest_infusion_at_or_before_onset_with_days_from_it():
    timeline = [
        {"id": "car1", "type": "car_t_infusion", "date": "2021-10-12", "target": "CD19"},
        {"id": "car2", "type": "car_t_infusion", "date": "car1+30d", "target": "CD19"},
    ]
    case = case_with(
        crs_days([(2, FEVER), (3, NO_CRS)]) + crs_days([(1, FEVER), (2, NO_CRS)], "car2"),
        timeline=timeline,
    )
    first, second = grade_case(case).episodes
    assert first.follows == "car1" and first.onset_day.days == 2
    assert second.follows == "car2" and second.onset_day.days == 1
    assert second.onset_day.exact


def test_a_new_infusion_starts_a_new_episode_even_within_the_gap():
    timeline = [
        {"id": "car1", "type": "car_t_infusion", "date": "2021-10-12", "target": "CD19"},
        {"id": "car2", "type": "car_t_infusion", "date": "car1+3d", "target": "CD19"},
    ]
    case = case_with(crs_days([(1, FEVER), (2, FEVER), (4, FEVER)]), timeline=timeline)
    first, second = grade_case(case).episodes
    assert (first.follows, second.follows) == ("car1", "car2")


def test_days_from_an_infusion_dated_to_the_month_are_exact_when_counted_from_it():
    timeline = [{"id": "car1", "type": "car_t_infusion", "date": "2021-10", "target": "CD19"}]
    case = case_with(crs_days([(2, FEVER), (4, NO_CRS)]), timeline=timeline)
    (ep,) = grade_case(case).episodes
    assert ep.onset_day.exact and ep.onset_day.days == 2 and ep.duration.days == 2


def test_blinatumomab_course_is_an_infusion_a_toxicity_can_follow():
    timeline = [
        {"id": "blina1", "type": "therapy", "start": "2020-02-03", "agents": ["blinatumomab"]}
    ]
    case = case_with(
        crs_days([(1, FEVER), (2, NO_CRS)], "blina1"),
        timeline=timeline,
        patient={"age": {"value": 40}},
    )
    (ep,) = grade_case(case).episodes
    assert ep.follows == "blina1" and ep.onset_day.days == 1


def test_icans_takes_the_patients_age_at_the_assessment():
    # 10 years old at infusion: the CAPD path; CAPD 12 -> grade 3
    case = case_with(
        [{"at": "car1+5d", "icans": {"capd_score": 12}}],
        patient={"age": {"value": 10, "at": "car1"}},
    )
    (a,) = grade_case(case).assessments
    assert a.grade == 3 and any("10.0 years" in n for n in a.notes)


def test_icans_without_any_age_is_not_assessable():
    case = case_with([{"at": "car1+5d", "icans": {"ice_score": 5}}], patient={"sex": "male"})
    (a,) = grade_case(case).assessments
    assert a.grade is None and "age" in a.result.reason


def test_icans_age_from_birth_year_straddling_twelve_is_not_assessable_when_paths_differ():
    # born 2009, assessed in October 2021: 11 or 12 years old. ICE 5 counts only from 12.
    case = case_with([{"at": "car1+5d", "icans": {"ice_score": 5}}], patient={"birth_year": 2009})
    (a,) = grade_case(case).assessments
    assert a.grade is None and "straddles" in a.result.reason


def test_icans_age_from_birth_year_decides_when_far_from_the_cut_off():
    case = case_with([{"at": "car1+5d", "icans": {"ice_score": 5}}], patient={"birth_year": 1980})
    (a,) = grade_case(case).assessments
    assert a.grade == 2


def test_max_grade_is_unknown_when_all_assessable_grades_are_zero_but_one_was_not_assessable():
    g = grade_case(case_with(crs_days([(1, NO_CRS), (2, NOT_RECORDED)])))
    assert g.max_grade("crs") is None
    g = grade_case(case_with(crs_days([(1, NO_CRS), (2, NO_CRS)])))
    assert g.max_grade("crs") == 0 and g.max_grade("icans") is None


def test_grade_case_is_plain_data_for_the_cli():
    data = grade_case(_synthetic()).to_dict()
    text = json.dumps(data)
    assert data["scale"] == "ASTCT 2019" and data["gap_days"] == 3
    assert len(data["assessments"]) == 5 and len(data["episodes"]) == 2
    assert '"onset_day"' in text


def test_summary_uses_computed_grades_when_an_index_therapy_has_no_stated_grade():
    case = case_with(crs_days([(1, FEVER), (2, PRESSOR), (3, NO_CRS)]))
    s = summarize(case)
    assert s.crs_max_grade == 3 and s.icans_max_grade is None


def test_summary_keeps_the_stated_grade_of_an_index_therapy_that_has_one():
    s = summarize(_synthetic())  # stated grade 2 CRS, grade 1 ICANS; computed agree anyway
    assert s.crs_max_grade == 2 and s.icans_max_grade == 1
    timeline = [
        {"id": "car1", "type": "car_t_infusion", "date": "2021-10-12", "target": "CD19"},
        {
            "id": "crs1",
            "type": "toxicity",
            "syndrome": "crs",
            "after": "car1",
            "grade": {"grade": 1, "scale": "Lee 2014"},
        },
    ]
    s = summarize(case_with(crs_days([(1, PRESSOR)]), timeline=timeline))
    assert s.crs_max_grade == 1  # the report's own grade is kept


def test_summary_fills_only_the_index_therapy_without_a_stated_grade():
    timeline = [
        {"id": "car1", "type": "car_t_infusion", "date": "2021-10-12", "target": "CD19"},
        {
            "id": "crs1",
            "type": "toxicity",
            "syndrome": "crs",
            "after": "car1",
            "grade": {"grade": 1, "scale": "ASTCT 2019"},
        },
        {"id": "car2", "type": "car_t_infusion", "date": "car1+60d", "target": "CD19"},
    ]
    case = case_with(
        crs_days([(2, PRESSOR), (4, NO_CRS)], "car2"), timeline=timeline, index=["car1", "car2"]
    )
    assert summarize(case).crs_max_grade == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["fever", "none", "unknown", "pressor"]), min_size=1, max_size=12))
def test_episodes_never_overlap_and_each_has_a_day_graded_at_least_one(kinds):
    findings = {"fever": FEVER, "none": NO_CRS, "unknown": NOT_RECORDED, "pressor": PRESSOR}
    case = case_with(crs_days([(i + 1, findings[k]) for i, k in enumerate(kinds)]))
    g = grade_case(case)
    last_end = -1.0
    for ep in g.episodes:
        assert ep.max_grade >= 1
        assert ep.onset_day.days > last_end
        assert all(d.grade is None or d.grade <= ep.max_grade for d in ep.daily)
        last_end = (ep.resolution_day or ep.daily[-1].day).days
    # every graded day >= 1 lies in some episode
    positive = {a.day.days for a in g.assessments if a.grade and a.grade >= 1}
    covered = {d.day.days for ep in g.episodes for d in ep.daily if d.grade and d.grade >= 1}
    assert positive == covered


@pytest.mark.parametrize("prefix", ["seed-000", "seed-001", "seed-002", "seed-003"])
def test_seed_cases_without_daily_assessments_have_no_computed_episodes(prefix):
    path = next(p for p in example_paths() if p.name.startswith(prefix))
    g = grade_case(load_file(path).document)
    assert g.assessments == () and g.episodes == ()
