"""Profile validation: bad input gives a clear, located message; BLQ is derived consistently."""

from __future__ import annotations

import math

import numpy as np
import pytest

from remission.exceptions import KineticsInputError
from remission.kinetics import Profile


def _messages(exc: pytest.ExceptionInfo[KineticsInputError]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_valid_profile_is_read_only_and_keeps_unit():
    p = Profile.from_arrays([0, 7, 14], [0, 1200, 300], lloq=5, unit="copies/ug", label="P1")
    assert len(p) == 3
    assert p.unit == "copies/ug"
    assert p.blq.tolist() == [True, False, False]  # 0 = not detected
    with pytest.raises(ValueError):
        p.values[1] = 1.0
    assert p.lloq_value == 5.0


@pytest.mark.parametrize(
    ("days", "values", "needle"),
    [
        ([0, 7, 3], [1, 2, 3], "increasing order"),
        ([0, 7, 7], [1, 2, 3], "appears twice"),
        ([0, 7, 14], [1, -2, 3], "negative"),
        ([0, "seven", 14], [1, 2, 3], "not a finite number"),
        ([0, 7, 14], [1, "lots", 3], "not a number"),
        ([0, 7, 14], [1, None, 3], "missing"),
        ([0, 7, 14], [1, math.inf, 3], "not a number"),
        ([0, math.nan, 14], [1, 2, 3], "not a finite number"),
    ],
)
def test_bad_input_is_refused_with_the_place(days, values, needle):
    with pytest.raises(KineticsInputError) as exc:
        Profile.from_arrays(days, values, label="case-12")
    text = _messages(exc)
    assert needle in text
    assert "case-12" in text


def test_all_problems_reported_at_once_with_lines():
    with pytest.raises(KineticsInputError) as exc:
        Profile.from_arrays([0, 5, 5, 3], [1, -1, 2, "x"], lines=[2, 3, 4, 5], label="f.csv")
    problems = exc.value.problems
    assert {p.line for p in problems} == {3, 4, 5}
    assert all(p.where == "f.csv" for p in problems)
    assert {p.field for p in problems} >= {"day", "value"}


def test_structural_errors():
    with pytest.raises(KineticsInputError, match="no samples"):
        Profile.from_arrays([], [])
    with pytest.raises(KineticsInputError, match="3 days but 2 values"):
        Profile.from_arrays([0, 1, 2], [1, 2])
    with pytest.raises(KineticsInputError, match="LLOQ -1 is negative"):
        Profile.from_arrays([0, 1], [1, 2], lloq=-1)
    with pytest.raises(KineticsInputError, match="BLQ flag"):
        Profile.from_arrays([0, 1], [1, 2], blq=["maybe", False])


def test_blq_from_flag_lloq_and_zero():
    p = Profile.from_arrays([0, 1, 2, 3, 4], [None, 3, 0, 50, 60], blq=[True, False, False,
                                                                        True, False], lloq=10)
    # flagged; below LLOQ; zero; flagged (value ignored); quantified
    assert p.blq.tolist() == [True, True, True, True, False]
    assert math.isnan(p.values[0])


def test_per_sample_lloq_and_scaling():
    p = Profile.from_arrays([0, 1, 2], [5, 50, 500], lloq=[10, None, 20])
    assert p.blq.tolist() == [True, False, False]
    assert np.isnan(p.lloq[1])
    s = p.scaled(2.0)
    assert s.values.tolist() == [10, 100, 1000]
    assert s.lloq[0] == 20
    with pytest.raises(KineticsInputError):
        p.scaled(0)


def test_pre_infusion_days_allowed():
    p = Profile.from_arrays([-5, 0, 7], [0, 1, 100])
    assert p.post_infusion.tolist() == [False, True, True]
    d = p.to_dict()
    assert d["values"][0] == 0.0 and d["blq"][0] is True
