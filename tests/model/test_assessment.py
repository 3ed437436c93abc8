"""The assessment vocabulary: what a bedside CRS/ICANS observation may say, and how bad input is
reported (every problem, located, with the allowed values)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from remission.exceptions import GradingInputError, InputError, Problem
from remission.model.assessment import (
    CRSAssessment,
    GradeResult,
    ICANSAssessment,
    ToxicityAssessment,
    normalize_vasopressor,
    parse_assessment,
    parse_assessments,
)
from remission.rules import grade_many


def problems(items: Any, where: str = "<stdin>") -> list[Problem]:
    with pytest.raises(GradingInputError) as exc:
        parse_assessments(items, where=where)
    return exc.value.problems


def one_problem(item: dict[str, Any]) -> Problem:
    (p,) = problems([item])
    return p


# --- vocabulary ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Noradrenaline", "norepinephrine"),
        ("norepinephrine", "norepinephrine"),
        ("Levophed", "norepinephrine"),
        ("adrenaline", "epinephrine"),
        ("Neo-Synephrine", "phenylephrine"),
        ("AVP", "vasopressin"),
        ("Angiotensin II", "angiotensin_ii"),
        ("dobutamine", "dobutamine"),
    ],
)
def test_vasopressor_synonyms(written: str, canonical: str) -> None:
    assert normalize_vasopressor(written) == canonical


def test_unknown_vasopressor_lists_the_known_agents() -> None:
    p = one_problem({"syndrome": "crs", "vasopressors": ["norepinephrine", "terlipressin"]})
    assert p.field == "[0].vasopressors[1]"
    assert "unknown vasopressor 'terlipressin'" in p.message
    for agent in ("norepinephrine", "epinephrine", "phenylephrine", "dopamine", "vasopressin"):
        assert agent in p.message


def test_vasopressor_names_are_merged_to_one_agent() -> None:
    a = CRSAssessment(vasopressors=["noradrenaline", "Norepinephrine", "vasopressin"])
    assert a.vasopressors == ["norepinephrine", "vasopressin"]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("HFNC", "high_flow_nasal_cannula"),
        ("room air", "none"),
        ("NRB", "non_rebreather"),
        ("face mask", "simple_facemask"),
        ("BiPAP", "bipap"),
        ("intubated", "invasive_mechanical_ventilation"),
        ("blow-by", "blow_by"),
    ],
)
def test_oxygen_device_synonyms(written: str, canonical: str) -> None:
    assert CRSAssessment(oxygen={"device": written}).oxygen.device == canonical


def test_unknown_device_names_the_field_and_the_allowed_values() -> None:
    p = problems(
        [
            {"syndrome": "crs"},
            {"syndrome": "crs"},
            {"syndrome": "crs", "oxygen": {"device": "nasal prong"}},
        ]
    )
    assert len(p) == 1
    assert p[0].field == "[2].oxygen.device"
    assert "allowed values: none, nasal_cannula" in p[0].message
    assert p[0].where == "<stdin>"


def test_other_findings_are_normalised() -> None:
    a = ICANSAssessment(age_years=30, other_findings=["Tremor", "ICH", "word-finding difficulty"])
    assert a.other_findings == ["tremor", "intracranial_hemorrhage", "word_finding_difficulty"]


@pytest.mark.parametrize(
    ("finding", "field"),
    [
        ("generalised seizure", "seizure"),
        ("cerebral oedema", "icp_edema"),
        ("hemiparesis", "motor"),
        ("coma", "consciousness"),
        ("CN VI palsy", "icp_edema"),
        ("status epilepticus", "seizure"),
    ],
)
def test_a_grading_finding_in_other_findings_is_sent_to_its_field(finding: str, field: str) -> None:
    p = one_problem({"syndrome": "icans", "age_years": 40, "other_findings": [finding]})
    assert p.field == "[0].other_findings[0]"
    assert f"record it in '{field}'" in p.message


@pytest.mark.parametrize("finding", ["glaucoma", "angioedema", "word-finding difficulty"])
def test_words_that_only_contain_a_domain_term_are_kept(finding: str) -> None:
    assert ICANSAssessment(age_years=30, other_findings=[finding]).other_findings


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [24.9, 45.1, -3])
def test_implausible_temperature_is_refused(t: float) -> None:
    p = one_problem({"syndrome": "crs", "temperature_c": t})
    assert p.field == "[0].temperature_c"
    assert "plausible range 25-45" in p.message


def test_fahrenheit_is_recognised() -> None:
    p = one_problem({"syndrome": "crs", "temperature_c": 101.3})
    assert "looks like deg F" in p.message and "38.5 C" in p.message


@pytest.mark.parametrize("t", [float("nan"), True])
def test_temperature_must_be_a_finite_number(t: Any) -> None:
    assert one_problem({"syndrome": "crs", "temperature_c": t}).field == "[0].temperature_c"


def test_negative_flow_is_refused() -> None:
    p = one_problem({"syndrome": "crs", "oxygen": {"device": "nasal_cannula", "flow_l_min": -1}})
    assert p.field == "[0].oxygen.flow_l_min"


def test_flow_without_a_device_is_refused() -> None:
    p = one_problem({"syndrome": "crs", "oxygen": {"flow_l_min": 4}})
    assert p.field == "[0].oxygen.flow_l_min" and "name the device" in p.message


def test_fluids_only_contradicts_vasopressors() -> None:
    p = one_problem({"syndrome": "crs", "fluids_only": True, "vasopressors": ["epinephrine"]})
    assert "fluids_only" in p.message


def test_organ_toxicity_needs_a_ctcae_grade() -> None:
    p = one_problem({"syndrome": "crs", "organ_toxicity_ctcae": {"creatinine": 7}})
    assert p.field == "[0].organ_toxicity_ctcae.creatinine"


@pytest.mark.parametrize(
    ("field", "value"), [("ice_score", 11), ("ice_score", -1), ("capd_score", 33)]
)
def test_scores_out_of_range_are_refused(field: str, value: int) -> None:
    p = one_problem({"syndrome": "icans", "age_years": 30, field: value})
    assert p.field == f"[0].{field}"


def test_ice_items_add_up_and_must_agree_with_the_score() -> None:
    items = {"orientation": 4, "naming": 3, "commands": 1, "writing": 1, "attention": 0}
    assert ICANSAssessment(age_years=30, ice_items=items).ice_total == 9
    assert ICANSAssessment(age_years=30, ice_score=9, ice_items=items).ice_total == 9
    p = one_problem({"syndrome": "icans", "age_years": 30, "ice_score": 6, "ice_items": items})
    assert p.field == "[0].ice_items" and "add up to 9" in p.message


def test_ice_item_beyond_its_points_is_refused() -> None:
    items = {"orientation": 5, "naming": 3, "commands": 1, "writing": 1, "attention": 0}
    assert (
        one_problem({"syndrome": "icans", "ice_items": items}).field == "[0].ice_items.orientation"
    )


def test_capd_items_add_up_and_must_agree_with_the_score() -> None:
    items = dict.fromkeys(
        [
            "eye_contact",
            "purposeful_actions",
            "aware_of_surroundings",
            "communicates_needs",
            "restless",
            "inconsolable",
            "underactive",
            "slow_to_respond",
        ],
        2,
    )
    assert ICANSAssessment(age_years=6, capd_items=items).capd_total == 16
    p = one_problem({"syndrome": "icans", "age_years": 6, "capd_score": 3, "capd_items": items})
    assert "add up to 16" in p.message


def test_missing_age_is_reported_when_grading() -> None:
    with pytest.raises(GradingInputError) as exc:
        grade_many(
            [{"syndrome": "crs", "temperature_c": 38.2}, {"syndrome": "icans", "ice_score": 8}]
        )
    (p,) = exc.value.problems
    assert p.field == "[1].age_years"
    assert "ICE" in p.message and "CAPD" in p.message


# --- structure -----------------------------------------------------------------------------------


def test_unknown_field_suggests_the_closest_known_one() -> None:
    p = one_problem({"syndrome": "crs", "temprature_c": 38.4})
    assert p.field == "[0].temprature_c"
    assert "did you mean 'temperature_c'?" in p.message


def test_unknown_nested_field_suggests_the_closest_known_one() -> None:
    p = one_problem({"syndrome": "crs", "oxygen": {"device": "nasal_cannula", "flow": 3}})
    assert p.field == "[0].oxygen.flow"
    assert "did you mean 'flow_l_min'?" in p.message


def test_missing_or_unknown_syndrome() -> None:
    assert "allowed values: crs, icans" in one_problem({"temperature_c": 38.4}).message
    p = one_problem({"syndrome": "cr"})
    assert p.field == "[0].syndrome" and "did you mean 'crs'?" in p.message


def test_syndrome_is_read_without_case() -> None:
    assert isinstance(parse_assessment({"syndrome": "ICANS", "age_years": 9}), ICANSAssessment)


def test_every_problem_of_every_item_is_reported_with_its_label() -> None:
    found = problems(
        [
            {"syndrome": "crs", "temperature_c": 50},
            "not an object",
            {"syndrome": "icans", "ice_score": 11, "consciousness": "drowsy"},
        ],
        where="day3.json",
    )
    assert [p.field for p in found] == [
        "[0].temperature_c",
        "[1]",
        "[2].ice_score",
        "[2].consciousness",
    ]
    assert all(p.where == "day3.json" for p in found)
    assert "allowed values: normal, depressed_awakens_spontaneously" in found[3].message
    assert isinstance(GradingInputError(found), InputError)


def test_not_a_list_is_refused() -> None:
    (p,) = problems({"syndrome": "crs"})
    assert "wrap a single assessment in [ ]" in p.message


def test_assessments_are_frozen_and_closed() -> None:
    a = CRSAssessment(temperature_c=38.1)
    with pytest.raises(ValidationError):
        a.temperature_c = 39.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        CRSAssessment(fio2=0.4)  # type: ignore[call-arg]


def test_the_union_is_discriminated_by_syndrome() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(list[ToxicityAssessment])
    crs, icans = adapter.validate_python(
        [{"syndrome": "crs"}, {"syndrome": "icans", "age_years": 4}]
    )
    assert isinstance(crs, CRSAssessment) and isinstance(icans, ICANSAssessment)


def test_assessments_round_trip_through_json() -> None:
    a = ICANSAssessment(
        age_years=8, capd_score=10, seizure="prolonged_over_5_min", other_findings=["tremor"]
    )
    assert ICANSAssessment.model_validate_json(a.model_dump_json()) == a
    c = CRSAssessment(temperature_c=39, vasopressors=["epinephrine"], oxygen={"device": "cpap"})
    assert parse_assessment(c.model_dump(mode="json")) == c


def test_grade_result_none_needs_a_reason() -> None:
    with pytest.raises(ValidationError):
        GradeResult(syndrome="crs", grade=None)
    with pytest.raises(ValidationError):
        GradeResult(syndrome="crs", grade=2, reason="why")
    assert (
        GradeResult(syndrome="icans", grade=None, reason="ICE not done", at_least=2).at_least == 2
    )


# --- the parser never crashes --------------------------------------------------------------------

FIELDS = [
    *CRSAssessment.model_fields,
    *ICANSAssessment.model_fields,
    "device",
    "flow_l_min",
    "orientation",
    "x",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-50, 50) | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3)
    ),
    max_leaves=12,
)
junk_items = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"syndrome": st.sampled_from(["crs", "icans", "CRS", "cr", 3])},
        optional={name: json_values for name in FIELDS if name != "syndrome"},
    ),
)


def _located(p: Problem, n: int, where: str) -> bool:
    return (
        p.where == where
        and p.field is not None
        and any(p.field.startswith(f"[{i}]") for i in range(n))
    )


@settings(max_examples=300)
@given(st.lists(junk_items, max_size=4))
def test_junk_never_crashes_it_validates_or_is_located(items: list[Any]) -> None:
    try:
        parsed = parse_assessments(items, where="junk.json")
    except GradingInputError as exc:
        assert exc.problems
        assert all(_located(p, len(items), "junk.json") for p in exc.problems)
    else:
        assert len(parsed) == len(items)


@settings(max_examples=300)
@given(st.lists(junk_items, max_size=4))
def test_grading_junk_never_crashes(items: list[Any]) -> None:
    try:
        results = grade_many(items, where="junk.json")
    except GradingInputError as exc:
        assert all(_located(p, len(items), "junk.json") for p in exc.problems)
    else:
        assert all(r.grade is None or 0 <= r.grade <= 5 for r in results)
