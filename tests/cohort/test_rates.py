"""Rates with exact (Clopper-Pearson) intervals (docs/cohort.md, "Rates").

The Clopper-Pearson interval of k of n at level 1 - a is [B(a/2; k, n-k+1), B(1-a/2; k+1, n-k)]
with B the beta quantile; the lower limit is 0 at k = 0 and the upper limit 1 at k = n. Unknown
values leave the denominator; they are never counted as "no".
"""

import json

import pytest
from scipy.stats import beta

from remission.cohort import CohortData, clopper_pearson, cohort_rates, proportion
from remission.exceptions import CohortError, EstimationWarning

from .builders import course

pytestmark = pytest.mark.filterwarnings("ignore::remission.exceptions.EstimationWarning")


# --- the interval --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        (12, 14, 0.5719, 0.9822),  # the seed blinatumomab series' 12 of 14 remissions
        (0, 10, 0.0, 0.3085),  # none of 10: lower limit 0, upper 1 - 0.025 ** (1/10)
        (10, 10, 0.6915, 1.0),  # all of 10: upper limit 1, lower 0.025 ** (1/10)
        (1, 2, 0.0126, 0.9874),
    ],
)
def test_clopper_pearson_known_values(k, n, lo, hi):
    got = clopper_pearson(k, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)


@pytest.mark.parametrize(("k", "n"), [(3, 7), (5, 20), (17, 19)])
def test_clopper_pearson_is_the_beta_quantile_interval(k, n):
    lo = beta.ppf(0.025, k, n - k + 1)
    hi = beta.ppf(0.975, k + 1, n - k)
    assert clopper_pearson(k, n) == pytest.approx((lo, hi), rel=1e-9)


def test_at_none_and_at_all_the_limits_have_closed_forms():
    # 0 of n: upper = 1 - (a/2)^(1/n); n of n: lower = (a/2)^(1/n)
    assert clopper_pearson(0, 10)[1] == pytest.approx(1 - 0.025 ** (1 / 10))
    assert clopper_pearson(10, 10)[0] == pytest.approx(0.025 ** (1 / 10))


def test_other_confidence_levels_narrow_the_interval():
    wide = clopper_pearson(12, 14, 0.99)
    narrow = clopper_pearson(12, 14, 0.90)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


def test_impossible_counts_are_errors():
    with pytest.raises(CohortError):
        clopper_pearson(3, 2)


def test_no_denominator_is_not_estimable_and_says_why():
    r = proportion(0, 0, name="complete_remission", n_unknown=2)
    assert not r.estimable and r.estimate is None
    assert "no patient with a known value" in r.reason
    assert "not estimable" in r.text


def test_a_small_denominator_is_flagged():
    with pytest.warns(EstimationWarning, match="only 4 patients"):
        r = proportion(3, 4, label="CR/CRi")
    assert any("only 4" in n for n in r.notes)


# --- the cohort's rates ----------------------------------------------------------------------


@pytest.fixture
def cohort():
    return CohortData.from_documents(
        [
            course("a", response="CR", mrd_negative=True, crs=0, icans=0),
            course("b", response="CRi", mrd_negative=False, crs=1, icans=3),
            course("c", response="PR", crs=3),
            course("d", response="NR", crs=4, icans=1),
            course("e", response=None),
            course("f", response="CR"),  # remission without an MRD result
        ]
    )


def test_response_rates_count_only_known_responses(cohort):
    rates = cohort_rates(cohort)
    cr = rates["complete_remission"]
    assert (cr.k, cr.n, cr.n_unknown, cr.unknown_ids) == (3, 5, 1, ("e",))
    assert (cr.ci_lower, cr.ci_upper) == pytest.approx(clopper_pearson(3, 5), abs=1e-12)
    assert (rates["complete_response"].k, rates["complete_response"].n) == (2, 5)
    assert (rates["overall_response"].k, rates["overall_response"].n) == (4, 5)


def test_mrd_negativity_counts_no_remission_as_not_negative(cohort):
    mrd = cohort_rates(cohort)["mrd_negative"]
    # a: negative; b: positive; c (PR) and d (NR): not an MRD-negative remission;
    # e: response unknown and f: CR without MRD result -> unknown
    assert (mrd.k, mrd.n) == (1, 4)
    assert set(mrd.unknown_ids) == {"e", "f"}


def test_toxicity_any_and_grade_3_or_more(cohort):
    rates = cohort_rates(cohort)
    # CRS grades 0, 1, 3, 4 (0 = stated absent, in the denominator); e and f: not stated
    assert (rates["crs_any"].k, rates["crs_any"].n) == (3, 4)
    assert (rates["crs_grade3plus"].k, rates["crs_grade3plus"].n) == (2, 4)
    assert (rates["icans_any"].k, rates["icans_any"].n) == (2, 3)
    assert (rates["icans_grade3plus"].k, rates["icans_grade3plus"].n) == (1, 3)


def test_rates_are_data(cohort):
    table = cohort_rates(cohort)
    frame = table.to_frame()
    assert list(frame["name"])[:2] == ["complete_remission", "complete_response"]
    assert frame.loc[frame["name"] == "crs_any", "k"].item() == 3
    json.dumps(table.to_dict())


def test_an_empty_cohort_gives_rates_that_say_why():
    table = cohort_rates(CohortData.from_documents([]))
    assert all(not r.estimable and r.reason == "no patients" for r in table.rates)


def test_unknown_rate_names_are_errors(cohort):
    with pytest.raises(CohortError, match="unknown rate"):
        cohort_rates(cohort, ["cure"])
