"""The whole analysis at once: nothing crashes on thin data, and the report lists what could not
be estimated and why (issue 5, "Bad input")."""

import json
import warnings

import pytest

from remission.casefile import load_file
from remission.cohort import analyse_cohort
from remission.examples import example_paths
from remission.exceptions import EstimationWarning

from .builders import course


def test_the_bundled_examples():
    with pytest.warns(EstimationWarning, match="statistical caveat"):
        report = analyse_cohort([load_file(p).document for p in example_paths()])
    assert report.pooled["complete_remission"].n == 5 + 14
    assert report.survival["OS"].n == 4
    missing = {m["what"]: m["reason"] for m in report.not_estimable()}
    assert "median" in " ".join(missing) and "pooled icans_grade3plus" in missing
    assert report.caveats and len(set(report.caveats)) == len(report.caveats)
    json.dumps(report.to_dict())


@pytest.mark.parametrize(
    "docs",
    [
        [],  # empty cohort
        [course("a"), course("b")],  # no events
        [course("a", prior_hsct=True, last_day=50, died=True), course("b")],  # subgroups of one
        [course("undated", infusion_date=None, response=None)],  # anchor without a date
    ],
    ids=["empty", "no-events", "subgroup-of-one", "missing-anchor-date"],
)
def test_bad_input_never_crashes(docs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        report = analyse_cohort(docs)
    json.dumps(report.to_dict())
    assert report.not_estimable()  # each says what could not be estimated
    assert all(m["reason"] for m in report.not_estimable())


def test_an_empty_cohort_says_why():
    report = analyse_cohort([])
    missing = {m["what"]: m["reason"] for m in report.not_estimable()}
    assert missing["OS Kaplan-Meier"] == "no patient has a computable overall survival"
    assert missing["rate complete_remission"] == "no patients"
