"""Scoring rules, each checked on a hand-made example."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from remission.evidence.corpus import CorpusDocument, GoldPatient
from remission.evidence.evaluate import Counts, evaluate, field_names, score_document
from remission.exceptions import ExtractionError
from remission.model import CaseSummary, CohortSummary

from .builders import any_summaries, result_for


def S(**kw):
    return CaseSummary.model_validate(kw)


def score(gold, predicted, kind="case_report", cohort=None):
    counts, mismatches = score_document("doc", kind, gold, cohort, predicted)
    return counts, mismatches


def c(counts, name):
    x = counts.get(name, Counts())
    return (x.tp, x.fp, x.fn)


def test_a_right_value_is_a_true_positive_and_a_wrong_one_both_errors():
    counts, mismatches = score(
        [S(sex="male", crs_max_grade=2)], result_for(S(sex="male", crs_max_grade=3))
    )
    assert c(counts, "sex") == (1, 0, 0)
    assert c(counts, "crs_max_grade") == (0, 1, 1)
    assert [(m.field, m.gold, m.predicted) for m in mismatches] == [("crs_max_grade", 2, 3)]


def test_a_missed_value_is_a_false_negative_and_an_unsupported_one_a_false_positive():
    counts, _ = score([S(response="CR")], result_for(S(gvhd=False)))
    assert c(counts, "response") == (0, 0, 1)
    assert c(counts, "gvhd") == (0, 1, 0)


def test_false_is_a_value_not_an_absence():
    counts, _ = score([S(prior_hsct=False)], result_for(S(prior_hsct=True)))
    assert c(counts, "prior_hsct") == (0, 1, 1)
    counts, _ = score([S(crs_max_grade=0)], result_for(S(crs_max_grade=0)))
    assert c(counts, "crs_max_grade") == (1, 0, 0)


@pytest.mark.parametrize(
    ("field", "gold", "predicted", "expected"),
    [
        ("age_years", 1.5, 1.54, (1, 0, 0)),
        ("age_years", 1.5, 1.6, (0, 1, 1)),
        ("follow_up_months", 36, 36.5, (1, 0, 0)),
        ("follow_up_months", 36, 36.6, (0, 1, 1)),
        ("relapse_count", 2, 3, (0, 1, 1)),
    ],
)
def test_numbers_match_within_their_tolerance(field, gold, predicted, expected):
    counts, _ = score([S(**{field: gold})], result_for(S(**{field: predicted})))
    assert c(counts, field) == expected


def test_lists_are_compared_as_sets():
    counts, _ = score(
        [S(extramedullary_sites=["cns", "testis"])],
        result_for(S(extramedullary_sites=["testis", "skin"])),
    )
    assert c(counts, "extramedullary_sites") == (1, 1, 1)


def test_therapy_rows_pair_within_a_class_and_score_each_attribute():
    gold = S(
        index_therapies=[
            {"class": "tki", "agent": "ponatinib"},
            {
                "class": "car_t",
                "agent": "tisagenlecleucel",
                "target": "CD19",
                "cell_source": "autologous",
                "costimulatory": ["4-1BB"],
            },
        ]
    )
    predicted = S(
        index_therapies=[
            {
                "class": "car_t",
                "target": "CD19",
                "cell_source": "donor_derived",
                "costimulatory": ["4-1BB", "CD28"],
            },
            {"class": "bispecific", "agent": "blinatumomab", "courses": 2},
        ]
    )
    counts, _ = score([gold], result_for(predicted))
    # car_t rows pair; tki is missed; bispecific is a false alarm
    assert c(counts, "index_therapies.class") == (1, 1, 1)
    assert c(counts, "index_therapies.agent") == (0, 1, 2)  # tisagenlecleucel and ponatinib missed
    assert c(counts, "index_therapies.target") == (1, 0, 0)
    assert c(counts, "index_therapies.cell_source") == (0, 1, 1)
    assert c(counts, "index_therapies.costimulatory") == (1, 1, 0)
    assert c(counts, "index_therapies.courses") == (0, 1, 0)


def test_patients_are_aligned_in_order_and_extra_or_missing_ones_count():
    gold = [S(sex="female"), S(sex="male")]
    counts, _ = score(gold, result_for(S(sex="female")), kind="case_series")
    assert c(counts, "sex") == (1, 0, 1)
    assert c(counts, "kind") == (0, 1, 1)  # predicted case_report for a series
    counts, _ = score([S(sex="female")], result_for(S(sex="female"), S(sex="male", age_years=3)))
    assert c(counts, "sex") == (1, 1, 0)
    assert c(counts, "age_years") == (0, 1, 0)


def test_cohort_counts_are_fields_of_their_own():
    gold = CohortSummary(n_patients=14, median_age_years=9.0, n_crs_any=5)
    predicted = result_for(
        kind="cohort",
        cohort=CohortSummary(n_patients=14, median_age_years=9.04, n_crs_any=6, n_icans_any=1),
    )
    counts, _ = score([], predicted, kind="cohort", cohort=gold)
    assert c(counts, "kind") == (1, 0, 0)
    assert c(counts, "cohort.n_patients") == (1, 0, 0)
    assert c(counts, "cohort.median_age_years") == (1, 0, 0)
    assert c(counts, "cohort.n_crs_any") == (0, 1, 1)
    assert c(counts, "cohort.n_icans_any") == (0, 1, 0)


def test_figures_follow_their_definitions():
    x = Counts(tp=3, fp=1, fn=2)
    assert x.precision == 0.75 and x.recall == 0.6
    assert x.f1 == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    assert Counts().precision is None and Counts().f1 is None
    assert Counts(fn=2).precision is None and Counts(fn=2).f1 == 0


class _Replay:
    """An extractor that answers from a table (tests the harness, not an extractor)."""

    name = "replay"

    def __init__(self, answers):
        self.answers = answers

    def extract(self, text, file=None):
        answer = self.answers[text]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _doc(split, name, text, *summaries):
    return CorpusDocument(
        split,
        name,
        None,
        text,
        "case_report",
        "s",
        "s",
        None,
        tuple(GoldPatient(None, s) for s in summaries),
        None,
    )


def test_the_harness_reports_each_split_with_micro_and_macro_figures():
    docs = [
        _doc("dev", "001-a", "a", S(sex="male", crs_max_grade=2)),
        _doc("heldout", "101-b", "b", S(sex="female")),
        _doc("heldout", "102-c", "c", S(sex="male")),
    ]
    answers = {
        "a": result_for(S(sex="male", crs_max_grade=1)),
        "b": result_for(S(sex="female")),
        "c": ExtractionError("cannot read"),
    }
    report = evaluate(docs, _Replay(answers))
    dev, held = report.splits["dev"], report.splits["heldout"]
    assert (dev.n_documents, held.n_documents) == (1, 2)
    assert (dev.fields["sex"].tp, dev.fields["crs_max_grade"].fp) == (1, 1)
    assert (held.fields["sex"].tp, held.fields["sex"].fn) == (1, 1)
    assert held.fields["kind"].fn == 1  # the failed text found nothing, not even its kind
    assert held.errors and "102-c" in held.errors[0]
    micro = dev.micro
    assert (micro.tp, micro.fp, micro.fn) == (2, 1, 1)  # kind, sex; grade wrong both ways
    assert dev.macro_f1 == pytest.approx((1 + 1 + 0) / 3)
    data = report.to_json(mismatches=True)
    assert set(data["splits"]) == {"dev", "heldout"}
    assert list(data["splits"]["dev"]["fields"]) == field_names()
    assert data["splits"]["dev"]["mismatches"][0]["field"] == "crs_max_grade"


@settings(max_examples=60, deadline=None)
@given(any_summaries())
def test_a_perfect_answer_scores_no_errors(summary):
    counts, mismatches = score([summary], result_for(summary))
    assert not mismatches
    assert all(x.fp == 0 and x.fn == 0 for x in counts.values())
