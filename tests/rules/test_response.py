"""Response classes from counts (clinical-criteria.md section 3.1; NCCN/CIBMTR, BBMT 2010, TOWER).

CR: marrow blasts < 5 %, no circulating blasts, no extramedullary disease, ANC >= 1.0, platelets
>= 100 x 10^9/L, transfusion independent. CRh: ANC > 0.5 and platelets > 50. CRi: all but counts.
PR: >= 50 % reduction of marrow blasts to 5-25 %. PD: >= 25 % increase, or new EM disease.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.casefile import load_file
from remission.examples import example_paths
from remission.model import Case, DiseaseAssessment, Relapse
from remission.rules.response import (
    RESPONSE_RANK,
    assess_response,
    baseline_for,
    classify_response,
    durable_response,
    extramedullary_response,
    mrd_response,
)


def da(**kw):
    return DiseaseAssessment.model_validate({"id": "a1", "type": "disease_assessment", **kw})


def base(pct, blood=None):
    return da(id="b0", marrow_blasts_pct=pct, blood_blasts_pct=blood)


def _doc(prefix):
    return load_file(next(p for p in example_paths() if p.name.startswith(prefix))).document


FULL = {"blood_blasts_pct": 0, "anc_10e9_l": 1.0, "platelets_10e9_l": 100}


@pytest.mark.parametrize(
    ("marrow", "anc", "plt", "expected"),
    [
        (4.9, 1.0, 100, "CR"),  # every threshold just met
        (0.0, 0.99, 100, "CRh"),  # ANC below 1.0 but above 0.5
        (0.0, 1.0, 99, "CRh"),
        (0.0, 0.51, 50.1, "CRh"),
        (0.0, 0.5, 100, "CRi"),  # CRh needs ANC strictly above 0.5
        (0.0, 1.2, 50, "CRi"),  # ... and platelets strictly above 50
        (0.0, 0.1, 10, "CRi"),
    ],
)
def test_cr_crh_cri_at_their_count_thresholds(marrow, anc, plt, expected):
    call = classify_response(
        da(marrow_blasts_pct=marrow, blood_blasts_pct=0, anc_10e9_l=anc, platelets_10e9_l=plt)
    )
    assert call.response == expected and call.basis == "criteria"


def test_crh_can_be_folded_into_cri():
    a = da(marrow_blasts_pct=1, blood_blasts_pct=0, anc_10e9_l=0.8, platelets_10e9_l=80)
    assert classify_response(a).response == "CRh"
    assert classify_response(a, crh=False).response == "CRi"


def test_five_percent_marrow_blasts_is_not_a_remission():
    call = classify_response(da(marrow_blasts_pct=5.0, **FULL), base(40))
    assert call.response == "PR"  # 5 % is >= 50 % below 40 % and within 5-25 %


def test_transfusion_dependence_excludes_cr():
    call = classify_response(da(marrow_blasts_pct=1, transfusion_independent=False, **FULL))
    assert call.response == "CRi"
    assert any("transfusion dependent" in r for r in call.reasons)


def test_circulating_blasts_exclude_cr():
    call = classify_response(
        da(marrow_blasts_pct=1, blood_blasts_pct=2, anc_10e9_l=2, platelets_10e9_l=150), base(40)
    )
    assert call.response == "PR"  # marrow cleared from 40 %, blasts still circulating


def test_extramedullary_disease_excludes_cr():
    a = da(
        marrow_blasts_pct=0,
        **FULL,
        imaging=[{"modality": "PET/CT", "result": "positive", "sites": ["lymph_node"]}],
    )
    assert classify_response(a, base(0)).response == "NR"
    reduced = da(
        marrow_blasts_pct=0, **FULL, extramedullary=[{"site": "skin", "status": "reduced"}]
    )
    assert classify_response(reduced, base(0)).response == "PR"


def test_new_extramedullary_disease_is_progression_whatever_the_marrow():
    a = da(marrow_blasts_pct=0, **FULL, extramedullary=[{"site": "testis", "status": "new"}])
    assert classify_response(a).response == "PD"


@pytest.mark.parametrize(
    ("baseline", "marrow", "expected"),
    [
        (40, 20.0, "PR"),  # exactly a 50 % reduction
        (40, 20.1, "NR"),  # less than 50 %
        (60, 25.0, "PR"),  # within 5-25 %
        (60, 25.5, "NR"),  # above 25 %
        (20, 24.9, "NR"),  # < 25 % increase
        (20, 25.0, "PD"),  # a 25 % increase
        (2, 5.0, "PD"),  # marrow disease appearing from a clear baseline
        (2, 4.0, "CR"),
    ],
)
def test_pr_nr_pd_against_the_baseline(baseline, marrow, expected):
    assert (
        classify_response(da(marrow_blasts_pct=marrow, **FULL), base(baseline)).response == expected
    )


def test_circulating_blast_increase_is_progression():
    a = da(marrow_blasts_pct=None, blood_blasts_pct=50)
    assert classify_response(a, base(None, blood=40)).response == "PD"


def test_without_a_baseline_pr_stays_open_and_progression_is_not_called():
    call = classify_response(da(marrow_blasts_pct=15, **FULL))
    assert call.response is None and set(call.possible) == {"PR", "NR"}
    assert any("baseline" in m for m in call.missing)
    assert classify_response(da(marrow_blasts_pct=15, response="NR", **FULL)).response == "NR"
    assert classify_response(da(marrow_blasts_pct=60, **FULL)).response == "NR"


def test_a_baseline_can_be_the_relapse_itself():
    rel = Relapse.model_validate({"id": "r1", "type": "relapse", "marrow_blasts_pct": 80})
    assert classify_response(da(marrow_blasts_pct=10, **FULL), rel).response == "PR"


def test_unknown_counts_leave_the_remission_classes_open_and_the_stated_one_decides():
    call = classify_response(da(marrow_blasts_pct=2))
    assert call.response is None and call.possible == ("CR", "CRh", "CRi")
    assert "ANC" in call.missing and "platelet count" in call.missing
    stated = classify_response(da(marrow_blasts_pct=2, response="CR"))
    assert stated.response == "CR" and stated.basis == "stated"


def test_absent_marrow_blasts_mean_the_stated_response_is_reported_as_stated():
    call = classify_response(da(response="CRi", anc_10e9_l=0.4))
    assert call.response == "CRi" and call.basis == "stated"
    assert "marrow blast percentage" in call.missing
    none = classify_response(da(anc_10e9_l=0.4))
    assert none.response is None and none.basis == "none"


def test_counts_that_contradict_the_stated_response_win_and_say_so():
    call = classify_response(
        da(
            marrow_blasts_pct=1,
            blood_blasts_pct=0,
            anc_10e9_l=0.3,
            platelets_10e9_l=20,
            response="CR",
        )
    )
    assert call.response == "CRi" and call.conflict == "stated CR, but the counts give CRi"


def test_unreported_findings_are_assumptions_not_silent():
    call = classify_response(da(marrow_blasts_pct=1, anc_10e9_l=2, platelets_10e9_l=200))
    assert call.response == "CR"
    text = " ".join(call.assumptions)
    assert "circulating blasts" in text and "extramedullary" in text and "transfusion" in text


def test_mrd_negative_marrow_stands_for_fewer_than_five_percent_blasts():
    call = classify_response(da(mrd={"value": 0, "method": "flow"}, response="CR", **FULL))
    assert call.response == "CR" and call.basis == "criteria"
    assert call.label == "CR, MRD-negative"


@pytest.mark.parametrize(
    ("mrd", "category"),
    [
        ({"value": 0, "method": "flow"}, "complete"),
        ({"detectable": False, "method": "flow", "sensitivity": 1e-5}, "complete"),
        ({"value": 5e-5, "method": "flow"}, "negative_below_threshold"),
        ({"value": 1e-4, "method": "flow"}, "positive"),  # the criterion is < 10^-4
        ({"value": 5e-5, "method": "ngs"}, "positive"),  # NGS threshold 10^-6
        ({"detectable": False, "method": "ngs", "sensitivity": 1e-4}, "indeterminate"),
    ],
)
def test_mrd_response_categories_reuse_the_mrd_thresholds(mrd, category):
    from remission.model import MRD

    assert mrd_response(MRD(**mrd)).category == category


def test_extramedullary_response_from_findings_and_imaging():
    assert extramedullary_response(da()).status == "not_assessed"
    reduced = da(imaging=[{"modality": "PET/CT", "result": "reduced", "sites": ["peritoneum"]}])
    assert extramedullary_response(reduced).status == "partial"
    rel = Relapse.model_validate({"id": "r", "type": "relapse", "sites": ["peritoneum", "pelvis"]})
    cleared = extramedullary_response(
        da(imaging=[{"modality": "PET/CT", "result": "negative"}]), rel
    )
    assert cleared.status == "complete" and cleared.sites == {
        "peritoneum": "resolved",
        "pelvis": "resolved",
    }
    csf = extramedullary_response(
        da(csf={"blasts_present": False}),
        Relapse.model_validate({"id": "r", "type": "relapse", "sites": ["cns"]}),
    )
    assert csf.status == "complete"
    worse = da(extramedullary=[{"site": "skin", "status": "present"}])
    before = da(id="b", extramedullary=[{"site": "skin", "status": "absent"}])
    assert extramedullary_response(worse, before).status == "progression"


def test_seed_003_extramedullary_lesions_resolved_by_three_months():
    case = _doc("seed-003")
    call = assess_response(case, "car2-m3")
    assert call.response == "CR" and call.basis == "stated"
    assert call.extramedullary.status == "complete"
    one_month = assess_response(case, "car2-m1")
    assert one_month.extramedullary.status == "partial" and one_month.response is None


def test_baseline_is_the_last_count_before_the_therapy_with_no_other_therapy_between():
    case = _doc("synthetic")
    assert baseline_for(case, "car1-d28").id == "blina1-eval"
    assert (
        baseline_for(case, "blina1-eval") is None
    )  # re-induction came between the relapse and blina
    assert assess_response(case, "blina1-eval").response == "NR"  # 18 %: stated NR, PR not shown


def test_the_day_28_counts_of_the_annotated_example_give_cr():
    case = _doc("synthetic")
    call = assess_response(case, "car1-d28")
    assert call.response == "CR" and call.basis == "criteria" and call.conflict is None


def _course(*events, **extra):
    return Case.model_validate(
        {
            "id": "dur",
            "diagnosis": {"date": "2019-01-01"},
            "timeline": [
                {"id": "car1", "type": "car_t_infusion", "date": "2020-01-01", "target": "CD19"},
                {
                    "id": "cr",
                    "type": "disease_assessment",
                    "date": "car1+28d",
                    "assesses": "car1",
                    "response": "CR",
                },
                *events,
            ],
            **extra,
        }
    )


def test_durable_when_a_relapse_comes_no_sooner_than_four_weeks():
    seed = _doc("seed-002")
    d = durable_response(seed, "car1-cr")
    assert d.durable is True and d.evidence == "rel2"  # relapse 40 days into the first CR
    early = _course({"id": "rel", "type": "relapse", "date": "cr+20d", "sites": ["marrow"]})
    assert durable_response(early, "cr").durable is False
    boundary = _course({"id": "rel", "type": "relapse", "date": "cr+28d", "sites": ["marrow"]})
    assert durable_response(boundary, "cr").durable is True


def test_durable_when_a_later_assessment_confirms_the_remission():
    case = _course(
        {"id": "d56", "type": "disease_assessment", "date": "car1+56d", "response": "CR"}
    )
    assert durable_response(case, "cr").durable is True
    alone = _course()
    assert durable_response(alone, "cr").durable is None
    month = _course(
        {"id": "fu", "type": "follow_up", "date": "cr+1mo", "disease_status": "remission"}
    )
    assert durable_response(month, "cr").durable is None  # "one month" straddles four weeks


RANK = {**RESPONSE_RANK}


@settings(max_examples=200, deadline=None)
@given(
    lo=st.floats(0, 100, allow_nan=False),
    hi=st.floats(0, 100, allow_nan=False),
    baseline=st.floats(0, 100, allow_nan=False),
    anc=st.floats(0, 5, allow_nan=False),
    plt=st.floats(0, 400, allow_nan=False),
    blood=st.sampled_from([0, 3]),
    em=st.sampled_from([None, "present", "reduced", "resolved"]),
)
def test_more_blasts_never_give_a_better_response(lo, hi, baseline, anc, plt, blood, em):
    lo, hi = sorted((lo, hi))
    extra = {"extramedullary": [{"site": "skin", "status": em}]} if em else {}
    kw = {"anc_10e9_l": anc, "platelets_10e9_l": plt, "blood_blasts_pct": blood, **extra}
    fewer = classify_response(da(marrow_blasts_pct=lo, **kw), base(baseline))
    more = classify_response(da(marrow_blasts_pct=hi, **kw), base(baseline))
    assert fewer.response is not None and more.response is not None
    assert RANK[more.response] <= RANK[fewer.response]


@settings(max_examples=100, deadline=None)
@given(
    anc=st.floats(0, 5, allow_nan=False),
    plt=st.floats(0, 400, allow_nan=False),
    more_anc=st.floats(0, 2, allow_nan=False),
    more_plt=st.floats(0, 100, allow_nan=False),
)
def test_better_counts_never_give_a_worse_remission_class(anc, plt, more_anc, more_plt):
    low = classify_response(
        da(marrow_blasts_pct=1, blood_blasts_pct=0, anc_10e9_l=anc, platelets_10e9_l=plt)
    )
    high = classify_response(
        da(
            marrow_blasts_pct=1,
            blood_blasts_pct=0,
            anc_10e9_l=anc + more_anc,
            platelets_10e9_l=plt + more_plt,
        )
    )
    assert RANK[high.response] >= RANK[low.response]


def test_to_dict_is_plain_data():
    d = classify_response(da(marrow_blasts_pct=1, mrd={"value": 0}, **FULL)).to_dict()
    assert d["response"] == "CR" and d["mrd"]["category"] == "complete"
    assert d["extramedullary"]["status"] == "not_assessed"
