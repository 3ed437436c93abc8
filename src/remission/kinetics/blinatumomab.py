"""Blinatumomab exposure under continuous infusion: Css, cycle AUC, time to steady state.

Population PK: Clements JD, Zhu M, Kuchimanchi M, Terminello B, Doshi S. Population
pharmacokinetics of blinatumomab in adult and pediatric patients with hematological
malignancies. Clin Pharmacokinet 2020;59:463–474 (reference kinetics.md §4.2): one compartment,
linear, first-order elimination, CL 2.22 L/h, V 5.98 L, body-surface area the only covariate (on
CL; the smallest BSA, 0.37 m², had 63 % lower CL than the median adult BSA, 1.88 m²).
Regimens: the label (kinetics.md §4.1; clinical-criteria.md): r/r B-ALL ≥45 kg 9 µg/day days
1–7 then 28 µg/day days 8–28; <45 kg 5 µg/m²/day (max 9) then 15 µg/m²/day (max 28); later
cycles and MRD-positive disease at the higher dose from day 1; 28 days on, 14 days off.

With a zero-order input R and k = CL/V: C(t) = (R/CL)(1 − e^(−kt)) during an infusion step,
exponential decline after it, superposed over steps; Css = R/CL; AUC to infinity = dose/CL. See
docs/kinetics.md "Blinatumomab".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from remission.exceptions import KineticsInputError, Problem

__all__ = [
    "CLEMENTS2020",
    "REGIMENS",
    "BlinatumomabExposure",
    "BlinatumomabPK",
    "InfusionStep",
    "Regimen",
    "StepExposure",
    "blinatumomab_exposure",
    "body_surface_area",
    "label_regimen",
]

BSAFormula = Literal["mosteller", "dubois"]


def body_surface_area(
    height_cm: float, weight_kg: float, formula: BSAFormula = "mosteller"
) -> float:
    """Body-surface area in m².

    Mosteller RD, N Engl J Med 1987;317:1098: √(height[cm]·weight[kg]/3600). DuBois D, DuBois EF,
    Arch Intern Med 1916;17:863: 0.007184·weight^0.425·height^0.725. kinetics.md §4.4 asks that
    the formula be recorded with the result.
    """
    if not (
        height_cm > 0 and weight_kg > 0 and math.isfinite(height_cm) and math.isfinite(weight_kg)
    ):
        raise KineticsInputError(
            [Problem("height and weight must be positive numbers", field="bsa")]
        )
    if formula == "mosteller":
        return math.sqrt(height_cm * weight_kg / 3600.0)
    if formula == "dubois":
        return 0.007184 * weight_kg**0.425 * height_cm**0.725
    raise KineticsInputError(
        [Problem(f"BSA formula {formula!r}: use mosteller or dubois", field="bsa_formula")]
    )


@dataclass(frozen=True)
class BlinatumomabPK:
    """One-compartment linear model (Clements et al. 2020; kinetics.md §4.2).

    ``bsa_exponent`` is a power on (BSA/1.88 m²) for CL. The default 0.612 is *derived*, not a
    published estimate: it is the exponent that reproduces the published "63 % lower CL at
    0.37 m² than at 1.88 m²" (kinetics.md §4.2); replace it when the paper's table is checked.
    """

    cl_l_per_h: float = 2.22
    v_l: float = 5.98
    bsa_reference_m2: float = 1.88
    bsa_exponent: float = math.log(0.37) / math.log(0.37 / 1.88)
    source: str = "Clements et al. 2020 Clin Pharmacokinet 59:463 (one-compartment popPK)"

    def clearance(self, bsa_m2: float | None = None) -> float:
        """CL in L/h; scaled by (BSA/1.88)^exponent when BSA is given."""
        if bsa_m2 is None:
            return self.cl_l_per_h
        return self.cl_l_per_h * (bsa_m2 / self.bsa_reference_m2) ** self.bsa_exponent


#: Typical-value model of Clements 2020.
CLEMENTS2020 = BlinatumomabPK()


@dataclass(frozen=True)
class InfusionStep:
    """A constant-rate infusion from ``start_day`` to ``end_day`` (days from cycle start, 0-based:
    label days 1–7 are 0 to 7). Exactly one of ``ug_per_day`` (flat) and ``ug_per_m2_per_day``
    (BSA-based, with optional ``max_ug_per_day`` cap) is given."""

    start_day: float
    end_day: float
    ug_per_day: float | None = None
    ug_per_m2_per_day: float | None = None
    max_ug_per_day: float | None = None

    def rate_ug_per_day(self, bsa_m2: float | None) -> tuple[float, bool]:
        """Dose rate in µg/day and whether the cap applied."""
        if self.ug_per_day is not None:
            return self.ug_per_day, False
        assert self.ug_per_m2_per_day is not None
        if bsa_m2 is None:
            raise KineticsInputError(
                [
                    Problem(
                        "a per-m² dose needs the body-surface area (give bsa, or height and weight)",
                        field="bsa",
                    )
                ]
            )
        r = self.ug_per_m2_per_day * bsa_m2
        if self.max_ug_per_day is not None and r > self.max_ug_per_day:
            return self.max_ug_per_day, True
        return r, False

    def describe(self) -> str:
        days = f"days {self.start_day + 1:g}–{self.end_day:g}"
        if self.ug_per_day is not None:
            return f"{self.ug_per_day:g} µg/day {days}"
        cap = f" (max {self.max_ug_per_day:g} µg/day)" if self.max_ug_per_day else ""
        return f"{self.ug_per_m2_per_day:g} µg/m²/day{cap} {days}"


@dataclass(frozen=True)
class Regimen:
    """Infusion steps of one cycle and the cycle length (days). Regimens are data."""

    name: str
    steps: tuple[InfusionStep, ...]
    cycle_length_days: float = 42.0
    source: str = ""

    def __post_init__(self) -> None:
        problems = []
        prev_end = 0.0
        for i, s in enumerate(self.steps):
            f = f"steps[{i}]"
            if (s.ug_per_day is None) == (s.ug_per_m2_per_day is None):
                problems.append(Problem("give either µg/day or µg/m²/day", field=f))
            for name in ("ug_per_day", "ug_per_m2_per_day", "max_ug_per_day"):
                val = getattr(s, name)
                if val is not None and not (val > 0 and math.isfinite(val)):
                    problems.append(Problem(f"{name} must be positive", field=f))
            if not (s.end_day > s.start_day >= 0):
                problems.append(Problem("needs 0 <= start_day < end_day", field=f))
            elif s.start_day < prev_end - 1e-12:
                problems.append(Problem("overlaps the previous step", field=f))
            prev_end = max(prev_end, s.end_day)
        if not self.steps:
            problems.append(Problem("a regimen needs at least one infusion step", field="steps"))
        if self.cycle_length_days < prev_end:
            problems.append(Problem("cycle shorter than its infusion", field="cycle_length_days"))
        if problems:
            raise KineticsInputError(problems)

    def describe(self) -> str:
        return (
            "; ".join(s.describe() for s in self.steps) + f"; cycle {self.cycle_length_days:g} days"
        )


_LABEL = "Blincyto label dosing (kinetics.md §4.1; clinical-criteria.md)"
#: Label regimens by key (kinetics.md §4.1).
REGIMENS: dict[str, Regimen] = {
    "rr_adult_cycle1": Regimen(
        "r/r B-ALL ≥45 kg, cycle 1",
        (InfusionStep(0, 7, ug_per_day=9), InfusionStep(7, 28, ug_per_day=28)),
        42,
        _LABEL,
    ),
    "rr_adult_later": Regimen(
        "r/r B-ALL ≥45 kg, cycle 2 and later", (InfusionStep(0, 28, ug_per_day=28),), 42, _LABEL
    ),
    "rr_paediatric_cycle1": Regimen(
        "r/r B-ALL <45 kg, cycle 1",
        (
            InfusionStep(0, 7, ug_per_m2_per_day=5, max_ug_per_day=9),
            InfusionStep(7, 28, ug_per_m2_per_day=15, max_ug_per_day=28),
        ),
        42,
        _LABEL,
    ),
    "rr_paediatric_later": Regimen(
        "r/r B-ALL <45 kg, cycle 2 and later",
        (InfusionStep(0, 28, ug_per_m2_per_day=15, max_ug_per_day=28),),
        42,
        _LABEL,
    ),
    "mrd_adult": Regimen(
        "MRD-positive B-ALL ≥45 kg", (InfusionStep(0, 28, ug_per_day=28),), 42, _LABEL
    ),
    "mrd_paediatric": Regimen(
        "MRD-positive B-ALL <45 kg",
        (InfusionStep(0, 28, ug_per_m2_per_day=15, max_ug_per_day=28),),
        42,
        _LABEL,
    ),
}


def label_regimen(
    weight_kg: float, *, indication: Literal["rr", "mrd"] = "rr", cycle: int = 1
) -> Regimen:
    """The label regimen for a body weight: flat dosing at ≥45 kg, per-m² below (§4.1)."""
    if not (weight_kg > 0):
        raise KineticsInputError([Problem("weight must be positive", field="weight_kg")])
    group = "adult" if weight_kg >= 45 else "paediatric"
    if indication == "mrd":
        return REGIMENS[f"mrd_{group}"]
    return REGIMENS[f"rr_{group}_{'cycle1' if cycle <= 1 else 'later'}"]


@dataclass(frozen=True)
class StepExposure:
    """One infusion step: dose rate actually given and its steady-state level."""

    start_day: float
    end_day: float
    ug_per_day: float
    capped: bool
    css_pg_per_ml: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_day": self.start_day,
            "end_day": self.end_day,
            "ug_per_day": self.ug_per_day,
            "capped": self.capped,
            "css_pg_per_ml": self.css_pg_per_ml,
        }


@dataclass(frozen=True, eq=False)
class BlinatumomabExposure:
    """Exposure of one regimen cycle under the one-compartment model.

    Concentrations in pg/mL (= ng/L), AUC in h·µg/L (= h·ng/mL), times in hours unless named
    in days. ``time_to_steady_state_h`` maps a fraction (0.9, 0.95, 0.99) to the hours after a
    rate change needed to reach it: −ln(1−f)/k.
    """

    regimen: Regimen
    clearance_l_per_h: float
    volume_l: float
    bsa_m2: float | None
    bsa_formula: str | None
    steps: tuple[StepExposure, ...]
    total_dose_ug: float
    auc_cycle_h_ug_per_l: float
    auc_inf_h_ug_per_l: float
    time_to_steady_state_h: dict[float, float]
    time_above_h: dict[float, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    model_source: str = CLEMENTS2020.source

    @property
    def k_per_h(self) -> float:
        return self.clearance_l_per_h / self.volume_l

    @property
    def half_life_h(self) -> float:
        return math.log(2) / self.k_per_h

    @property
    def css_pg_per_ml(self) -> tuple[float, ...]:
        return tuple(s.css_pg_per_ml for s in self.steps)

    def concentration(self, hours: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Serum level (pg/mL) at ``hours`` from the cycle start (superposed steps)."""
        t = np.asarray(hours, dtype=float)
        k, cl = self.k_per_h, self.clearance_l_per_h
        c = np.zeros_like(t)
        for s in self.steps:
            a, b = s.start_day * 24.0, s.end_day * 24.0
            r = s.ug_per_day / 24.0
            on = np.clip(t, a, b) - a
            after = np.maximum(t - b, 0.0)
            c += np.where(t > a, r / cl * -np.expm1(-k * on) * np.exp(-k * after), 0.0)
        return c * 1000.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "regimen": self.regimen.name,
            "regimen_text": self.regimen.describe(),
            "model": self.model_source,
            "clearance_l_per_h": self.clearance_l_per_h,
            "volume_l": self.volume_l,
            "half_life_h": self.half_life_h,
            "bsa_m2": self.bsa_m2,
            "bsa_formula": self.bsa_formula,
            "steps": [s.to_dict() for s in self.steps],
            "total_dose_ug": self.total_dose_ug,
            "auc_cycle_h_ug_per_l": self.auc_cycle_h_ug_per_l,
            "auc_inf_h_ug_per_l": self.auc_inf_h_ug_per_l,
            "time_to_steady_state_h": {
                f"{f * 100:g}%": v for f, v in self.time_to_steady_state_h.items()
            },
            "time_above_h": {f"{k:g} pg/mL": v for k, v in self.time_above_h.items()},
            "notes": list(self.notes),
        }


def _step_auc(r_ug_h: float, a: float, b: float, end: float, k: float, cl: float) -> float:
    """∫_0^end of one step's level (µg/L·h) for an infusion from a to b hours."""
    if end <= a:
        return 0.0
    on_end = min(b, end)
    d = on_end - a
    during = r_ug_h / cl * (d + math.expm1(-k * d) / k)
    if end <= b:
        return during
    level_b = r_ug_h / cl * -math.expm1(-k * d)
    return during + level_b * -math.expm1(-k * (end - b)) / k


def blinatumomab_exposure(
    regimen: Regimen | str,
    *,
    bsa_m2: float | None = None,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    bsa_formula: BSAFormula = "mosteller",
    pk: BlinatumomabPK = CLEMENTS2020,
    thresholds_pg_per_ml: Sequence[float] = (),
    fractions: Sequence[float] = (0.9, 0.95, 0.99),
) -> BlinatumomabExposure:
    """Css per step, cycle AUC and time to steady state of a blinatumomab regimen.

    Source: Clements et al. 2020 one-compartment popPK (CL 2.22 L/h, V 5.98 L; BSA on CL),
    label regimens (kinetics.md §4.1–4.2, §4.4). Css = R/CL (pg/mL); AUC over the cycle is the
    exact integral of the superposed step solutions; AUC to infinity = total dose/CL. BSA is
    taken as given, else from height and weight by ``bsa_formula``; with a BSA the clearance is
    BSA-scaled (see :class:`BlinatumomabPK` for the exponent caveat); without one, the typical
    2.22 L/h is used. ``regimen`` may be a key of :data:`REGIMENS`.
    """
    if isinstance(regimen, str):
        if regimen not in REGIMENS:
            raise KineticsInputError(
                [
                    Problem(
                        f"unknown regimen {regimen!r}; known: {', '.join(REGIMENS)}",
                        field="regimen",
                    )
                ]
            )
        regimen = REGIMENS[regimen]
    notes: list[str] = []
    formula: str | None = None
    if bsa_m2 is None and height_cm is not None and weight_kg is not None:
        bsa_m2 = body_surface_area(height_cm, weight_kg, bsa_formula)
        formula = bsa_formula
    elif bsa_m2 is not None:
        if not (bsa_m2 > 0 and math.isfinite(bsa_m2)):
            raise KineticsInputError([Problem("BSA must be a positive number", field="bsa")])
        formula = "given"
    cl = pk.clearance(bsa_m2)
    if bsa_m2 is not None:
        notes.append(
            f"CL scaled by (BSA/{pk.bsa_reference_m2:g})^{pk.bsa_exponent:.3f}; the "
            "exponent is back-calculated from the published 63 % lower CL at 0.37 m², "
            "not a published estimate"
        )
        if not 0.37 <= bsa_m2 <= 2.6:
            notes.append(f"BSA {bsa_m2:.2f} m² is outside the range the model was built on")
    k = cl / pk.v_l
    steps: list[StepExposure] = []
    total = 0.0
    auc_cycle = 0.0
    end_h = regimen.cycle_length_days * 24.0
    for s in regimen.steps:
        rate, capped = s.rate_ug_per_day(bsa_m2)
        if capped:
            notes.append(f"{s.describe()}: capped at {rate:g} µg/day")
        steps.append(StepExposure(s.start_day, s.end_day, rate, capped, rate * 1000.0 / 24.0 / cl))
        total += rate * (s.end_day - s.start_day)
        auc_cycle += _step_auc(rate / 24.0, s.start_day * 24.0, s.end_day * 24.0, end_h, k, cl)
    for f in fractions:
        if not 0 < f < 1:
            raise KineticsInputError(
                [Problem("steady-state fractions must lie in (0, 1)", field="fractions")]
            )
    tss = {float(f): -math.log1p(-f) / k for f in fractions}
    exp = BlinatumomabExposure(
        regimen=regimen,
        clearance_l_per_h=cl,
        volume_l=pk.v_l,
        bsa_m2=bsa_m2,
        bsa_formula=formula,
        steps=tuple(steps),
        total_dose_ug=total,
        auc_cycle_h_ug_per_l=auc_cycle,
        auc_inf_h_ug_per_l=total / cl,
        time_to_steady_state_h=tss,
        notes=tuple(notes),
        model_source=pk.source,
    )
    if thresholds_pg_per_ml:
        grid = np.linspace(0.0, end_h, int(end_h * 20) + 1)  # every 3 minutes
        c = exp.concentration(grid)
        dt = grid[1] - grid[0]
        above = {}
        for thr in thresholds_pg_per_ml:
            m = c >= thr
            mid = (m[1:] & m[:-1]).sum() + 0.5 * (m[1:] ^ m[:-1]).sum()
            above[float(thr)] = float(mid * dt)
        exp = replace(exp, time_above_h=above)
    return exp
