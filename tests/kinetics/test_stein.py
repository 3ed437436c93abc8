"""Stein 2019 closed form, exact AUCs and simulation against shared/reference/kinetics.md §0."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad, solve_ivp

from remission.exceptions import KineticsInputError
from remission.kinetics import (
    STEIN2019_TYPICAL,
    SteinParams,
    sample_patient_params,
    simulate_profile,
    stein_auc,
    stein_concentration,
)

P = STEIN2019_TYPICAL

# kinetics.md §0 table (copies/µg), typical patient
# (as printed there: at least 4 significant figures)
TABLE = {
    0: "6.154", 1: "14.97", 3: "88.62", 7: "3105", 10: "21477", 14: "11412", 21: "3845",
    28: "1374", 56: "176.8", 90: "146.5", 180: "109.8", 365: "60.74",
}


@pytest.mark.parametrize(("day", "printed"), sorted(TABLE.items()))
def test_closed_form_matches_reference_table(day, printed):
    value = float(stein_concentration([day], P)[0])
    digits = sum(c.isdigit() for c in printed.lstrip("0."))
    assert digits >= 4
    assert f"{value:.{digits}g}" == printed


def test_derived_quantities():
    assert P.rho == pytest.approx(0.8891, abs=5e-5)
    assert P.r0 == pytest.approx(6.154, abs=5e-4)
    assert P.doubling_time == pytest.approx(0.780, abs=5e-4)
    assert P.fast_half_life == pytest.approx(4.33, abs=5e-3)
    assert P.terminal_half_life == pytest.approx(216.6, abs=0.05)
    assert P.k == pytest.approx(0.0079 * (0.16 - 0.0032))


def test_peak_and_continuity_at_tmax():
    c = stein_concentration([P.tmax - 1e-9, P.tmax, P.tmax + 1e-9], P)
    assert c == pytest.approx([24000.0] * 3, rel=1e-7)


def test_zero_before_infusion():
    assert stein_concentration([-1.0, -0.001], P).tolist() == [0.0, 0.0]


def test_exact_aucs_of_typical_parameters():
    assert round(stein_auc(P, 0, 28)) == 171_774
    assert round(stein_auc(P, 0, math.inf)) == 235_051
    assert round(stein_auc(P, 0, P.tmax)) == 26_986  # expansion part
    assert stein_auc(P, -10, 28) == pytest.approx(stein_auc(P, 0, 28))
    assert stein_auc(P, 5, 5) == 0.0
    with pytest.raises(KineticsInputError):
        stein_auc(P, 28, 0)


def test_auc_additive_and_matches_quadrature():
    parts = stein_auc(P, 0, 3) + stein_auc(P, 3, 20) + stein_auc(P, 20, 100)
    assert parts == pytest.approx(stein_auc(P, 0, 100), rel=1e-12)
    num, _ = quad(lambda t: float(stein_concentration([t], P)[0]), 0, 28, points=[P.tmax],
                  epsabs=1e-6, epsrel=1e-12, limit=200)
    assert num == pytest.approx(stein_auc(P, 0, 28), rel=1e-9)


def test_closed_form_agrees_with_ode_solution():
    """E' = ρE before Tmax; after: E' = −αE, M' = kE − βM; C = E + M (kinetics.md §0)."""
    p = P
    grow = solve_ivp(lambda t, y: [p.rho * y[0], 0.0], (0, p.tmax), [p.r0, 0.0],
                     rtol=1e-12, atol=1e-12, dense_output=True)
    e0, m0 = grow.y[:, -1]

    def after(t, y):
        return [-p.alpha * y[0], p.k * y[0] - p.beta * y[1]]

    tail = solve_ivp(after, (p.tmax, 365), [e0, m0], rtol=1e-12, atol=1e-12, dense_output=True)
    for day in [0, 1, 3, 7, 9]:
        ode = grow.sol(day).sum()
        assert ode == pytest.approx(float(stein_concentration([day], p)[0]), rel=1e-8)
    for day in [10, 14, 21, 28, 56, 90, 180, 365]:
        ode = tail.sol(day).sum()
        assert ode == pytest.approx(float(stein_concentration([day], p)[0]), rel=1e-8)


params_st = st.builds(
    SteinParams,
    foldx=st.floats(2, 1e6), tmax=st.floats(2, 30), cmax=st.floats(1, 1e6),
    alpha=st.floats(0.02, 2), fb=st.floats(1e-4, 0.5), beta=st.floats(1e-4, 0.019),
)


@settings(max_examples=60, deadline=None)
@given(params_st, st.floats(0, 400))
def test_auc_positive_monotone_and_bounded(p, end):
    a = stein_auc(p, 0, end)
    assert a >= 0
    assert stein_auc(p, 0, end + 1) >= a
    assert a <= stein_auc(p, 0, math.inf) * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(params_st)
def test_peak_is_cmax(p):
    grid = np.linspace(0, 400, 4001)
    assert float(np.max(stein_concentration(grid, p))) <= p.cmax * (1 + 1e-9)
    assert float(stein_concentration([p.tmax], p)[0]) == pytest.approx(p.cmax, rel=1e-9)


def test_invalid_parameters_are_refused():
    with pytest.raises(KineticsInputError, match="fb must be below 1"):
        SteinParams(3900, 9.3, 24000, 0.16, 1.0, 0.0032)
    with pytest.raises(KineticsInputError, match="tmax must be a positive"):
        SteinParams(3900, -1, 24000, 0.16, 0.01, 0.0032)
    with pytest.raises(KineticsInputError, match="unknown Stein parameter"):
        P.replace(gamma=1.0)
    assert P.replace(cmax=100.0).cmax == 100.0


def test_simulation_without_noise_is_the_curve_and_lloq_marks_blq():
    days = [-1, 0, 3, 10, 28, 180]
    prof = simulate_profile(P, days, sigma=0.0, lloq=10.0)
    assert prof.blq.tolist() == [True, True, False, False, False, False]
    assert prof.values[2:] == pytest.approx(stein_concentration(days[2:], P))


def test_simulation_is_seeded_and_log_normal():
    days = np.full(1, 14.0)
    a = simulate_profile(P, [14.0], sigma=0.56, rng=7).values
    b = simulate_profile(P, [14.0], sigma=0.56, rng=7).values
    assert a.tolist() == b.tolist()
    rng = np.random.default_rng(11)
    draws = np.array([simulate_profile(P, days, rng=rng).values[0] for _ in range(2000)])
    resid = np.log(draws) - math.log(float(stein_concentration(days, P)[0]))
    assert abs(resid.mean()) < 0.04
    assert resid.std() == pytest.approx(0.56, rel=0.06)


def test_virtual_patients():
    pats = sample_patient_params(300, rng=3)
    assert len(pats) == 300
    assert all(p.alpha > p.beta and 0 < p.fb < 1 for p in pats)
    med_tmax = np.median([p.tmax for p in pats])
    assert med_tmax == pytest.approx(9.3, rel=0.15)
    sd = sample_patient_params(300, omega_is="sd", rng=3)
    spread_var = np.std(np.log([p.cmax for p in pats]))
    spread_sd = np.std(np.log([p.cmax for p in sd]))
    assert spread_var == pytest.approx(math.sqrt(0.65), rel=0.15)
    assert spread_sd == pytest.approx(0.65, rel=0.15)
