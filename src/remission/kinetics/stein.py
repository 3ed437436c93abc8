"""The Stein 2019 piecewise CAR-T cellular kinetic model: closed form, exact AUC, simulation.

Stein AM, Grupp SA, Levine JE, et al. Tisagenlecleucel model-based cellular kinetic analysis of
chimeric antigen receptor–T cells. CPT Pharmacometrics Syst Pharmacol 2019;8(5):285–295
(doi:10.1002/psp4.12388). Equations and typical values as in reference kinetics.md §0 and §1
(typical values from Table 1 as transcribed in nlmixr2lib):

* expansion, 0 <= t < Tmax: C(t) = R0·e^(ρt), ρ = ln(foldx)/Tmax, R0 = Cmax/foldx;
* contraction and persistence, t >= Tmax:
  C(t) = Cmax·[(1−FB)·e^(−α(t−Tmax)) + FB·e^(−β(t−Tmax))];
* before infusion (t < 0) the level is 0 (kinetics.md §1.2 "t < 0"); the curve starts at R0 at
  t = 0, there is no dosing event;
* residual error additive on the log scale: ln y = ln C + a·ε, a = 0.56.

See docs/kinetics.md "Stein 2019 model".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from remission.exceptions import KineticsInputError, Problem
from remission.kinetics.profile import FloatArray, Profile

__all__ = [
    "PARAMETER_NAMES",
    "PARAMETER_UNITS",
    "STEIN2019_IIV_VARIANCE",
    "STEIN2019_RESIDUAL_SD",
    "STEIN2019_TYPICAL",
    "SteinParams",
    "sample_patient_params",
    "simulate_profile",
    "stein_auc",
    "stein_concentration",
    "stein_log_concentration",
]

#: Structural parameters in the order used everywhere (fit vectors, tables, JSON).
PARAMETER_NAMES: tuple[str, ...] = ("foldx", "tmax", "cmax", "alpha", "fb", "beta")
#: Units; ``cmax`` takes the profile's unit (copies/µg for the published model).
PARAMETER_UNITS: Mapping[str, str] = {
    "foldx": "-",
    "tmax": "day",
    "cmax": "level",
    "alpha": "1/day",
    "fb": "-",
    "beta": "1/day",
}


@dataclass(frozen=True)
class SteinParams:
    """The six structural parameters of the Stein 2019 model (kinetics.md §1.3).

    ``foldx``: fold expansion from day 0 to Tmax (–); ``tmax``: day of the peak; ``cmax``: peak
    level (profile unit; copies/µg gDNA in the paper); ``alpha``: fast contraction rate (1/day);
    ``fb``: fraction of the peak in the slow persistence phase (0–1); ``beta``: slow
    persistence rate (1/day).
    """

    foldx: float
    tmax: float
    cmax: float
    alpha: float
    fb: float
    beta: float

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                problems.append(
                    Problem(f"{f.name} must be a positive finite number, got {v!r}", field=f.name)
                )
        if not problems and not self.fb < 1.0:
            problems.append(Problem(f"fb must be below 1, got {self.fb!r}", field="fb"))
        if problems:
            raise KineticsInputError(problems)

    # derived quantities (kinetics.md §0 "Derived")
    @property
    def rho(self) -> float:
        """Expansion rate ln(foldx)/Tmax (1/day)."""
        return math.log(self.foldx) / self.tmax

    @property
    def r0(self) -> float:
        """Level at day 0, Cmax/foldx."""
        return self.cmax / self.foldx

    @property
    def k(self) -> float:
        """Transfer rate FB·(α−β) of the equivalent two-state ODE (1/day)."""
        return self.fb * (self.alpha - self.beta)

    @property
    def doubling_time(self) -> float:
        """ln 2 / ρ (days)."""
        return math.log(2) / self.rho if self.rho > 0 else math.inf

    @property
    def fast_half_life(self) -> float:
        """ln 2 / α (days)."""
        return math.log(2) / self.alpha

    @property
    def terminal_half_life(self) -> float:
        """ln 2 / β (days)."""
        return math.log(2) / self.beta

    def as_array(self) -> FloatArray:
        return np.array([getattr(self, n) for n in PARAMETER_NAMES], dtype=float)

    @classmethod
    def from_array(cls, x: Sequence[float] | FloatArray) -> SteinParams:
        return cls(*(float(v) for v in x))

    def replace(self, **changes: float) -> SteinParams:
        d = asdict(self)
        unknown = set(changes) - set(d)
        if unknown:
            raise KineticsInputError(
                [
                    Problem(
                        f"unknown Stein parameter(s) {', '.join(sorted(unknown))}; known: "
                        f"{', '.join(PARAMETER_NAMES)}",
                        field="params",
                    )
                ]
            )
        d.update(changes)
        return SteinParams(**d)

    def derived(self) -> dict[str, float]:
        return {
            "rho": self.rho,
            "r0": self.r0,
            "k": self.k,
            "doubling_time": self.doubling_time,
            "fast_half_life": self.fast_half_life,
            "terminal_half_life": self.terminal_half_life,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "derived": self.derived()}


#: Typical values, Stein 2019 Table 1 via nlmixr2lib (kinetics.md §0, §1.3) [secondary].
STEIN2019_TYPICAL = SteinParams(
    foldx=3900.0, tmax=9.3, cmax=24000.0, alpha=0.16, fb=0.0079, beta=0.0032
)
#: Residual SD on the natural-log scale (kinetics.md §1.3).
STEIN2019_RESIDUAL_SD = 0.56
#: Between-patient variability on the log scale as entered in nlmixr2lib: *variances* ω².
#: Caveat (kinetics.md §1.3): whether Table 1 lists SDs or variances is unverified.
STEIN2019_IIV_VARIANCE: Mapping[str, float] = {
    "foldx": 2.4,
    "tmax": 0.38,
    "cmax": 0.65,
    "alpha": 0.91,
    "fb": 0.8,
    "beta": 0.86,
}


def stein_log_concentration(t: npt.ArrayLike, params: SteinParams) -> FloatArray:
    """Natural log of the Stein 2019 curve at days ``t`` (−inf for t < 0). kinetics.md §0."""
    tt = np.asarray(t, dtype=float)
    lf, T, lc = math.log(params.foldx), params.tmax, math.log(params.cmax)
    tau = tt - T
    with np.errstate(over="ignore", invalid="ignore"):
        up = lc - lf * (1.0 - tt / T)
        down = lc + np.logaddexp(
            math.log1p(-params.fb) - params.alpha * tau, math.log(params.fb) - params.beta * tau
        )
    out = np.where(tt < T, up, down)
    return np.where(tt < 0.0, -np.inf, out)


def stein_concentration(t: npt.ArrayLike, params: SteinParams) -> FloatArray:
    """The Stein 2019 closed-form level at days ``t``; 0 before infusion (t < 0).

    C(t) = R0·e^(ρt) for 0 <= t < Tmax, Cmax·[(1−FB)e^(−α(t−Tmax)) + FB·e^(−β(t−Tmax))] after.
    Source: Stein et al. 2019 (Figure 2 / supplement analytical solution), kinetics.md §0, §1.2.
    """
    with np.errstate(divide="ignore"):
        return np.exp(stein_log_concentration(t, params))


def _expansion_integral(p: SteinParams, a: float, b: float) -> float:
    if b <= a:
        return 0.0
    rho = p.rho
    if rho == 0.0:
        return p.r0 * (b - a)
    return p.r0 * (math.exp(rho * b) - math.exp(rho * a)) / rho


def _contraction_integral(p: SteinParams, a: float, b: float) -> float:
    """∫ over [a, b] (days, both >= Tmax; b may be inf)."""
    if b <= a:
        return 0.0
    ta, tb = a - p.tmax, b - p.tmax

    def part(rate: float) -> float:
        eb = 0.0 if math.isinf(tb) else math.exp(-rate * tb)
        return (math.exp(-rate * ta) - eb) / rate

    return p.cmax * ((1.0 - p.fb) * part(p.alpha) + p.fb * part(p.beta))


def stein_auc(params: SteinParams, start: float = 0.0, end: float = 28.0) -> float:
    """Exact area under the Stein 2019 curve between ``start`` and ``end`` days (end may be inf).

    Expansion part (Cmax−R0)/ρ over [0, Tmax]; contraction part
    Cmax·[(1−FB)(1−e^(−ατ))/α + FB(1−e^(−βτ))/β]; nothing before day 0. Typical values give
    AUC0–28 = 171 774 and AUC0–∞ = 235 051 copies·day/µg (kinetics.md §0).
    """
    if not end >= start:
        raise KineticsInputError([Problem(f"AUC window {start:g}–{end:g}: end before start")])
    a = max(start, 0.0)
    if end <= a:
        return 0.0
    T = params.tmax
    expansion = _expansion_integral(params, a, min(end, T))
    contraction = _contraction_integral(params, max(a, T), end) if end > T else 0.0
    return expansion + contraction


def simulate_profile(
    params: SteinParams,
    days: Sequence[float] | FloatArray,
    *,
    sigma: float = STEIN2019_RESIDUAL_SD,
    lloq: float | None = None,
    rng: np.random.Generator | int | None = None,
    unit: str = "copies/ug",
    label: str = "simulated",
) -> Profile:
    """Simulate one observed profile: ln y = ln C(t) + σ·ε, ε ~ N(0, 1) (kinetics.md §0).

    Samples whose simulated level falls below ``lloq`` become BLQ (value removed, flag set);
    ``sigma=0`` gives the exact curve. Days before 0 are BLQ (no cells before infusion).
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    t = np.asarray(days, dtype=float)
    with np.errstate(divide="ignore"):
        ly = stein_log_concentration(t, params)
    if sigma > 0:
        ly = ly + sigma * gen.standard_normal(t.size)
    y = np.exp(ly)
    blq = ~np.isfinite(ly) | (y <= 0)
    if lloq is not None:
        blq |= y < lloq
    values = np.where(blq, np.nan, y)
    return Profile.from_arrays(t, values, blq=blq, lloq=lloq, unit=unit, label=label)


def sample_patient_params(
    n: int,
    *,
    typical: SteinParams = STEIN2019_TYPICAL,
    omega: Mapping[str, float] = STEIN2019_IIV_VARIANCE,
    omega_is: Literal["variance", "sd"] = "variance",
    rng: np.random.Generator | int | None = None,
) -> list[SteinParams]:
    """Draw ``n`` virtual patients: θ_i = θ_typical·e^(η), η ~ N(0, ω²) per parameter.

    ``omega`` holds the log-scale variability per parameter, read as variances (nlmixr2lib's
    reading of Stein 2019 Table 1) or SDs (``omega_is="sd"``); the choice is open
    (kinetics.md §1.3 caveat). FB draws are capped just below 1 and swapped phases
    (α < β) are put back in order.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    base = typical.as_array()
    sd = np.array(
        [
            math.sqrt(omega.get(nm, 0.0)) if omega_is == "variance" else omega.get(nm, 0.0)
            for nm in PARAMETER_NAMES
        ]
    )
    out: list[SteinParams] = []
    for _ in range(n):
        x = base * np.exp(sd * gen.standard_normal(len(PARAMETER_NAMES)))
        foldx, tmax, cmax, alpha, fb, beta = (float(v) for v in x)
        foldx = max(foldx, 1.0 + 1e-6)
        fb = min(fb, 0.99)
        if alpha < beta:
            alpha, beta, fb = beta, alpha, 1.0 - fb
        out.append(SteinParams(foldx, tmax, cmax, alpha, fb, beta))
    return out
