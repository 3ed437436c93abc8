"""CRS grading, written from the ASTCT 2019 CRS grading table and footnotes (Lee, Santomasso et
al., Biol Blood Marrow Transplant 2019;25:625-638; digest in clinical-criteria.md sections 0 and
1.1). Each test reads as the clinical rule it checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.exceptions import VocabularyError
from remission.model.assessment import CRSAssessment, GradeResult
from remission.rules import CRS_CRITERIA, grade, grade_crs
from remission.rules.crs import CRITERIA_FILE, hypoxia_tier, load_crs_criteria

FEVER = 38.6


def crs(**kw: Any) -> GradeResult:
    return grade_crs(CRSAssessment(**kw))


def febrile(**kw: Any) -> GradeResult:
    return crs(temperature_c=FEVER, **kw)


def o2(device: str, flow: float | None = None) -> dict[str, Any]:
    return {"device": device, "flow_l_min": flow}


# --- fever: the entry criterion ----------------------------------------------------------------


def test_fever_of_38_0_alone_is_grade_1() -> None:
    r = crs(temperature_c=38.0)
    assert r.grade == 1
    assert r.drivers == [
        "fever 38.0 °C (≥ 38.0 °C), no other cause, no hypotension or hypoxia → grade 1"
    ]
    assert r.scale == "ASTCT 2019"


def test_37_9_is_not_fever_so_not_crs() -> None:
    r = crs(temperature_c=37.9)
    assert r.grade == 0
    assert "below 38.0 °C" in r.drivers[0]


def test_no_rounding_37_95_is_below_threshold() -> None:
    assert crs(temperature_c=37.95).grade == 0


def test_fever_attributed_to_infection_is_not_crs() -> None:
    r = crs(temperature_c=39.4, fever_other_cause=True)
    assert r.grade == 0
    assert "another cause" in r.drivers[0]


def test_fever_from_infection_with_hypotension_is_still_not_crs() -> None:
    r = crs(temperature_c=39.4, fever_other_cause=True, vasopressors=["norepinephrine"])
    assert r.grade == 0
    assert any("not CRS by the ASTCT definition" in n for n in r.notes)


def test_hypotension_and_hypoxia_without_fever_is_grade_0_with_the_reason() -> None:
    r = crs(temperature_c=37.2, hypotension=True, oxygen=o2("non_rebreather"))
    assert r.grade == 0
    assert r.reason is None
    note = r.notes[0]
    assert "without a qualifying fever" in note and "fever_masked_after_crs" in note


def test_no_temperature_recorded_is_not_assessable_never_0() -> None:
    r = crs()
    assert r.grade is None
    assert r.reason is not None and "no temperature recorded" in r.reason


def test_no_temperature_with_findings_says_what_fever_would_make_it() -> None:
    r = crs(oxygen=o2("bipap"))
    assert r.grade is None
    assert r.reason is not None and "would give grade 4" in r.reason
    assert r.at_least is None  # without a fever it is not CRS at all


def test_no_temperature_but_fever_attributed_elsewhere_is_assessable_0() -> None:
    assert crs(fever_other_cause=True, hypotension=True).grade == 0


# --- the masking rule --------------------------------------------------------------------------


def test_after_tocilizumab_fever_is_not_required_hypotension_grades() -> None:
    r = crs(temperature_c=36.9, fever_masked_after_crs=True, vasopressors=["norepinephrine"])
    assert r.grade == 3
    assert any("fever not required" in n for n in r.notes)


def test_masking_without_temperature_recorded_still_grades() -> None:
    assert crs(fever_masked_after_crs=True, oxygen=o2("high_flow_nasal_cannula", 30)).grade == 3


def test_masked_crs_with_no_hypotension_or_hypoxia_is_grade_1() -> None:
    r = crs(temperature_c=37.0, fever_masked_after_crs=True)
    assert r.grade == 1
    assert "fever masked" in r.drivers[0]


def test_masking_overrides_a_fever_attributed_elsewhere() -> None:
    r = crs(fever_masked_after_crs=True, fever_other_cause=True, hypotension=True)
    assert r.grade == 2


# --- hypotension tier ----------------------------------------------------------------------------


def test_hypotension_not_requiring_vasopressors_is_grade_2() -> None:
    assert febrile(hypotension=True).grade == 2


def test_hypotension_managed_with_fluids_only_is_grade_2() -> None:
    r = febrile(fluids_only=True)
    assert r.grade == 2
    assert "fluids only" in r.drivers[0]


def test_one_vasopressor_is_grade_3() -> None:
    r = febrile(hypotension=True, vasopressors=["norepinephrine"])
    assert r.grade == 3
    assert r.drivers == ["one vasopressor (norepinephrine) → grade 3"]


def test_vasopressin_plus_norepinephrine_is_one_vasopressor_grade_3() -> None:
    r = febrile(vasopressors=["norepinephrine", "vasopressin"])
    assert r.grade == 3
    assert any("vasopressin" in n and "never counts" in n for n in r.notes)


def test_vasopressin_alone_is_one_vasopressor_grade_3() -> None:
    assert febrile(vasopressors=["vasopressin"]).grade == 3


def test_norepinephrine_plus_phenylephrine_is_multiple_grade_4() -> None:
    r = febrile(vasopressors=["norepinephrine", "phenylephrine"])
    assert r.grade == 4
    assert "multiple vasopressors" in r.drivers[0]


def test_two_vasopressors_plus_vasopressin_is_grade_4() -> None:
    assert febrile(vasopressors=["epinephrine", "dopamine", "vasopressin"]).grade == 4


def test_the_same_agent_under_two_names_is_one_vasopressor() -> None:
    assert febrile(vasopressors=["noradrenaline", "norepinephrine"]).grade == 3


def test_dose_does_not_matter_any_single_agent_is_3() -> None:
    for agent in ("norepinephrine", "epinephrine", "phenylephrine", "dopamine", "angiotensin_ii"):
        assert febrile(vasopressors=[agent]).grade == 3


def test_dobutamine_is_an_inotrope_not_counted() -> None:
    r = febrile(hypotension=True, vasopressors=["dobutamine"])
    assert r.grade == 2
    assert any("inotrope" in n for n in r.notes)
    assert febrile(vasopressors=["dobutamine", "norepinephrine"]).grade == 3


# --- hypoxia tier --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("device", "flow", "expected"),
    [
        ("nasal_cannula", 1, 2),
        ("nasal_cannula", 6, 2),
        ("nasal_cannula", 6.1, 3),
        ("nasal_cannula", 8, 3),
        ("nasal_cannula", None, 2),
        ("blow_by", None, 2),
        ("blow_by", 10, 2),
        ("high_flow_nasal_cannula", None, 3),
        ("high_flow_nasal_cannula", 40, 3),
        ("high_flow_nasal_cannula", 6.1, 3),
        ("high_flow_nasal_cannula", 6, 2),
        ("simple_facemask", None, 3),
        ("non_rebreather", 15, 3),
        ("venturi_mask", None, 3),
        ("cpap", None, 4),
        ("bipap", None, 4),
        ("invasive_mechanical_ventilation", None, 4),
        ("none", None, 1),
    ],
)
def test_oxygen_device_and_flow_set_the_hypoxia_tier(
    device: str, flow: float | None, expected: int
) -> None:
    assert febrile(oxygen=o2(device, flow)).grade == expected


def test_6_l_min_is_low_flow_6_1_is_high_flow() -> None:
    low = febrile(oxygen=o2("nasal_cannula", 6))
    high = febrile(oxygen=o2("nasal_cannula", 6.1))
    assert (low.grade, high.grade) == (2, 3)
    assert "≤ 6 L/min: low-flow" in low.drivers[0]
    assert high.drivers == ["nasal cannula at 6.1 L/min (> 6 L/min: high-flow) → grade 3"]


def test_nasal_cannula_without_flow_is_taken_as_low_flow_with_a_note() -> None:
    r = febrile(oxygen=o2("nasal_cannula"))
    assert r.grade == 2
    assert any("taken as low-flow" in n for n in r.notes)


def test_high_flow_device_at_low_flow_is_low_flow_by_definition() -> None:
    r = febrile(oxygen=o2("high_flow_nasal_cannula", 4))
    assert r.grade == 2
    assert any("the flow decides" in n for n in r.notes)


def test_nasal_cannula_at_zero_flow_gives_no_oxygen_tier() -> None:
    assert febrile(oxygen=o2("nasal_cannula", 0)).grade == 1


# --- the worse tier wins -------------------------------------------------------------------------


def test_one_vasopressor_plus_low_flow_is_3() -> None:
    r = febrile(vasopressors=["norepinephrine"], oxygen=o2("nasal_cannula", 2))
    assert r.grade == 3
    assert r.drivers == ["one vasopressor (norepinephrine) → grade 3"]
    assert any("not the worse tier" in n and "nasal cannula" in n for n in r.notes)


def test_fluids_plus_bipap_is_4() -> None:
    r = febrile(fluids_only=True, oxygen=o2("bipap"))
    assert r.grade == 4
    assert r.drivers == ["BiPAP (positive pressure) → grade 4"]


def test_equal_tiers_are_both_drivers() -> None:
    r = febrile(vasopressors=["phenylephrine"], oxygen=o2("simple_facemask"))
    assert r.grade == 3
    assert len(r.drivers) == 2


# --- organ toxicity and death ------------------------------------------------------------------


@pytest.mark.parametrize("organs", [{"transaminase increased": 4}, {"creatinine": 3, "ast": 4}])
def test_organ_toxicity_never_changes_the_crs_grade(organs: dict[str, int]) -> None:
    base = febrile(oxygen=o2("nasal_cannula", 2))
    with_organs = febrile(oxygen=o2("nasal_cannula", 2), organ_toxicity_ctcae=organs)
    assert with_organs.grade == base.grade == 2
    assert sum("organ toxicity recorded" in n for n in with_organs.notes) == len(organs)


def test_death_due_to_crs_is_5() -> None:
    r = crs(death_due_to_crs=True)
    assert r.grade == 5
    assert r.drivers == ["death due to CRS → grade 5"]


def test_grade_dispatches_on_the_syndrome() -> None:
    assert grade(CRSAssessment(temperature_c=39)).syndrome == "crs"


# --- the criteria file -------------------------------------------------------------------------


def test_criteria_state_the_published_thresholds() -> None:
    c = CRS_CRITERIA
    assert c.fever.threshold_c == 38.0
    assert c.hypoxia.low_flow_max_l_min == 6.0
    assert c.hypotension.agents["vasopressin"] == "not_counted_toward_multiple"
    assert "Biol Blood Marrow Transplant 2019" in c.source


def test_criteria_file_round_trips() -> None:
    path = Path(__file__).parents[2] / "src/remission/rules/criteria" / CRITERIA_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert CRS_CRITERIA.model_dump(mode="json") == raw


def test_a_criteria_file_missing_a_device_is_refused(tmp_path: Path) -> None:
    data = CRS_CRITERIA.model_dump(mode="json")
    del data["hypoxia"]["devices"]["bipap"]
    bad = tmp_path / "crs.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(VocabularyError, match="devices must give a tier"):
        load_crs_criteria(bad)


# --- properties ----------------------------------------------------------------------------------

LADDER = [
    "none",
    "blow_by",
    "nasal_cannula",
    "high_flow_nasal_cannula",
    "simple_facemask",
    "non_rebreather",
    "venturi_mask",
    "cpap",
    "bipap",
    "invasive_mechanical_ventilation",
]
AGENTS = list(CRS_CRITERIA.hypotension.agents)

flows = st.none() | st.floats(min_value=0, max_value=60, allow_nan=False)
assessments = st.builds(
    CRSAssessment,
    temperature_c=st.none() | st.floats(min_value=35, max_value=42, allow_nan=False),
    fever_other_cause=st.booleans(),
    fever_masked_after_crs=st.booleans(),
    hypotension=st.booleans(),
    vasopressors=st.lists(st.sampled_from(AGENTS), max_size=4),
    oxygen=st.builds(
        lambda d, f: {"device": d, "flow_l_min": None if d == "none" else f},
        st.sampled_from(LADDER),
        flows,
    ),
    organ_toxicity_ctcae=st.dictionaries(st.sampled_from(["ast", "creatinine"]), st.integers(1, 5)),
    death_due_to_crs=st.booleans(),
)
crs_with_fever = assessments.map(
    lambda a: a.model_copy(update={"temperature_c": 38.5, "fever_other_cause": False})
)


@given(assessments)
def test_grade_is_always_none_or_0_to_5(a: CRSAssessment) -> None:
    r = grade_crs(a)
    assert r.grade is None or 0 <= r.grade <= 5
    assert (r.grade is None) == (r.reason is not None)


@given(crs_with_fever, st.sampled_from(AGENTS))
def test_adding_a_vasopressor_never_lowers_the_grade(a: CRSAssessment, agent: str) -> None:
    more = a.model_copy(update={"vasopressors": [*a.vasopressors, agent]})
    before, after = grade_crs(a).grade, grade_crs(more).grade
    assert before is not None and after is not None and after >= before


@given(crs_with_fever, st.integers(0, len(LADDER) - 1), st.integers(0, len(LADDER) - 1), flows)
def test_escalating_the_oxygen_device_never_lowers_the_grade(
    a: CRSAssessment, i: int, j: int, flow: float | None
) -> None:
    lo, hi = sorted((i, j))

    def on(k: int) -> CRSAssessment:
        f = None if LADDER[k] == "none" else flow
        return a.model_copy(
            update={"oxygen": a.oxygen.model_copy(update={"device": LADDER[k], "flow_l_min": f})}
        )

    assert grade_crs(on(hi)).grade >= grade_crs(on(lo)).grade  # type: ignore[operator]


@given(st.sampled_from(LADDER[1:]), flows, flows)
def test_more_flow_never_lowers_the_hypoxia_tier(
    device: str, f1: float | None, f2: float | None
) -> None:
    if f1 is None or f2 is None:
        return
    lo, hi = sorted((f1, f2))
    assert hypoxia_tier(device, hi)[0] >= hypoxia_tier(device, lo)[0]


@given(crs_with_fever)
def test_hypotension_then_fluids_then_pressors_never_lowers(a: CRSAssessment) -> None:
    steps = [
        a.model_copy(update={"hypotension": False, "fluids_only": False, "vasopressors": []}),
        a.model_copy(update={"hypotension": True, "fluids_only": False, "vasopressors": []}),
        a.model_copy(update={"hypotension": True, "vasopressors": ["norepinephrine"]}),
        a.model_copy(
            update={"hypotension": True, "vasopressors": ["norepinephrine", "epinephrine"]}
        ),
    ]
    grades = [grade_crs(s).grade for s in steps]
    assert grades == sorted(grades)  # type: ignore[type-var]


@given(assessments)
@settings(max_examples=50)
def test_organ_toxicity_never_changes_the_grade_property(a: CRSAssessment) -> None:
    without = a.model_copy(update={"organ_toxicity_ctcae": {}})
    assert grade_crs(a).grade == grade_crs(without).grade
