"""NCA against the reference sparse grid (kinetics.md §0) and hand-worked examples (§2.5)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from remission.exceptions import KineticsInputError
from remission.kinetics import (
    STEIN2019_TYPICAL,
    BLQRule,
    Profile,
    auc_interval,
    clean_blq,
    nca,
    stein_concentration,
)

GRID = np.array([0, 1, 3, 7, 10, 14, 21, 28], dtype=float)
LN2 = math.log(2.0)


def typical_grid() -> Profile:
    return Profile.from_arrays(GRID, stein_concentration(GRID, STEIN2019_TYPICAL),
                               unit="copies/ug")


# ---------------------------------------------------------------- reference sparse grid
def test_sparse_grid_linear_trapezoid():
    r = nca(typical_grid(), method="linear")
    assert round(r.auc_0_28) == 180_815
    assert r.method == "linear"


def test_sparse_grid_linear_up_log_down_is_default():
    r = nca(typical_grid())
    assert r.method == "linup_logdown"
    assert round(r.auc_0_28) == 172_539
    assert round(r.cmax) == 21_477
    assert r.tmax == 10.0
    assert r.tlast == 28.0 and r.persistence_censored is True
    assert "linear-up/log-down" in r.method_text and "middle=drop" in r.method_text


def test_window_past_last_quantifiable_sample_is_not_invented():
    r = nca(typical_grid())
    a84 = r.auc(0, 84)
    assert a84 is not None and a84.value is None
    assert "day 28" in a84.reason and "auc_0_84d" in r.unavailable
    r2 = nca(typical_grid(), extrapolate=True)
    a84 = r2.auc(0, 84)
    assert a84.value > r2.auc_0_28 and a84.extrapolated_pct > 0


# ---------------------------------------------------------------- hand-worked BLQ examples
# days 0,1,2,4,6,8 ; values BLQ, 10, BLQ, 40, 20, BLQ ; LLOQ 1
HAND = Profile.from_arrays([0, 1, 2, 4, 6, 8], [None, 10, None, 40, 20, None],
                           blq=[True, False, True, False, False, True], lloq=1.0, unit="cells/uL")
LOG_4_6 = 2 * (40 - 20) / math.log(2)  # 57.7078


def test_hand_default_rule_first_zero_middle_drop_last_zero():
    # cleaned: (0,0) (1,10) (4,40) (6,20) (8,0)
    lin = nca(HAND, windows=[(0, 8)], method="linear")
    assert lin.auc(0, 8).value == pytest.approx(5 + 75 + 60 + 20)
    assert lin.auc_last == pytest.approx(5 + 75 + 60)
    log = nca(HAND, windows=[(0, 8)])
    assert log.auc(0, 8).value == pytest.approx(5 + 75 + LOG_4_6 + 20)
    assert log.auc_last == pytest.approx(5 + 75 + LOG_4_6)
    assert (log.cmax, log.tmax, log.clast, log.tlast) == (40, 4, 20, 6)
    assert log.persistence_days == 6 and not log.persistence_censored
    assert any("between quantifiable levels dropped" in n for n in log.notes)


def test_hand_all_blq_kept_as_zero():
    rule = BLQRule(first="zero", middle="zero", last="zero")
    lin = nca(HAND, windows=[(0, 8)], method="linear", blq_rule=rule)
    assert lin.auc(0, 8).value == pytest.approx(5 + 5 + 40 + 60 + 20)
    log = nca(HAND, windows=[(0, 8)], blq_rule=rule)
    # falling to zero stays linear under linear-up/log-down
    assert log.auc(0, 8).value == pytest.approx(5 + 5 + 40 + LOG_4_6 + 20)


def test_hand_middle_half_lloq():
    rule = BLQRule(middle="half_lloq")
    lin = nca(HAND, windows=[(0, 8)], method="linear", blq_rule=rule)
    assert lin.auc(0, 8).value == pytest.approx(5 + 5.25 + 40.5 + 60 + 20)
    log = nca(HAND, windows=[(0, 8)], blq_rule=rule)
    falling = (10 - 0.5) / math.log(20)
    assert log.auc(0, 8).value == pytest.approx(5 + falling + 40.5 + LOG_4_6 + 20)


def test_hand_last_drop_leaves_window_open():
    r = nca(HAND, windows=[(0, 8)], blq_rule=BLQRule(last="drop"))
    assert r.auc(0, 8).value is None
    assert "day 6" in r.auc(0, 8).reason
    assert r.auc_last == pytest.approx(5 + 75 + LOG_4_6)


def test_hand_first_drop_without_day0_imputation():
    r = nca(HAND, windows=[(0, 8)], blq_rule=BLQRule(first="drop"), conc0=None)
    assert r.auc(0, 8).value is None and "day 0" in r.auc(0, 8).reason
    # with the default day-0 imputation, dropping the day-0 BLQ is the same as keeping it as 0
    r0 = nca(HAND, windows=[(0, 8)], blq_rule=BLQRule(first="drop"))
    assert r0.auc(0, 8).value == pytest.approx(5 + 75 + LOG_4_6 + 20)


def test_half_lloq_needs_lloq():
    p = Profile.from_arrays([0, 1, 2, 3], [5, None, 7, 3], blq=[False, True, False, False])
    with pytest.raises(KineticsInputError, match="half_lloq needs the LLOQ"):
        nca(p, blq_rule=BLQRule(middle="half_lloq"))
    with pytest.raises(KineticsInputError, match="zero, drop or half_lloq"):
        BLQRule(first="keep")


def test_clean_blq_marks_imputed_points():
    c = clean_blq(HAND)
    assert c.days.tolist() == [0, 1, 4, 6, 8]
    assert c.levels.tolist() == [0, 10, 40, 20, 0]
    assert c.imputed.tolist() == [True, False, False, False, True]


# ---------------------------------------------------------------- interpolation in a window
def test_window_end_interpolated_consistently_with_method():
    p = Profile.from_arrays([0, 2, 6], [0, 8, 2])
    lin = nca(p, windows=[(0, 4)], method="linear").auc(0, 4).value
    assert lin == pytest.approx(8 + 2 * (8 + 5) / 2)  # level 5 at day 4
    log = nca(p, windows=[(0, 4)]).auc(0, 4).value
    assert log == pytest.approx(8 + 2 * (8 - 4) / LN2)  # level 4 at day 4 (log)
    assert auc_interval([0, 2, 6], [0, 8, 2], 1, 4, "linear") == pytest.approx(
        1 * (4 + 8) / 2 + 2 * (8 + 5) / 2)


def test_no_day0_sample_assumes_zero():
    p = Profile.from_arrays([2, 4], [10, 20])
    r = nca(p, windows=[(0, 4)], method="linear")
    assert r.auc(0, 4).value == pytest.approx(10 + 30)
    assert any("no sample on day 0" in n for n in r.notes)


# ---------------------------------------------------------------- terminal phase
def test_terminal_half_life_of_an_exact_exponential():
    days = np.array([0, 1, 2, 4, 8, 12], dtype=float)
    lev = np.where(days < 2, [1, 20, 0, 0, 0, 0], 100 * np.exp(-0.1 * (days - 2)))
    lev[0] = 0.0
    r = nca(Profile.from_arrays(days, lev, lloq=0.5))
    assert r.tmax == 2
    assert r.lambda_z == pytest.approx(0.1, rel=1e-9)
    assert r.half_life == pytest.approx(10 * LN2, rel=1e-9)
    assert r.terminal.n_points == 3
    clast = 100 * math.exp(-1.0)
    assert r.auc_inf == pytest.approx(r.auc_last + clast / 0.1)
    assert r.auc(0, math.inf).extrapolated_pct == pytest.approx(
        100 * (clast / 0.1) / r.auc_inf)


def test_terminal_phase_prefers_more_points_within_tolerance():
    days = np.array([0, 5, 10, 20, 30, 40, 50], dtype=float)
    lev = np.array([0, 1000, 500, 250, 125, 62.5, 31.25])
    r = nca(Profile.from_arrays(days, lev))
    assert r.terminal.n_points == 5  # all points after Tmax lie on one line
    assert r.half_life == pytest.approx(10.0)


def test_no_terminal_phase_when_rising_or_too_few():
    r = nca(Profile.from_arrays([0, 3, 7, 10], [0, 10, 100, 1000]))
    assert r.half_life is None and "fewer than 3" in r.unavailable["half_life"]
    assert any("peak may lie later" in n for n in r.notes)
    r2 = nca(Profile.from_arrays([0, 3, 7, 10, 14, 21], [0, 1000, 100, 120, 150, 200]))
    assert r2.half_life is None and "not declining" in r2.unavailable["half_life"]


@pytest.mark.parametrize("k", [1.0, 0.5, 3.0])
def test_equal_levels_after_the_peak_are_flat_at_any_scale(k):
    # three equal levels after Tmax: ln(level) differs only by rounding, which must not be
    # read as a decline (a λz of ~1e-17/day gave an AUC0-inf of ~1e35); found by hypothesis
    days = [0, 1, 2, 3, 4, 5, 6, 7]
    levels = np.array([0, 0, 0, 182105.0, 182104.5, 182104.5, 0, 182104.5]) * k
    r = nca(Profile.from_arrays(days, levels))
    assert r.half_life is None and "not declining" in r.unavailable["half_life"]
    assert r.auc_inf is None


# ---------------------------------------------------------------- thin and bad data
def test_all_blq_profile_says_what_cannot_be_computed():
    p = Profile.from_arrays([0, 7, 14, 28], [None] * 4, blq=[True] * 4, lloq=10)
    r = nca(p)
    assert r.cmax is None and r.auc_0_28 is None and r.half_life is None
    assert not r.detected and r.persistence_days is None and not r.persistence_censored
    assert "all 4 samples below quantification" in r.unavailable["cmax"]
    assert set(r.unavailable) >= {"cmax", "tmax", "tlast", "auc_0_28d", "auc_last", "auc_inf"}
    json.dumps(r.to_dict(), allow_nan=False)


def test_single_point():
    r = nca(Profile.from_arrays([10], [5000]))
    assert (r.cmax, r.tmax) == (5000, 10)
    assert r.auc_0_28 is None and "two post-infusion samples" in r.unavailable["auc_0_28d"]
    assert r.auc_last is None


def test_pre_infusion_samples_ignored():
    p = Profile.from_arrays([-7, 0, 7, 14], [900, 0, 100, 50])
    r = nca(p)
    assert r.cmax == 100 and r.n_pre_infusion == 1
    assert any("pre-infusion" in n for n in r.notes)


def test_tmax_first_of_ties_and_json():
    r = nca(Profile.from_arrays([0, 5, 9, 12], [0, 300, 300, 10]))
    assert r.tmax == 5
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["metrics"]["auc_0_28d"]["label"] == "AUC0–28d"
    assert d["metrics"]["cmax"]["cdisc"] == "CMAX"
    assert d["metrics"]["auc_0_28d"]["unit"] == "day"  # unitless profile
    assert nca(typical_grid()).to_dict()["metrics"]["auc_0_28d"]["unit"] == "copies·day/ug"


def test_bad_options():
    with pytest.raises(KineticsInputError, match="AUC method"):
        nca(typical_grid(), method="cubic")
    with pytest.raises(KineticsInputError, match="window"):
        nca(typical_grid(), windows=[(28, 0)])


# ---------------------------------------------------------------- properties
@st.composite
def profiles(draw):
    n = draw(st.integers(2, 12))
    gaps = draw(st.lists(st.floats(0.25, 40), min_size=n, max_size=n))
    days = np.cumsum(gaps) - gaps[0]
    vals = draw(st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1e6)), min_size=n, max_size=n))
    return days, np.array(vals)


@settings(max_examples=150, deadline=None)
@given(profiles(), st.sampled_from(["linear", "linup_logdown"]))
def test_auc_non_negative(pv, method):
    days, vals = pv
    r = nca(Profile.from_arrays(days, vals), method=method, windows=[(0, 28)])
    for a in r.aucs:
        assert a.value is None or a.value >= 0


@settings(max_examples=150, deadline=None)
@given(profiles(), st.floats(1e-3, 1e3), st.sampled_from(["linear", "linup_logdown"]))
def test_scaling_values_scales_auc_and_cmax(pv, k, method):
    days, vals = pv
    p = Profile.from_arrays(days, vals)
    r1 = nca(p, method=method)
    r2 = nca(p.scaled(k), method=method)
    if r1.cmax is None:
        assert r2.cmax is None
        return
    assert r2.cmax == pytest.approx(k * r1.cmax, rel=1e-9)
    assert r2.tmax == r1.tmax
    for a1, a2 in zip(r1.aucs, r2.aucs, strict=True):
        if a1.value is None:
            assert a2.value is None
        else:
            assert a2.value == pytest.approx(k * a1.value, rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(profiles(), st.floats(0.25, 100), st.floats(0.01, 1e6),
       st.sampled_from(["linear", "linup_logdown"]))
def test_adding_a_later_point_never_lowers_auc_last(pv, gap, value, method):
    days, vals = pv
    r1 = nca(Profile.from_arrays(days, vals), method=method)
    assume(r1.auc_last is not None)
    r2 = nca(Profile.from_arrays(np.append(days, days[-1] + gap), np.append(vals, value)),
             method=method)
    assert r2.auc_last >= r1.auc_last * (1 - 1e-12)


@settings(max_examples=150, deadline=None)
@given(profiles())
def test_log_down_never_exceeds_linear(pv):
    days, vals = pv
    p = Profile.from_arrays(days, vals)
    lin, log = nca(p, method="linear"), nca(p)
    if lin.auc_last is not None:
        assert log.auc_last <= lin.auc_last * (1 + 1e-12)
