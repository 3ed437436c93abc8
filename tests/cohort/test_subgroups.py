"""Subgroup comparisons (docs/cohort.md, "Subgroups").

Membership is read from the Case: CNS involvement at the relapse treated, a blinatumomab course
before the index therapy, the last marrow blast % before it (>= 5 %, >= 30 %), a transplant
before it. Rates are compared by Fisher's exact test, survival by the log-rank test; a patient
whose membership is unknown is in neither group.
"""

import json

import pytest
from lifelines.statistics import logrank_test
from scipy.stats import fisher_exact

from remission.casefile import parse_document_text
from remission.cohort import (
    SUBGROUPS,
    CohortData,
    SubgroupDefinition,
    compare_subgroup,
    subgroup_analysis,
)
from remission.exceptions import CohortError, EstimationWarning

from .builders import course

pytestmark = pytest.mark.filterwarnings("ignore::remission.exceptions.EstimationWarning")


@pytest.fixture(scope="module")
def cohort():
    return CohortData.from_documents(
        [
            course("cns1", relapse_sites=("cns",), blasts=2, response="CR", last_day=400),
            course(
                "cns2",
                relapse_sites=("cns", "bone_marrow"),
                blasts=40,
                response="NR",
                last_day=90,
                died=True,
            ),
            course(
                "cns3",
                relapse_sites=("cns",),
                blasts=0,
                response="CR",
                relapse_day=200,
                last_day=260,
                died=True,
            ),
            course("bm1", blasts=85, response="CR", prior_blinatumomab=True, last_day=500),
            course("bm2", blasts=30, response="CR", prior_hsct=True, last_day=380),
            course(
                "bm3",
                blasts=12,
                response="PR",
                prior_blinatumomab=True,
                prior_hsct=True,
                last_day=150,
                died=True,
            ),
            course("bm4", blasts=None, response="CR", last_day=600),
            course("nohx", index_relapse=False, complete_history=False, last_day=300),
        ]
    )


def test_membership_is_read_from_the_cases(cohort):
    split = {d.name: compare_subgroup(cohort, d, rates=(), endpoints=()) for d in SUBGROUPS}
    cns = split["cns_involvement"]
    assert (set(cns.inside), set(cns.outside), cns.unknown) == (
        {"cns1", "cns2", "cns3"},
        {"bm1", "bm2", "bm3", "bm4"},
        ("nohx",),
    )
    assert set(split["prior_blinatumomab"].inside) == {"bm1", "bm3"}
    assert split["prior_blinatumomab"].unknown == ("nohx",)  # not a complete history
    assert set(split["blasts_5"].inside) == {"cns2", "bm1", "bm2", "bm3"}
    assert set(split["blasts_5"].unknown) == {"bm4", "nohx"}
    assert set(split["blasts_30"].inside) == {"cns2", "bm1", "bm2"}  # 30 % is in
    assert set(split["prior_hsct"].inside) == {"bm2", "bm3"}


def test_the_last_blast_count_before_the_index_therapy_is_used():
    text = """
schema_version: 1
kind: case
id: two-counts
diagnosis: {date: 2018-03}
timeline:
  - {id: rel1, type: relapse, date: 2019-10, sites: [bone marrow], marrow_blasts_pct: 50}
  - {id: pre, type: disease_assessment, date: 2019-12, marrow_blasts_pct: 3}
  - {id: car1, type: car_t_infusion, date: 2020-01-01}
  - {id: d28, type: disease_assessment, date: car1+28d, assesses: car1, response: CR}
  - {id: post, type: disease_assessment, date: car1+90d, marrow_blasts_pct: 60}
"""
    data = CohortData.from_documents([parse_document_text(text, "test")])
    patient = data.patients[0]
    assert (patient.marrow_blasts_pct, patient.marrow_blasts_from) == (3, "pre")
    split = compare_subgroup(data, "blasts_5", rates=(), endpoints=())
    assert split.outside == ("two-counts",)


def test_fisher_p_value_is_scipys(cohort):
    cmp = compare_subgroup(cohort, "cns_involvement", rates=("complete_remission",), endpoints=())
    r = cmp.rates[0]
    # in: cns1 CR, cns2 NR, cns3 CR -> 2 of 3; out: bm1 CR, bm2 CR, bm3 PR, bm4 CR -> 3 of 4
    assert (r.inside.k, r.inside.n, r.outside.k, r.outside.n) == (2, 3, 3, 4)
    ref = fisher_exact([[2, 1], [3, 1]])
    assert r.p_value == pytest.approx(ref.pvalue) and r.odds_ratio == pytest.approx(ref.statistic)
    assert r.estimable


def test_log_rank_p_value_is_lifelines(cohort):
    cmp = compare_subgroup(cohort, "cns_involvement", rates=(), endpoints=("OS",))
    s = cmp.survival[0]
    t_in = cohort.subset(cmp.inside).times("OS")
    t_out = cohort.subset(cmp.outside).times("OS")
    ref = logrank_test(t_in.days, t_out.days, t_in.events, t_out.events)
    assert s.p_value == pytest.approx(ref.p_value)
    assert s.statistic == pytest.approx(ref.test_statistic)
    assert (s.n_inside, s.events_inside, s.n_outside, s.events_outside) == (3, 2, 4, 1)


def test_a_subgroup_of_one_is_compared_and_flagged():
    data = CohortData.from_documents(
        [
            course("one", prior_hsct=True, response="NR", last_day=60, died=True),
            *[course(f"o{i}", last_day=100 * i, died=i % 2 == 0) for i in range(1, 6)],
        ]
    )
    with pytest.warns(EstimationWarning, match="has one patient"):
        cmp = compare_subgroup(data, "prior_hsct")
    assert cmp.inside == ("one",)
    cr = next(r for r in cmp.rates if r.rate == "complete_remission")
    assert cr.estimable and cr.p_value == pytest.approx(fisher_exact([[0, 1], [5, 0]]).pvalue)
    os_ = next(s for s in cmp.survival if s.endpoint == "OS")
    assert os_.estimable and os_.p_value is not None
    assert any("has one patient" in n for n in cmp.notes)


def test_an_empty_group_says_nothing_can_be_compared(cohort):
    data = cohort.subset(["cns1", "cns2"])
    cmp = compare_subgroup(data, "cns_involvement")
    assert cmp.outside == ()
    assert all(not r.estimable for r in cmp.rates)
    assert all(not s.estimable and "outside it" in s.reason for s in cmp.survival)
    assert any("is empty" in n for n in cmp.notes)


def test_no_events_in_either_group():
    data = CohortData.from_documents(
        [course("a", prior_hsct=True), course("b"), course("c", prior_hsct=True), course("d")]
    )
    os_ = next(s for s in compare_subgroup(data, "prior_hsct").survival if s.endpoint == "OS")
    assert not os_.estimable and "no overall survival events in either group" in os_.reason


def test_custom_subgroups_are_data(cohort):
    adults = SubgroupDefinition("older", "age >= 10 at infusion", lambda r: None, "test", "younger")
    cmp = compare_subgroup(cohort, adults)
    assert len(cmp.unknown) == cohort.n_patients
    with pytest.raises(CohortError, match="unknown subgroup"):
        compare_subgroup(cohort, "left-handed")


def test_the_analysis_as_data(cohort):
    analysis = subgroup_analysis(cohort)
    assert [c.name for c in analysis.comparisons] == [d.name for d in SUBGROUPS]
    frame = analysis.to_frame()
    assert set(frame["measure"]) == {
        "complete_remission",
        "mrd_negative",
        "crs_grade3plus",
        "OS",
        "EFS",
    }
    assert len(frame) == 5 * len(SUBGROUPS)
    json.dumps(analysis.to_dict())
