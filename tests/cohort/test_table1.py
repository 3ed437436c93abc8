"""Table 1 (docs/cohort.md, "Table 1"): medians with IQR (numpy's linear quartiles) and range;
counts with the percentage of the patients for whom the feature is known; series beside the
cases, never pooled into them."""

import json

import numpy as np
import pytest

from remission.casefile import load_file
from remission.cohort import CohortData, table1
from remission.cohort.table1 import INDIVIDUAL
from remission.examples import example_paths

from .builders import course

AGES = [4.0, 9.0, 16.0, 23.0, 61.0]


@pytest.fixture(scope="module")
def data():
    series = load_file(next(p for p in example_paths() if p.name.startswith("seed-004"))).document
    return CohortData.from_documents(
        [
            course("a", age=AGES[0], sex="female", blasts=2, prior_blinatumomab=True),
            course("b", age=AGES[1], sex="male", blasts=35, relapse_sites=("cns",)),
            course("c", age=AGES[2], sex="female", blasts=8, prior_hsct=True),
            course("d", age=AGES[3], sex="female", prior_hsct=True),
            course("e", age=AGES[4], index_relapse=False, complete_history=False),
            series,
        ]
    )


def test_medians_with_iqr_and_range(data):
    age = table1(data).row("Age, years")
    q1, med, q3 = np.percentile(AGES, [25, 50, 75])
    assert (age.median, age.q1, age.q3) == (med, q1, q3) == (16.0, 9.0, 23.0)
    assert (age.minimum, age.maximum, age.n, age.n_missing) == (4.0, 61.0, 5, 0)
    assert age.text == "16.0 (IQR 9.0–23.0; range 4.0–61.0)"


def test_counts_are_percentages_of_the_known(data):
    t = table1(data)
    female = t.row("Sex", "female")
    assert (female.n, female.denominator, female.n_missing) == (3, 4, 1)
    assert female.text == "3 (75.0 %)"
    children = t.row("Age < 18 years")
    assert (children.n, children.denominator) == (3, 5)
    # e has no relapse described and is not a complete history: CNS unknown
    cns = t.row("CNS involvement")
    assert (cns.n, cns.denominator, cns.n_missing) == (1, 4, 1)
    hsct = t.row("Prior allogeneic HSCT")
    assert (hsct.n, hsct.denominator, hsct.n_missing) == (2, 4, 1)


def test_blast_burden(data):
    t = table1(data)
    assert t.row("Marrow blasts before the index therapy, %").median == 8.0
    assert t.row("Marrow blasts before the index therapy, %", ">= 5").n == 2
    assert t.row("Marrow blasts before the index therapy, %", ">= 30").n == 1


def test_the_series_stands_in_its_own_column(data):
    t = table1(data)
    col = "seed-004-blina-paediatric"
    assert t.columns == [INDIVIDUAL, col]
    assert t.row("Patients", column=col).n == 14
    assert t.row("Patients").n == 5  # the cases only: the series is not added in
    assert t.row("Age, years", column=col).median == 9
    stated = t.row("Stated by the source", "marrow blasts above 5% when blinatumomab started", col)
    assert (stated.n, stated.denominator, stated.text) == (8, 14, "8 (57.1 %)")
    wide = t.display_frame()
    assert list(wide.columns) == ["variable", "level", "Individual cases (n=5)",
                                  "seed-004-blina-paediatric (aggregate, n=14)"]  # fmt: skip
    assert wide.iloc[0, 2:].tolist() == ["5", "14"]


def test_an_empty_cohort_does_not_crash():
    t = table1(CohortData.from_documents([]))
    assert t.row("Patients").n == 0
    assert t.row("Age, years").text == "not stated"
    assert t.row("Sex", "female").pct is None
    json.dumps(t.to_dict())
    assert not t.to_frame().empty


def test_long_frame(data):
    frame = table1(data).to_frame()
    assert {"variable", "level", "column", "n", "denominator", "pct", "median", "q1", "q3",
            "minimum", "maximum", "n_missing", "text"} <= set(frame.columns)  # fmt: skip
