"""Pooling individual cases with a published series known only by its counts (docs/cohort.md,
"Aggregate evidence").

Pooled proportion = sum of numerators / sum of denominators, with the exact interval of the
sums; each contribution keeps its source and is labelled individual or aggregate. A count a
series does not state is left out (never read as 0); a rate series never state is refused.
"""

import json

import pytest

from remission.casefile import load_file
from remission.cohort import CohortData, clopper_pearson, pool_rate, pooled_rates
from remission.examples import example_paths
from remission.model import CohortAggregate

from .builders import course

pytestmark = pytest.mark.filterwarnings("ignore::remission.exceptions.EstimationWarning")


@pytest.fixture(scope="module")
def seed_series() -> CohortAggregate:
    path = next(p for p in example_paths() if p.name.startswith("seed-004"))
    doc = load_file(path).document
    assert isinstance(doc, CohortAggregate)
    return doc


@pytest.fixture(scope="module")
def cases():
    return [
        course("a", response="CR", mrd_negative=True, crs=2),
        course("b", response="CRi", mrd_negative=True),
        course("c", response="NR", crs=3),
        course("d", response=None),
    ]


def test_the_seed_series_alone_is_12_of_14(seed_series):
    pooled = pool_rate(CohortData.from_documents([seed_series]), "complete_remission")
    assert (pooled.k, pooled.n) == (12, 14)
    assert (pooled.rate.ci_lower, pooled.rate.ci_upper) == pytest.approx((0.5719, 0.9822), abs=5e-5)
    (only,) = pooled.components
    assert only.kind == "aggregate" and only.source == "seed-004-blina-paediatric"
    assert "Myakova" in only.citation


def test_pooling_the_seed_series_with_individual_cases(seed_series, cases):
    data = CohortData.from_documents([*cases, seed_series])
    pooled = pool_rate(data, "complete_remission")
    # cases: a (CR), b (CRi), c (NR) known, d unknown -> 2 of 3; series: 12 of 14
    assert (pooled.k, pooled.n) == (14, 17)
    assert pooled.rate.estimate == pytest.approx(14 / 17)
    assert (pooled.rate.ci_lower, pooled.rate.ci_upper) == pytest.approx(clopper_pearson(14, 17))
    kinds = {c.source: (c.kind, c.k, c.n, c.included) for c in pooled.components}
    assert kinds == {
        "individual cases (4)": ("individual", 2, 3, True),
        "seed-004-blina-paediatric": ("aggregate", 12, 14, True),
    }
    assert "unknown" in pooled.components[0].reason
    assert any("denominator is all its patients" in n for n in pooled.notes)
    assert any("counted twice" in n for n in pooled.notes)


def test_mrd_negativity_pools_the_stated_count(seed_series, cases):
    pooled = pool_rate(CohortData.from_documents([*cases, seed_series]), "mrd_negative")
    # cases: a, b negative; c (NR) not; d unknown -> 2 of 3; series 12 of 14
    assert (pooled.k, pooled.n) == (14, 17)


def test_a_count_the_series_does_not_state_is_left_out_not_read_as_zero(seed_series, cases):
    pooled = pool_rate(CohortData.from_documents([*cases, seed_series]), "crs_any")
    series = next(c for c in pooled.components if c.kind == "aggregate")
    assert not series.included and series.k is None
    assert "does not state" in series.reason and "unstated is not 0" in series.reason
    assert (pooled.k, pooled.n) == (2, 2)  # the cases alone: a grade 2, c grade 3


@pytest.mark.parametrize("rate", ["complete_response", "overall_response", "icans_grade3plus"])
def test_rates_series_never_state_are_refused_with_the_reason(seed_series, cases, rate):
    pooled = pool_rate(CohortData.from_documents([*cases, seed_series]), rate)
    assert pooled.refused and not pooled.estimable and pooled.rate is None
    assert pooled.reason.startswith("pooling refused: series do not state")


def test_nothing_to_pool():
    pooled = pool_rate(CohortData.from_documents([course("x", crs=None)]), "crs_any")
    assert not pooled.estimable and "no individual case and no series states" in pooled.reason


def test_all_pooled_rates_as_data(seed_series, cases):
    table = pooled_rates(CohortData.from_documents([*cases, seed_series]))
    frame = table.to_frame()
    row = frame.set_index("name").loc["complete_remission"]
    assert (row["k"], row["n"]) == (14, 17)
    assert row["sources"] == "individual cases (4), seed-004-blina-paediatric"
    assert frame.set_index("name").loc["icans_grade3plus", "refused"]
    assert list(table["complete_remission"].to_frame()["kind"]) == [
        "individual",
        "aggregate",
        "pooled",
    ]
    json.dumps(table.to_dict())
