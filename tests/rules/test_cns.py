"""CNS status from CSF (clinical-criteria.md section 3.3, COG/NCCN) and CNS remission (3.1).

CNS1: no blasts. CNS2: blasts with WBC < 5/uL (2a RBC < 10, 2b RBC >= 10) or a traumatic tap
negative by Steinherz-Bleyer (2c). CNS3: blasts with WBC >= 5/uL (3a RBC < 10, 3b traumatic and
Steinherz-Bleyer positive) or clinical signs (3c). Steinherz-Bleyer: CSF WBC/RBC > 2 x blood
WBC/RBC.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.casefile import load_file
from remission.examples import example_paths
from remission.model import Case, CSFFindings
from remission.rules.cns import cns_course, cns_status

# blood 5,000 WBC/uL and 5,000,000 RBC/uL: a ratio of 0.001; twice that is 0.002
BLOOD = {"blood_wbc_per_ul": 5000, "blood_rbc_per_ul": 5_000_000}


def csf(**kw):
    return CSFFindings(**kw)


@pytest.mark.parametrize(
    ("wbc", "rbc", "label"),
    [
        (4, 9, "CNS2a"),
        (4, 10, "CNS2b"),
        (5, 9, "CNS3a"),
        (0, 0, "CNS2a"),
        (4.9, 9.9, "CNS2a"),
    ],
)
def test_wbc_and_rbc_boundaries_with_blasts(wbc, rbc, label):
    call = cns_status(csf(wbc_per_ul=wbc, rbc_per_ul=rbc, blasts_present=True))
    assert call.label == label and call.basis == "criteria"


def test_no_blasts_is_cns1_whatever_the_counts():
    call = cns_status(csf(wbc_per_ul=200, rbc_per_ul=5000, blasts_present=False))
    assert (call.status, call.subclass, call.involved) == ("CNS1", "1", False)


@pytest.mark.parametrize(
    ("wbc", "label"),
    [
        (10, "CNS2c"),  # 10/5000 = 0.002: exactly twice the blood ratio, not above it
        (10.01, "CNS3b"),  # just above twice
        (9.9, "CNS2c"),
        (500, "CNS3b"),
    ],
)
def test_steinherz_bleyer_rule_for_traumatic_taps(wbc, label):
    call = cns_status(csf(wbc_per_ul=wbc, rbc_per_ul=5000, blasts_present=True, **BLOOD))
    assert call.label == label and call.traumatic is True
    assert call.steinherz_bleyer == pytest.approx((wbc / 5000) / 0.001)


def test_clinical_signs_are_cns3c_whatever_the_csf():
    call = cns_status(csf(blasts_present=False, wbc_per_ul=0, clinical_signs=True))
    assert call.label == "CNS3c"


def test_traumatic_tap_without_blood_counts_is_indeterminate_between_2c_and_3b():
    call = cns_status(csf(wbc_per_ul=40, rbc_per_ul=500, blasts_present=True))
    assert call.status is None and call.possible == ("2c", "3b")
    assert any("blood WBC" in m for m in call.missing)
    stated = cns_status(
        csf(wbc_per_ul=40, rbc_per_ul=500, blasts_present=True, cns_status_stated="CNS3")
    )
    assert (stated.status, stated.subclass, stated.basis) == ("CNS3", "3b", "stated")


def test_missing_rbc_with_low_wbc_is_cns2_of_unknown_subclass():
    call = cns_status(csf(wbc_per_ul=3, blasts_present=True))
    assert call.status == "CNS2" and call.subclass is None and call.possible == ("2a", "2b")
    assert "CSF RBC" in call.missing


def test_missing_wbc_with_blasts_is_indeterminate():
    call = cns_status(csf(rbc_per_ul=0, blasts_present=True))
    assert call.status is None and set(call.possible) == {"2a", "3a"}


def test_unstated_blasts_use_the_stated_status():
    call = cns_status(csf(wbc_per_ul=2, cns_status_stated="CNS1"))
    assert call.status == "CNS1" and call.basis == "stated"
    none = cns_status(csf(wbc_per_ul=2))
    assert none.status is None and none.basis == "none"
    assert "whether blasts were seen on cytospin" in none.missing


def test_a_stated_status_the_findings_contradict_is_flagged():
    call = cns_status(
        csf(wbc_per_ul=12, rbc_per_ul=0, blasts_present=True, cns_status_stated="CNS2")
    )
    assert call.status == "CNS3" and call.conflict == "stated CNS2, but the CSF findings give CNS3"


@settings(max_examples=200, deadline=None)
@given(
    wbc=st.floats(0, 1000, allow_nan=False),
    more=st.floats(0, 1000, allow_nan=False),
    rbc=st.floats(0, 10000, allow_nan=False),
)
def test_more_csf_white_cells_never_lower_the_status(wbc, more, rbc):
    def rank(w):
        call = cns_status(csf(wbc_per_ul=w, rbc_per_ul=rbc, blasts_present=True, **BLOOD))
        return int(call.status[-1])

    assert rank(wbc + more) >= rank(wbc)


def _doc(prefix):
    return load_file(next(p for p in example_paths() if p.name.startswith(prefix))).document


def test_cns_remission_after_cns_relapse_in_the_seed_cases():
    seed = cns_course(_doc("seed-002"))  # marrow + CSF relapse, then CR in marrow and CSF
    assert seed.remissions == ("car1-cr",) and seed.current == "CNS1"
    example = cns_course(_doc("synthetic"))  # CNS1 at diagnosis, CNS3 at relapse, CNS1 at day 28
    assert example.relapses == ("rel1",) and example.remissions == ("car1-d28",)
    assert [p.source for p in example.points] == ["diagnosis", "rel1", "car1-d28"]


def test_cns2_is_involvement_but_not_a_cns_relapse():
    case = Case.model_validate(
        {
            "id": "cns",
            "diagnosis": {"cns_status": "CNS1"},
            "timeline": [
                {
                    "id": "a1",
                    "type": "disease_assessment",
                    "csf": {"wbc_per_ul": 2, "rbc_per_ul": 0, "blasts_present": True},
                },
                {"id": "a2", "type": "disease_assessment", "csf": {"blasts_present": False}},
                {
                    "id": "a3",
                    "type": "disease_assessment",
                    "csf": {"wbc_per_ul": 30, "rbc_per_ul": 1, "blasts_present": True},
                },
            ],
        }
    )
    course = cns_course(case)
    assert course.remissions == ("a2",) and course.relapses == ("a3",)
    assert course.current == "CNS3"
