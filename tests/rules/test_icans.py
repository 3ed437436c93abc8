"""ICANS grading, written from the ASTCT 2019 ICE score, the ICANS grading table for adults and
children >= 12 years, the CAPD-based table for children < 12 years and their footnotes (Lee,
Santomasso et al., Biol Blood Marrow Transplant 2019;25:625-638; digest in clinical-criteria.md
sections 0 and 1.2-1.5). Each test reads as the clinical rule it checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from remission.exceptions import GradingInputError, VocabularyError
from remission.model.assessment import (
    CONSCIOUSNESS_LEVELS,
    ICP_EDEMA_FINDINGS,
    SEIZURE_FINDINGS,
    GradeResult,
    ICANSAssessment,
)
from remission.rules import ICANS_CRITERIA, grade, grade_icans
from remission.rules.icans import CRITERIA_FILE, load_icans_criteria

ADULT = 34.0
CHILD = 11.9
UNAROUSABLE = "vigorous_stimuli_or_unarousable"


def icans(**kw: Any) -> GradeResult:
    kw.setdefault("age_years", ADULT)
    return grade_icans(ICANSAssessment(**kw))


def adult(**kw: Any) -> int | None:
    kw.setdefault("ice_score", 10)
    return icans(**kw).grade


def child(**kw: Any) -> int | None:
    kw.setdefault("capd_score", 0)
    return icans(age_years=CHILD, **kw).grade


# --- ICE (age >= 12) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ice", "expected"),
    [(10, 0), (9, 1), (8, 1), (7, 1), (6, 2), (5, 2), (3, 2), (2, 3), (1, 3), (0, 3)],
)
def test_ice_bands_in_an_awake_adult(ice: int, expected: int) -> None:
    assert adult(ice_score=ice) == expected


def test_ice_0_in_an_awake_patient_global_aphasia_is_3() -> None:
    r = icans(ice_score=0)
    assert r.grade == 3
    assert r.drivers == ["ICE 0 (0–2) in a patient who is awake → grade 3"]


def test_ice_0_because_unarousable_is_4() -> None:
    r = icans(ice_score=0, consciousness=UNAROUSABLE)
    assert r.grade == 4
    assert "ICE 0, patient unarousable → grade 4" in r.drivers


def test_ice_not_possible_because_unarousable_is_4() -> None:
    assert icans(consciousness=UNAROUSABLE).grade == 4


def test_ice_not_done_in_an_awake_patient_is_not_assessable_never_0() -> None:
    r = icans()
    assert r.grade is None
    assert r.reason is not None and "ICE not done" in r.reason
    assert "ice_score 0" in r.reason  # tells the user what an awake, aphasic patient scores


def test_ice_not_done_but_other_domains_give_3_is_determinate() -> None:
    r = icans(consciousness="awakens_only_to_tactile")
    assert r.grade == 3
    assert any("ICE not done: not needed" in n for n in r.notes)


def test_ice_not_done_with_a_grade_2_finding_reports_at_least_2() -> None:
    r = icans(consciousness="awakens_to_voice")
    assert r.grade is None
    assert r.at_least == 2


def test_ice_items_give_the_total() -> None:
    items = {"orientation": 3, "naming": 3, "commands": 1, "writing": 0, "attention": 0}
    assert adult(ice_score=None, ice_items=items) == 1  # 7 points


def test_the_ice_is_used_from_age_12() -> None:
    assert icans(age_years=12, ice_score=6).grade == 2


def test_the_ice_is_not_used_under_12() -> None:
    r = icans(age_years=CHILD, ice_score=6)
    assert r.grade is None
    assert any("not valid under 12" in n for n in r.notes)


# --- CAPD (age < 12) -----------------------------------------------------------------------------

AWAKE_LEVELS = ["normal", "depressed_awakens_spontaneously", "awakens_to_voice"]


@pytest.mark.parametrize(
    ("capd", "level", "expected"),
    [
        (0, "normal", 0),
        (0, "depressed_awakens_spontaneously", 1),  # the consciousness domain
        (0, "awakens_to_voice", 2),
        (0, "awakens_only_to_tactile", 3),
        (0, UNAROUSABLE, 4),
        (1, "normal", 1),
        (1, "depressed_awakens_spontaneously", 1),
        (1, "awakens_to_voice", 2),
        (1, "awakens_only_to_tactile", 3),
        (1, UNAROUSABLE, 4),
        (8, "normal", 1),
        (8, "depressed_awakens_spontaneously", 1),
        (8, "awakens_to_voice", 2),
        (8, "awakens_only_to_tactile", 3),
        (8, UNAROUSABLE, 4),
        (9, "normal", 3),
        (9, "depressed_awakens_spontaneously", 3),
        (9, "awakens_to_voice", 3),
        (9, "awakens_only_to_tactile", 3),
        (9, UNAROUSABLE, 4),
        (32, "normal", 3),
    ],
)
def test_capd_with_each_consciousness_level_at_11_9(capd: int, level: str, expected: int) -> None:
    assert child(capd_score=capd, consciousness=level) == expected


def test_capd_1_to_8_awakening_to_voice_names_both_in_the_drivers() -> None:
    r = icans(age_years=CHILD, capd_score=5, consciousness="awakens_to_voice")
    assert r.grade == 2
    assert r.drivers[0] == "CAPD 5 (1–8) with the child awakening only to voice or less → grade 2"


def test_capd_0_with_normal_consciousness_is_no_icans() -> None:
    r = icans(age_years=CHILD, capd_score=0)
    assert r.grade == 0
    assert "CAPD 0" in r.drivers[0]


def test_unable_to_perform_capd_because_unarousable_is_4() -> None:
    r = icans(age_years=CHILD, consciousness=UNAROUSABLE)
    assert r.grade == 4
    assert "CAPD not possible, child unarousable → grade 4" in r.drivers


def test_capd_not_done_in_an_awake_child_is_not_assessable() -> None:
    r = icans(age_years=CHILD)
    assert r.grade is None
    assert r.reason is not None and "CAPD not done" in r.reason


def test_capd_items_give_the_total() -> None:
    items = dict.fromkeys(
        (
            "eye_contact",
            "purposeful_actions",
            "aware_of_surroundings",
            "communicates_needs",
            "restless",
            "inconsolable",
            "underactive",
            "slow_to_respond",
        ),
        1,
    )
    assert child(capd_score=None, capd_items=items) == 1  # CAPD 8


@pytest.mark.parametrize(("age", "score_field"), [(11.9, "capd_score"), (12, "ice_score")])
def test_the_path_switches_at_12(age: float, score_field: str) -> None:
    r = icans(age_years=age, **{score_field: 9 if score_field == "capd_score" else 2})
    assert r.grade == 3


def test_capd_at_12_without_an_ice_is_used_with_a_note() -> None:
    r = icans(age_years=12, capd_score=4)
    assert r.grade == 1
    assert any("developmental delay" in n for n in r.notes)


def test_both_tests_at_12_the_ice_decides() -> None:
    r = icans(age_years=12, ice_score=10, capd_score=12)
    assert r.grade == 0
    assert any("ICE score is used" in n for n in r.notes)


# --- depressed level of consciousness ----------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("normal", 0),
        ("depressed_awakens_spontaneously", 1),
        ("awakens_to_voice", 2),
        ("awakens_only_to_tactile", 3),
        (UNAROUSABLE, 4),
    ],
)
def test_consciousness_levels(level: str, expected: int) -> None:
    assert adult(consciousness=level) == expected


def test_consciousness_depressed_by_sedation_is_not_counted() -> None:
    r = icans(ice_score=10, consciousness="awakens_only_to_tactile", consciousness_other_cause=True)
    assert r.grade == 0
    assert any("another cause" in n for n in r.notes)


def test_sedated_patient_without_ice_is_not_assessable() -> None:
    r = icans(consciousness=UNAROUSABLE, consciousness_other_cause=True)
    assert r.grade is None


def test_sedated_patient_with_eeg_seizures_is_graded_by_the_seizure() -> None:
    r = icans(
        consciousness=UNAROUSABLE,
        consciousness_other_cause=True,
        seizure="repetitive_without_return_to_baseline",
    )
    assert r.grade == 4


# --- seizure, motor, raised ICP / edema --------------------------------------------------------


@pytest.mark.parametrize(
    ("seizure", "expected"),
    [
        ("none", 0),
        ("rapidly_resolving_clinical", 3),
        ("nonconvulsive_eeg_resolved_with_intervention", 3),
        ("prolonged_over_5_min", 4),
        ("repetitive_without_return_to_baseline", 4),
    ],
)
def test_seizure_tiers(seizure: str, expected: int) -> None:
    assert adult(seizure=seizure) == expected


def test_deep_focal_motor_weakness_is_4() -> None:
    r = icans(ice_score=10, motor="deep_focal_weakness")
    assert r.grade == 4
    assert "hemiparesis" in r.drivers[0]


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        ("none", 0),
        ("focal_edema", 3),
        ("diffuse_edema", 4),
        ("decerebrate_or_decorticate_posturing", 4),
        ("cn6_palsy", 4),
        ("papilledema", 4),
        ("cushing_triad", 4),
    ],
)
def test_raised_icp_and_edema_tiers(finding: str, expected: int) -> None:
    assert adult(icp_edema=finding) == expected


# --- recorded but never grading ----------------------------------------------------------------


@pytest.mark.parametrize("finding", ["tremor", "myoclonus", "headache"])
def test_tremor_myoclonus_headache_alone_are_grade_0(finding: str) -> None:
    r = icans(ice_score=10, other_findings=[finding])
    assert r.grade == 0
    assert any(n.startswith(finding) and "ICANS" in n for n in r.notes)


def test_intracranial_haemorrhage_alone_is_grade_0() -> None:
    r = icans(ice_score=10, other_findings=["intracranial haemorrhage"])
    assert r.grade == 0
    assert any("not an ICANS feature" in n for n in r.notes)


def test_haemorrhage_with_edema_warns_the_edema_may_be_excluded() -> None:
    r = icans(ice_score=10, icp_edema="focal_edema", other_findings=["ICH"])
    assert r.grade == 3
    assert any("haemorrhage's own edema" in n for n in r.notes)


# --- the worst domain wins -----------------------------------------------------------------------


def test_ice_3_plus_generalized_seizure_is_3() -> None:  # the consensus paper's example
    r = icans(ice_score=3, seizure="rapidly_resolving_clinical")
    assert r.grade == 3
    assert r.drivers == ["clinical seizure that resolved rapidly → grade 3"]


def test_mild_encephalopathy_with_papilledema_is_4() -> None:
    assert adult(ice_score=8, icp_edema="papilledema") == 4


def test_death_due_to_icans_is_5() -> None:
    r = icans(death_due_to_icans=True)
    assert r.grade == 5
    assert r.drivers == ["death due to ICANS → grade 5"]


def test_missing_age_is_a_clear_error() -> None:
    with pytest.raises(GradingInputError) as exc:
        grade(ICANSAssessment(ice_score=7))
    (problem,) = exc.value.problems
    assert problem.field == "age_years"
    assert "ICE" in problem.message and "CAPD" in problem.message


# --- the criteria file -------------------------------------------------------------------------


def test_criteria_file_round_trips() -> None:
    path = Path(__file__).parents[2] / "src/remission/rules/criteria" / CRITERIA_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert ICANS_CRITERIA.model_dump(mode="json") == raw


def test_criteria_state_the_published_thresholds() -> None:
    c = ICANS_CRITERIA
    assert c.ice.min_age_years == 12
    assert [(b.min, b.max, b.grade) for b in c.ice.bands] == [
        (10, 10, 0),
        (7, 9, 1),
        (3, 6, 2),
        (0, 2, 3),
    ]
    assert c.capd.band(9).grade == 3 and c.capd.band(8).grade == 1


def test_a_criteria_file_with_a_gap_in_the_ice_bands_is_refused(tmp_path: Path) -> None:
    data = ICANS_CRITERIA.model_dump(mode="json")
    data["ice"]["bands"][1]["min"] = 8  # ICE 7 uncovered
    bad = tmp_path / "icans.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(VocabularyError, match="without gaps"):
        load_icans_criteria(bad)


# --- properties ----------------------------------------------------------------------------------

assessments = st.builds(
    ICANSAssessment,
    age_years=st.sampled_from([1.0, 5.0, 11.9, 12.0, 40.0, 75.0]),
    ice_score=st.none() | st.integers(0, 10),
    capd_score=st.none() | st.integers(0, 32),
    consciousness=st.sampled_from(CONSCIOUSNESS_LEVELS),
    consciousness_other_cause=st.booleans(),
    seizure=st.sampled_from(SEIZURE_FINDINGS),
    motor=st.sampled_from(["none", "deep_focal_weakness"]),
    icp_edema=st.sampled_from(ICP_EDEMA_FINDINGS),
    other_findings=st.lists(st.sampled_from(["tremor", "myoclonus", "headache", "ich"])),
    death_due_to_icans=st.booleans(),
)


def _worse(order: tuple[str, ...], current: str, data: st.DataObject) -> str:
    i = order.index(current)
    return data.draw(st.sampled_from(order[i:]))


def _by_grade(table: dict[str, int]) -> tuple[str, ...]:
    return tuple(sorted(table, key=table.__getitem__))


@given(assessments)
def test_grade_is_always_none_or_0_to_5(a: ICANSAssessment) -> None:
    r = grade_icans(a)
    assert r.grade is None or 0 <= r.grade <= 5
    assert (r.grade is None) == (r.reason is not None)


@given(assessments, st.data())
def test_worse_findings_never_lower_a_grade(a: ICANSAssessment, data: st.DataObject) -> None:
    worse = a.model_copy(
        update={
            "consciousness": _worse(CONSCIOUSNESS_LEVELS, a.consciousness, data),
            "seizure": _worse(_by_grade(ICANS_CRITERIA.seizure), a.seizure, data),
            "motor": _worse(("none", "deep_focal_weakness"), a.motor, data),
            "icp_edema": _worse(_by_grade(ICANS_CRITERIA.icp_edema), a.icp_edema, data),
            "ice_score": None if a.ice_score is None else data.draw(st.integers(0, a.ice_score)),
            "capd_score": None
            if a.capd_score is None
            else data.draw(st.integers(a.capd_score, 32)),
        }
    )
    before, after = grade_icans(a), grade_icans(worse)
    if before.grade is not None:
        assert after.grade is not None and after.grade >= before.grade
    elif after.grade is None:
        assert (after.at_least or 0) >= (before.at_least or 0)


@given(assessments)
def test_recorded_extras_never_change_the_grade(a: ICANSAssessment) -> None:
    plain = a.model_copy(update={"other_findings": []})
    assert grade_icans(a).grade == grade_icans(plain).grade
