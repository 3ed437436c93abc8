"""Blinatumomab exposure: label doses against Clements 2020 typical values (kinetics.md §4)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.integrate import quad

from remission.exceptions import KineticsInputError
from remission.kinetics import (
    CLEMENTS2020,
    REGIMENS,
    BlinatumomabPK,
    InfusionStep,
    Regimen,
    blinatumomab_exposure,
    body_surface_area,
    label_regimen,
)


def test_adult_label_steady_states():
    e = blinatumomab_exposure("rr_adult_cycle1")
    css9, css28 = e.css_pg_per_ml
    assert css9 == pytest.approx(168.9, abs=0.05)  # kinetics.md §4.2: ≈169 pg/mL
    assert css28 == pytest.approx(525.5, abs=0.05)  # ≈526 pg/mL
    assert e.total_dose_ug == 651
    assert e.auc_inf_h_ug_per_l == pytest.approx(293.2, abs=0.05)
    assert e.auc_cycle_h_ug_per_l == pytest.approx(e.auc_inf_h_ug_per_l, rel=1e-9)
    assert e.half_life_h == pytest.approx(1.87, abs=0.005)
    assert e.time_to_steady_state_h[0.9] == pytest.approx(6.2, abs=0.05)
    assert e.time_to_steady_state_h[0.95] == pytest.approx(8.1, abs=0.05)
    assert e.time_to_steady_state_h[0.99] == pytest.approx(12.4, abs=0.05)


def test_steady_state_within_a_day_and_washout():
    e = blinatumomab_exposure("mrd_adult")
    c = e.concentration([0.0, 24.0, 28 * 24.0, 28 * 24.0 + 24.0])
    assert c[0] == 0.0
    assert c[1] == pytest.approx(525.5, rel=1e-3)
    assert c[2] == pytest.approx(28_000 / 24 / 2.22, rel=1e-9)
    assert c[3] < 1.0


def test_cycle_auc_is_the_integral_of_the_curve():
    e = blinatumomab_exposure("rr_adult_cycle1")
    end = 42 * 24.0
    num, _ = quad(lambda t: float(e.concentration([t])[0]), 0, end,
                  points=[168.0, 672.0], limit=400)
    assert num / 1000.0 == pytest.approx(e.auc_cycle_h_ug_per_l, rel=1e-6)


def test_paediatric_per_m2_dosing_with_bsa():
    e = blinatumomab_exposure("rr_paediatric_cycle1", bsa_m2=1.0)
    assert [s.ug_per_day for s in e.steps] == pytest.approx([5.0, 15.0])
    # derived figures of kinetics.md §4.3 (BSA exponent 0.612, back-calculated)
    assert e.css_pg_per_ml[1] == pytest.approx(414, abs=1)
    assert blinatumomab_exposure("rr_paediatric_later", bsa_m2=0.5).css_pg_per_ml[0] == \
        pytest.approx(316, abs=1)
    assert blinatumomab_exposure("rr_paediatric_later", bsa_m2=1.5).css_pg_per_ml[0] == \
        pytest.approx(485, abs=1)
    assert any("not a published estimate" in n for n in e.notes)


def test_bsa_exponent_reproduces_published_clearance_drop():
    assert CLEMENTS2020.clearance(0.37) / CLEMENTS2020.clearance(1.88) == pytest.approx(0.37)
    assert CLEMENTS2020.clearance() == 2.22


def test_per_m2_caps_apply():
    e = blinatumomab_exposure("rr_paediatric_cycle1", bsa_m2=2.2)
    assert [s.ug_per_day for s in e.steps] == [9, 28]
    assert all(s.capped for s in e.steps)


def test_bsa_formulas_and_height_weight():
    assert body_surface_area(180, 80) == pytest.approx(math.sqrt(180 * 80 / 3600))
    assert body_surface_area(180, 80, "dubois") == pytest.approx(
        0.007184 * 80**0.425 * 180**0.725)
    e = blinatumomab_exposure("rr_paediatric_later", height_cm=120, weight_kg=25)
    assert e.bsa_formula == "mosteller"
    assert e.bsa_m2 == pytest.approx(math.sqrt(120 * 25 / 3600))
    with pytest.raises(KineticsInputError):
        body_surface_area(0, 80)


def test_label_regimen_by_weight():
    assert label_regimen(70) is REGIMENS["rr_adult_cycle1"]
    assert label_regimen(30) is REGIMENS["rr_paediatric_cycle1"]
    assert label_regimen(45, cycle=2) is REGIMENS["rr_adult_later"]
    assert label_regimen(20, indication="mrd") is REGIMENS["mrd_paediatric"]


def test_regimens_are_validated():
    with pytest.raises(KineticsInputError, match="either"):
        Regimen("x", (InfusionStep(0, 7),))
    with pytest.raises(KineticsInputError, match="overlaps"):
        Regimen("x", (InfusionStep(0, 7, ug_per_day=9), InfusionStep(5, 28, ug_per_day=28)))
    with pytest.raises(KineticsInputError, match="cycle shorter"):
        Regimen("x", (InfusionStep(0, 28, ug_per_day=28),), cycle_length_days=20)
    with pytest.raises(KineticsInputError, match="body-surface area"):
        blinatumomab_exposure("rr_paediatric_cycle1")
    with pytest.raises(KineticsInputError, match="unknown regimen"):
        blinatumomab_exposure("weekly")


def test_interrupted_infusion_and_time_above_threshold():
    reg = Regimen("with a 2-day interruption", (
        InfusionStep(0, 10, ug_per_day=28), InfusionStep(12, 28, ug_per_day=28)), 42)
    e = blinatumomab_exposure(reg, thresholds_pg_per_ml=[470])
    assert e.total_dose_ug == 28 * 26
    assert e.auc_cycle_h_ug_per_l == pytest.approx(28 * 26 / 2.22, rel=1e-9)
    # 26 days on, minus the climb to 470 pg/mL after each start, plus the fall after each stop
    k, css = 2.22 / 5.98, 28_000 / 24 / 2.22
    rise, fall = -math.log(1 - 470 / css) / k, math.log(css / 470) / k
    assert e.time_above_h[470.0] == pytest.approx(26 * 24 - 2 * rise + 2 * fall, abs=0.1)
    c = e.concentration(np.array([11 * 24.0]))
    assert c[0] < 1.0
    json.dumps(e.to_dict(), allow_nan=False)


def test_custom_model():
    pk = BlinatumomabPK(cl_l_per_h=3.10, v_l=5.27)
    e = blinatumomab_exposure("mrd_adult", pk=pk)
    assert e.css_pg_per_ml[0] == pytest.approx(28000 / 24 / 3.10)
