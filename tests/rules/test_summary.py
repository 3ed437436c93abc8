"""The CaseSummary derived from the bundled seed cases gives the facts their reports state.

Each expectation below is a fact of the published report the seed file represents (see the
source named in each file), not a re-run of the code.
"""

import pytest

from remission.casefile import load_file, parse_document_text
from remission.examples import example_paths
from remission.rules.summary import summarize, summarize_cohort


def _doc(prefix):
    path = next(p for p in example_paths() if p.name.startswith(prefix))
    return load_file(path).document


def test_seed_000_ph_positive_cart_after_blinatumomab():
    s = summarize(_doc("seed-000"))
    assert s.age_years == 28 and s.sex == "male" and s.diagnosis == "B-ALL"
    assert s.ph_positive is True and s.bcr_abl_transcript == "p210"
    assert s.abl_kinase_mutations == ["T315I"]
    assert s.relapse_count == 4  # "4th medullary relapse"
    assert s.prior_hsct is True  # allo-HSCT in the first line
    assert s.extramedullary_sites == ["skin"]  # leukaemides before CAR-T; testis was relapse 3
    assert [t.therapy_class for t in s.index_therapies] == ["car_t"]
    assert s.index_therapies[0].target == "CD19"
    assert s.response == "CR"  # CR at day 28
    assert s.relapse_after is False and s.alive_at_last_follow_up is True
    assert s.follow_up_months == pytest.approx(12, abs=0.5)
    assert s.crs_max_grade is None and s.icans_max_grade is None  # not reported: unknown, not 0
    assert s.bridged_to_hsct is None


def test_seed_001_cns_cart_with_either_costimulatory_domain():
    s = summarize(_doc("seed-001"))
    assert s.cns_involvement is True and s.extramedullary_sites == ["cns"]
    assert s.index_therapies[0].costimulatory == []  # "CD28 or 4-1BB" assigns neither
    assert s.crs_max_grade == 1
    assert s.refractory is True
    assert s.follow_up_months == pytest.approx(36, abs=0.5)
    assert s.age_years is None and s.sex is None  # not stated


def test_seed_002_sequential_autologous_then_donor_cart_bridged():
    s = summarize(_doc("seed-002"))
    assert s.sex == "female"
    assert [(t.therapy_class, t.cell_source) for t in s.index_therapies] == [
        ("car_t", "autologous"),
        ("car_t", "donor_derived"),
    ]
    assert s.cns_involvement is True
    assert s.response == "CR" and s.crs_max_grade == 1 and s.icans_max_grade == 1
    assert s.relapse_after is True  # marrow relapse 40 days into the first CR
    assert s.bridged_to_hsct is True  # HSCT in the second CR


def test_seed_003_donor_derived_cart_for_extramedullary_relapse():
    s = summarize(_doc("seed-003"))
    assert s.age_years == 62 and s.sex == "female"
    assert s.prior_hsct is True  # haploidentical HSCT before the relapse
    assert s.extramedullary_sites == ["other"]  # retroperitoneum and pelvic wall
    assert s.cns_involvement is False
    assert s.index_therapies[0].cell_source == "donor_derived"
    assert s.response == "CR" and s.gvhd is False  # "no signs of GVHD"


def test_seed_004_blinatumomab_series_is_an_aggregate():
    doc = _doc("seed-004")
    assert doc.kind == "cohort"
    s = summarize_cohort(doc)
    assert (s.n_patients, s.median_age_years) == (14, 9)
    assert (s.n_complete_response, s.n_mrd_negative, s.n_bridged_to_hsct) == (12, 12, 11)
    assert (
        s.n_crs_any is None and s.n_icans_any is None
    )  # fever, tremor, convulsion: not graded syndromes


def _case(text):
    return parse_document_text("id: t\n" + text, "t.yaml")


def test_a_transplant_after_relapse_is_salvage_not_a_bridge():
    c = _case("""
index: [car1]
timeline:
  - {id: car1, type: car_t_infusion}
  - {id: a, type: disease_assessment, assesses: car1, response: CR}
  - {id: r, type: relapse, sites: [marrow]}
  - {id: h, type: hsct}
""")
    s = summarize(c)
    assert s.bridged_to_hsct is False and s.relapse_after is True


def test_a_transplant_after_no_response_is_not_a_bridge():
    c = _case("""
timeline:
  - {id: car1, type: car_t_infusion}
  - {id: a, type: disease_assessment, assesses: car1, response: NR}
  - {id: h, type: hsct}
""")
    assert summarize(c).bridged_to_hsct is False


def test_complete_history_turns_absence_into_no():
    text = """
timeline:
  - {id: car1, type: car_t_infusion}
  - {id: a, type: disease_assessment, assesses: car1, response: CR}
"""
    assert summarize(_case(text)).prior_hsct is None
    done = summarize(_case("complete_history: true\n" + text))
    assert done.prior_hsct is False and done.bridged_to_hsct is False and done.relapse_count == 0


def test_best_response_and_mrd_over_the_index_therapies():
    c = _case("""
index: [car1, car2]
timeline:
  - {id: car1, type: car_t_infusion}
  - {id: a1, type: disease_assessment, assesses: car1, response: PR, mrd: {value: 0.02, method: flow}}
  - {id: car2, type: car_t_infusion}
  - {id: a2, type: disease_assessment, assesses: car2, response: CRi, mrd: {value: 0.00005, method: flow}}
""")
    s = summarize(c)
    assert s.response == "CRi" and s.mrd_negative is True


def test_toxicity_grades_are_the_worst_after_the_index_therapy_and_zero_is_kept():
    c = _case("""
timeline:
  - {id: blina, type: therapy, agents: [blinatumomab]}
  - {id: crs0, type: toxicity, syndrome: crs, after: blina, grade: {grade: 3, scale: CTCAE v4.03}}
  - {id: car1, type: car_t_infusion}
  - {id: crs1, type: toxicity, syndrome: crs, after: car1, grade: {grade: 2, scale: ASTCT 2019}}
  - {id: icans1, type: toxicity, syndrome: icans, after: car1, grade: {grade: 0}}
""")
    s = summarize(c)
    assert s.crs_max_grade == 2  # the blinatumomab CRS is history, not the index therapy's
    assert s.icans_max_grade == 0  # stated absent


def test_prior_blinatumomab_is_history_and_age_in_months_converts():
    c = _case("""
patient: {age: {value: 18, unit: months}}
timeline:
  - {id: b, type: therapy, agents: [blinatumomab], courses: 2}
  - {id: car1, type: car_t_infusion, product: tisagenlecleucel}
""")
    s = summarize(c)
    assert s.age_years == 1.5
    assert [(t.therapy_class, t.agent) for t in s.index_therapies] == [
        ("car_t", "tisagenlecleucel")
    ]
    assert s.index_therapies[0].costimulatory == ["4-1BB"]
