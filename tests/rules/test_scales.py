"""Stated grades in other scales and their ASTCT 2019 equivalent, written from the scale
definitions and the regrading table of clinical-criteria.md sections 2.2-2.4 (Lee 2014, Penn,
CARTOX/CRES, MSKCC, CTCAE v4.03 and v5.0; Pennisi et al., Blood Adv 2020)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from remission.model.assessment import CRSAssessment
from remission.rules import StatedGrade, Translation, grade_crs, to_astct
from remission.rules.scales import CRITERIA_FILE, SCALE_CRITERIA, scales_for


def crs(scale: str, grade: int, **facts: Any) -> Translation:
    return to_astct(StatedGrade(syndrome="crs", scale=scale, grade=grade, facts=facts or None))


def neuro(scale: str, grade: int, **facts: Any) -> Translation:
    return to_astct(StatedGrade(syndrome="icans", scale=scale, grade=grade, facts=facts or None))


NO_O2 = {"oxygen_device": "none"}


# --- the trivial ends and the identity ---------------------------------------------------------


@pytest.mark.parametrize("scale", scales_for("crs"))
@pytest.mark.parametrize("grade", [0, 5])
def test_absent_and_death_translate_in_every_crs_scale(scale: str, grade: int) -> None:
    t = crs(scale, grade)
    assert (t.grade, t.determinate, t.possible) == (grade, True, (grade,))


@pytest.mark.parametrize("scale", scales_for("icans"))
@pytest.mark.parametrize("grade", [0, 5])
def test_absent_and_death_translate_in_every_neuro_scale(scale: str, grade: int) -> None:
    assert neuro(scale, grade).grade == grade


@pytest.mark.parametrize("grade", [1, 2, 3, 4])
def test_an_astct_grade_is_kept_as_stated(grade: int) -> None:
    t = crs("ASTCT 2019", grade, vasopressor_count=3)
    assert (t.grade, t.determinate) == (grade, True)


# --- the regrading table, row by row (clinical-criteria.md section 2.4) ------------------------


@pytest.mark.parametrize("scale", ["Lee 2014", "CARTOX"])
def test_lee_or_cartox_2_via_one_low_dose_vasopressor_is_astct_3(scale: str) -> None:
    t = crs(scale, 2, vasopressor_count=1, high_dose_vasopressor=False)
    assert t.grade == 3
    assert "ASTCT 2019 grade 3" in t.reason


@pytest.mark.parametrize("scale", ["Lee 2014", "CARTOX"])
def test_lee_or_cartox_3_via_fio2_40_on_nasal_cannula_6_l_is_astct_2(scale: str) -> None:
    t = crs(
        scale,
        3,
        vasopressor_count=0,
        oxygen_device="nasal_cannula",
        oxygen_flow_l_min=6,
        fio2=0.44,
    )
    assert t.grade == 2
    assert "not FiO2" in t.reason


@pytest.mark.parametrize(("scale", "grade"), [("Lee 2014", 3), ("CARTOX", 4), ("Penn", 3)])
def test_grade_driven_by_organ_toxicity_alone_is_astct_1(scale: str, grade: int) -> None:
    t = crs(scale, grade, organ_toxicity_only=True)
    assert t.grade == 1
    assert "organ toxicity" in t.reason


def test_penn_2_hospitalised_without_hypotension_or_hypoxia_is_astct_1() -> None:
    assert crs("Penn", 2).grade == 1


@pytest.mark.parametrize(("flow", "expected"), [(4, 2), (6, 2), (8, 3)])
def test_penn_3_with_nasal_cannula_only(flow: float, expected: int) -> None:
    t = crs("Penn", 3, vasopressor_count=0, oxygen_device="nasal_cannula", oxygen_flow_l_min=flow)
    assert t.grade == expected


@pytest.mark.parametrize("device", ["cpap", "bipap"])
def test_penn_3_with_cpap_or_bipap_is_astct_4(device: str) -> None:
    assert crs("Penn", 3, oxygen_device=device).grade == 4


def test_penn_3_with_low_dose_pressors_is_3_or_4_by_the_count() -> None:
    assert crs("Penn", 3, vasopressor_count=1, **NO_O2).grade == 3
    assert crs("Penn", 3, vasopressor_agents=["norepinephrine", "vasopressin"], **NO_O2).grade == 3
    assert crs("Penn", 3, vasopressor_count=2).grade == 4
    assert crs("Penn", 3, vasopressor_agents=["norepinephrine", "phenylephrine"]).grade == 4


def test_penn_3_with_one_pressor_but_no_oxygen_facts_is_indeterminate() -> None:
    t = crs("Penn", 3, vasopressor_count=1)
    assert (t.grade, t.determinate, t.possible) == (None, False, (3, 4))
    assert "oxygen support" in t.reason  # Penn 3 includes CPAP/BiPAP, which is ASTCT 4


def test_penn_4_with_mechanical_ventilation_is_astct_4() -> None:
    assert crs("Penn", 4, mechanical_ventilation=True).grade == 4


def test_penn_4_with_a_single_high_dose_pressor_only_is_astct_3() -> None:
    t = crs("Penn", 4, vasopressor_count=1, high_dose_vasopressor=True, **NO_O2)
    assert t.grade == 3
    assert "ignores dose" in t.reason


@pytest.mark.parametrize(("count", "expected"), [(1, 3), (2, 4)])
def test_mskcc_3_pressor_over_24_h_depends_on_the_number(count: int, expected: int) -> None:
    assert crs("MSKCC", 3, vasopressor_count=count, **NO_O2).grade == expected


def test_ctcae_4_03_grade_3_is_indeterminate_without_details() -> None:
    t = crs("CTCAE v4.03", 3)
    assert not t.determinate and t.grade is None
    assert t.possible == (1, 2, 3)


def test_ctcae_4_03_grade_3_with_details_translates() -> None:
    t = crs("CTCAE 4.03", 3, hypotension=False, oxygen_device="nasal_cannula", oxygen_flow_l_min=2)
    assert t.grade == 2


def test_cartox10_score_is_not_converted_to_ice() -> None:
    t = neuro("CRES", 1, cartox10_score=8)
    assert not t.determinate
    assert "not the ICE" in t.reason


def test_cres_3_with_papilledema_is_icans_4() -> None:  # ICANS makes any papilledema grade 4
    assert neuro("CRES", 3, icp_edema="papilledema").grade == 4


def test_neuro_grade_translates_when_every_domain_is_stated() -> None:
    t = neuro(
        "CTCAE v4.03",
        3,
        ice_score=5,
        consciousness="normal",
        seizure="none",
        motor="none",
        icp_edema="none",
    )
    assert t.grade == 2


def test_ctcae_tremor_grade_may_be_no_icans_at_all() -> None:
    t = neuro("CTCAE v5.0", 2)
    assert t.possible == (0, 1, 2, 3, 4)


# --- more rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scale", ["Lee 2014", "Penn", "CARTOX", "MSKCC", "CTCAE v4.03", "CTCAE v5.0"]
)
def test_grade_1_in_every_old_scale_is_astct_1(scale: str) -> None:
    assert crs(scale, 1).grade == 1


def test_facts_beyond_what_the_stated_grade_allows_are_flagged() -> None:
    t = crs("Lee 2014", 2, vasopressor_count=2)
    assert not t.determinate
    assert "check the source" in t.reason
    assert t.possible == (4,)


def test_a_stated_absence_of_fever_means_ast_ct_may_call_it_no_crs() -> None:
    t = crs("Penn", 2, fever=False)
    assert not t.determinate
    assert t.possible[0] == 0


def test_fio2_alone_does_not_determine_the_astct_tier() -> None:
    t = crs("Lee 2014", 3, vasopressor_count=0, fio2=0.5)
    assert not t.determinate
    assert "oxygen support" in t.reason


def test_unstated_scale_translates_only_from_facts() -> None:
    assert crs("unspecified", 2, vasopressor_count=1, **NO_O2).grade == 3
    assert not crs("unspecified", 2).determinate


# --- stated grades: vocabulary and validation --------------------------------------------------


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Lee", "Lee 2014"),
        ("NCI 2014", "Lee 2014"),
        ("UPenn", "Penn"),
        ("CHOP", "Penn"),
        ("CTCAE 4.03", "CTCAE v4.03"),
        ("CTCAE v5", "CTCAE v5.0"),
        ("ASTCT", "ASTCT 2019"),
    ],
)
def test_scale_synonyms_are_kept_as_one_term(written: str, canonical: str) -> None:
    assert StatedGrade(syndrome="crs", scale=written, grade=2).scale == canonical


def test_a_crs_only_scale_cannot_grade_icans() -> None:
    with pytest.raises(ValidationError, match="does not grade ICANS"):
        StatedGrade(syndrome="icans", scale="Penn", grade=2)


def test_a_gvhd_scale_cannot_grade_crs() -> None:
    with pytest.raises(ValidationError, match="does not grade CRS"):
        StatedGrade(syndrome="crs", scale="MAGIC", grade=2)


def test_contradictory_facts_are_refused() -> None:
    with pytest.raises(ValidationError, match="hypotension is false"):
        StatedGrade(
            syndrome="crs",
            scale="Lee",
            grade=2,
            facts={"hypotension": False, "vasopressor_count": 1},
        )
    with pytest.raises(ValidationError, match="organ_toxicity_only"):
        StatedGrade(
            syndrome="crs",
            scale="Lee",
            grade=3,
            facts={"organ_toxicity_only": True, "oxygen_device": "cpap"},
        )


def test_neuro_facts_with_a_crs_grade_are_refused() -> None:
    with pytest.raises(ValidationError):
        StatedGrade(syndrome="crs", scale="Lee", grade=2, facts={"ice_score": 4})


def test_stated_grade_is_kept_exactly() -> None:
    s = StatedGrade(syndrome="crs", scale="Penn", grade=3, facts={"vasopressor_count": 1})
    assert (s.scale, s.grade) == ("Penn", 3)
    assert StatedGrade.model_validate(s.model_dump()) == s


def test_scales_file_round_trips() -> None:
    path = Path(__file__).parents[2] / "src/remission/rules/criteria" / CRITERIA_FILE
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert SCALE_CRITERIA.model_dump() == raw


# --- properties ----------------------------------------------------------------------------------

AGENTS = ["norepinephrine", "epinephrine", "phenylephrine", "dopamine", "vasopressin"]
DEVICES = ["none", "nasal_cannula", "blow_by", "high_flow_nasal_cannula", "non_rebreather", "bipap"]


@given(
    st.integers(1, 4),
    st.lists(st.sampled_from(AGENTS), max_size=3, unique=True),
    st.sampled_from(DEVICES),
    st.none() | st.floats(0.5, 40),
)
def test_full_facts_translate_to_what_grading_the_same_findings_gives(
    grade: int, agents: list[str], device: str, flow: float | None
) -> None:
    flow = None if device == "none" else flow
    t = crs(
        "unspecified",
        grade,
        hypotension=bool(agents),
        vasopressor_agents=agents,
        oxygen_device=device,
        oxygen_flow_l_min=flow,
    )
    graded = grade_crs(
        CRSAssessment(
            temperature_c=39.0,
            vasopressors=agents,
            oxygen={"device": device, "flow_l_min": flow},
        )
    )
    assert t.determinate and t.grade == graded.grade


@given(
    st.sampled_from(["Lee 2014", "Penn", "CARTOX", "MSKCC", "CTCAE v4.03", "CTCAE v5.0"]),
    st.integers(0, 5),
    st.none() | st.integers(0, 3),
    st.none() | st.sampled_from(DEVICES),
)
def test_translation_is_coherent(
    scale: str, grade: int, count: int | None, device: str | None
) -> None:
    t = crs(scale, grade, vasopressor_count=count, oxygen_device=device)
    assert t.possible and all(0 <= g <= 5 for g in t.possible)
    if t.determinate:
        assert t.possible == (t.grade,)
    elif len(t.possible) == 1:
        assert "check the source" in t.reason  # facts beyond what the stated grade allows
