"""Fit the Stein 2019 model to one patient's profile on the log scale, BLQ-aware.

Model and residual error: Stein et al. 2019, CPT Pharmacometrics Syst Pharmacol 8:285
(kinetics.md §0, §1.2–1.3): ln y = ln C(t; θ) + σ·ε. Quantified levels contribute the normal
log-density of ln y; samples below quantification contribute the probability of lying below their
LLOQ, log Φ((ln LLOQ − ln C)/σ) — the censored (Tobit, Beal "M3") likelihood named in
kinetics.md §2.5. Parameters are estimated on the log scale within wide bounds, from several
data-driven starts, by ``scipy.optimize.least_squares`` (Levenberg–Marquardt, MINPACK; bounds
through a logistic map) with an analytic Jacobian; censored terms enter as residuals
√(−2 log Φ(z)), so the summed squares are exactly −2 log-likelihood up to a constant.
Uncertainty is the Gauss–Newton approximation (JᵀJ)⁻¹ of the log-parameter covariance at the
optimum. An optional log-normal prior (empirical-Bayes style
MAP fit, Stein 2019 between-patient variability) steadies sparse profiles.

See docs/kinetics.md "Fitting one patient".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares, minimize_scalar
from scipy.special import expit, log_ndtr

from remission.exceptions import KineticsInputError, KineticsWarning, Problem
from remission.kinetics.profile import FloatArray, Profile
from remission.kinetics.stein import (
    PARAMETER_NAMES,
    STEIN2019_IIV_VARIANCE,
    STEIN2019_RESIDUAL_SD,
    STEIN2019_TYPICAL,
    SteinParams,
    stein_auc,
    stein_concentration,
)

__all__ = [
    "STEIN2019_PRIOR",
    "ParameterEstimate",
    "SteinFit",
    "SteinPrior",
    "fit_stein",
]

_P = len(PARAMETER_NAMES)
_IDX = {n: i for i, n in enumerate(PARAMETER_NAMES)}
_Z95 = 1.959963984540054
_LOG_2PI = math.log(2.0 * math.pi)
MIN_QUANTIFIED = 3
# optimiser settings: tolerance, evaluations per screening start and for the final run
_TOL = 1e-8
_SCREEN_NFEV = 40
_MAX_NFEV = 400


@dataclass(frozen=True)
class SteinPrior:
    """Independent log-normal priors: ln θ_k ~ N(ln typical_k, omega_sd_k²) for listed k."""

    typical: SteinParams
    omega_sd: Mapping[str, float]
    name: str = "custom"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "typical": self.typical.to_dict(),
            "omega_sd": dict(self.omega_sd),
        }


#: Stein 2019 typical values with the nlmixr2lib between-patient variances read as ω²
#: (kinetics.md §1.3; the variance-vs-SD reading is unverified).
STEIN2019_PRIOR = SteinPrior(
    typical=STEIN2019_TYPICAL,
    omega_sd={k: math.sqrt(v) for k, v in STEIN2019_IIV_VARIANCE.items()},
    name="stein2019",
)


@dataclass(frozen=True)
class ParameterEstimate:
    """One fitted parameter: estimate, log-scale SE and 95 % interval (exp(ln θ ± 1.96·SE)).

    ``se_log`` is None when the parameter is fixed, sits on a bound, or is not identifiable
    from the data (flat direction of the likelihood).
    """

    name: str
    value: float
    unit: str
    se_log: float | None
    ci_low: float | None
    ci_high: float | None
    fixed: bool = False
    at_bound: bool = False

    @property
    def cv_pct(self) -> float | None:
        """Approximate coefficient of variation of the estimate, 100·√(e^(SE²)−1) %."""
        if self.se_log is None:
            return None
        return 100.0 * math.sqrt(math.expm1(self.se_log**2))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "se_log": self.se_log,
            "cv_pct": self.cv_pct,
            "ci95": [self.ci_low, self.ci_high],
            "fixed": self.fixed,
            "at_bound": self.at_bound,
        }


@dataclass(frozen=True, eq=False)
class SteinFit:
    """Result of :func:`fit_stein`: parameters with uncertainty, the curve, fit statistics."""

    params: SteinParams
    estimates: tuple[ParameterEstimate, ...]
    sigma: float
    sigma_estimated: bool
    log_likelihood: float
    aic: float
    bic: float
    n_quantified: int
    n_censored: int
    n_ignored: int
    converged: bool
    message: str
    method: str
    unit: str = ""
    label: str = ""
    prior: str | None = None
    covariance_log: FloatArray | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()

    def estimate(self, name: str) -> ParameterEstimate:
        return self.estimates[_IDX[name]]

    def curve(self, days: npt.ArrayLike) -> FloatArray:
        """The fitted Stein curve at ``days`` (0 before day 0)."""
        return stein_concentration(days, self.params)

    def auc(self, start: float = 0.0, end: float = 28.0) -> float:
        """Model-based AUC of the fitted curve (exact closed form)."""
        return stein_auc(self.params, start, end)

    @property
    def identifiable(self) -> bool:
        """True when every free parameter has a finite standard error."""
        return all(e.fixed or e.se_log is not None for e in self.estimates)

    def to_dict(self, curve_days: npt.ArrayLike | None = None) -> dict[str, Any]:
        d: dict[str, Any] = {
            "model": "stein2019",
            "label": self.label,
            "unit": self.unit,
            "method": self.method,
            "prior": self.prior,
            "converged": self.converged,
            "message": self.message,
            "parameters": {e.name: e.to_dict() for e in self.estimates},
            "derived": self.params.derived(),
            "auc_0_28d": self.auc(0.0, 28.0),
            "auc_0_inf": self.auc(0.0, math.inf),
            "sigma": self.sigma,
            "sigma_estimated": self.sigma_estimated,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "n_quantified": self.n_quantified,
            "n_censored": self.n_censored,
            "n_ignored": self.n_ignored,
            "identifiable": self.identifiable,
            "notes": list(self.notes),
        }
        if curve_days is not None:
            t = np.asarray(curve_days, dtype=float)
            d["curve"] = {"days": t.tolist(), "values": self.curve(t).tolist()}
        return d


@dataclass(frozen=True)
class _Solution:
    x: FloatArray
    cost: float
    status: int
    message: str


# ---------------------------------------------------------------------------- model core
def _lnc(t: FloatArray, x: FloatArray) -> FloatArray:
    """ln C(t) of the Stein 2019 curve for log-parameters x (t >= 0)."""
    lf, lT, lc, la, lfb, lb = x
    T = math.exp(lT)
    out = np.empty(t.size)
    up = t < T
    dn = ~up
    out[up] = lc - lf * (1.0 - t[up] / T)
    tau = t[dn] - T
    out[dn] = lc + np.logaddexp(
        math.log1p(-math.exp(lfb)) - math.exp(la) * tau, lfb - math.exp(lb) * tau
    )
    return out


def _lnc_jac(t: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """ln C(t) and ∂ln C/∂(ln θ) (n × 6) for log-parameters x (t >= 0)."""
    lf, lT, lc, la, lfb, lb = x
    T, a, fb, b = math.exp(lT), math.exp(la), math.exp(lfb), math.exp(lb)
    lnc = np.empty(t.size)
    J = np.zeros((t.size, _P))
    J[:, 2] = 1.0
    up = t < T
    dn = ~up
    s = t[up] / T
    lnc[up] = lc - lf * (1.0 - s)
    J[up, 0] = s - 1.0
    J[up, 1] = -lf * s
    tau = t[dn] - T
    lnA = math.log1p(-fb) - a * tau
    lnB = lfb - b * tau
    lnS = np.logaddexp(lnA, lnB)
    wA = np.exp(lnA - lnS)
    wB = 1.0 - wA
    lnc[dn] = lc + lnS
    J[dn, 1] = T * (a * wA + b * wB)
    J[dn, 3] = -a * tau * wA
    J[dn, 4] = wB - fb / (1.0 - fb) * wA
    J[dn, 5] = -b * tau * wB
    return lnc, J


def _log_ndtr_and_mills(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    lphi = log_ndtr(z)
    mills = np.exp(-0.5 * z * z - 0.5 * _LOG_2PI - lphi)  # φ(z)/Φ(z)
    return lphi, mills


class _Problem:
    """Data and settings of one fit, with residual and Jacobian functions of the free vector."""

    def __init__(
        self,
        t_q: FloatArray,
        ly_q: FloatArray,
        t_c: FloatArray,
        ll_c: FloatArray,
        free: npt.NDArray[np.intp],
        x_fixed: FloatArray,
        prior_mu: FloatArray,
        prior_sd: FloatArray,
    ) -> None:
        self.t = np.concatenate([t_q, t_c])
        self.nq = t_q.size
        self.ly_q = ly_q
        self.ll_c = ll_c
        self.free = free
        self.x_full = x_fixed.copy()
        self.prior_rows = np.flatnonzero(np.isfinite(prior_sd[free]))
        self.prior_mu = prior_mu[free][self.prior_rows]
        self.prior_sd = prior_sd[free][self.prior_rows]
        self.sigma = STEIN2019_RESIDUAL_SD
        self.n_residuals = int(self.t.size + self.prior_rows.size)

    def full(self, xf: FloatArray) -> FloatArray:
        x = self.x_full.copy()
        x[self.free] = xf
        return x

    def residuals(self, xf: FloatArray) -> FloatArray:
        return self._res(_lnc(self.t, self.full(xf)), xf)

    def _res(self, lnc: FloatArray, xf: FloatArray) -> FloatArray:
        s = self.sigma
        rq = (self.ly_q - lnc[: self.nq]) / s
        z = (self.ll_c - lnc[self.nq :]) / s
        rc = np.sqrt(np.maximum(-2.0 * log_ndtr(z), 0.0))
        rp = (xf[self.prior_rows] - self.prior_mu) / self.prior_sd
        return np.concatenate([rq, rc, rp])

    def jacobian(self, xf: FloatArray) -> FloatArray:
        lnc, J = _lnc_jac(self.t, self.full(xf))
        J = J[:, self.free]
        s = self.sigma
        Jq = -J[: self.nq] / s
        z = (self.ll_c - lnc[self.nq :]) / s
        lphi, mills = _log_ndtr_and_mills(z)
        rc = np.sqrt(np.maximum(-2.0 * lphi, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(rc > 1e-150, mills / (s * rc), 0.0)
        Jc = J[self.nq :] * g[:, None]
        Jp = np.zeros((self.prior_rows.size, self.free.size))
        Jp[np.arange(self.prior_rows.size), self.prior_rows] = 1.0 / self.prior_sd
        return np.vstack([Jq, Jc, Jp])

    def loglik(self, xf: FloatArray, sigma: float) -> float:
        """Log-likelihood of ln y (normal) and of the censored samples; priors excluded."""
        lnc = _lnc(self.t, self.full(xf))
        rq = (self.ly_q - lnc[: self.nq]) / sigma
        z = (self.ll_c - lnc[self.nq :]) / sigma
        return float(
            -self.nq * (math.log(sigma) + 0.5 * _LOG_2PI)
            - 0.5 * np.sum(rq * rq)
            + np.sum(log_ndtr(z))
        )


# ---------------------------------------------------------------------------- starts and bounds
def _bounds(t_q: FloatArray, ly_q: FloatArray, t_all: FloatArray) -> tuple[FloatArray, FloatArray]:
    ymax = float(np.max(ly_q))
    t_hi = max(float(np.max(t_all)), 1.0)
    lo = np.array(
        [
            math.log(1.01),
            math.log(0.05),
            ymax - math.log(100.0),
            math.log(1e-3),
            math.log(1e-8),
            math.log(1e-6),
        ]
    )
    hi = np.array(
        [
            math.log(1e9),
            math.log(t_hi),
            ymax + math.log(100.0),
            math.log(20.0),
            math.log(0.999),
            math.log(5.0),
        ]
    )
    return lo, hi


def _starts(t_q: FloatArray, ly_q: FloatArray, n_starts: int) -> list[FloatArray]:
    """Data-driven starting points (natural-log parameter vectors)."""
    k = int(np.argmax(ly_q))
    tpk, lpk = float(t_q[k]), float(ly_q[k])
    tmaxes = [max(tpk, 0.5)]
    if k > 0:
        tmaxes.append(max(0.5 * (t_q[k - 1] + tpk), 0.5))
    if k < t_q.size - 1:
        tmaxes.append(0.5 * (tpk + t_q[k + 1]))
    # expansion: slope of the rising limb
    foldxs = []
    if k > 0 and tpk > t_q[0]:
        rho = (lpk - float(ly_q[0])) / (tpk - float(t_q[0]))
        if rho > 0:
            foldxs.append(float(np.clip(math.exp(min(rho * tpk, 40.0)), 10.0, 1e7)))
    foldxs.append(STEIN2019_TYPICAL.foldx)
    # contraction: first decline after the peak
    alpha = STEIN2019_TYPICAL.alpha
    if k < t_q.size - 1:
        dt = float(t_q[k + 1] - tpk)
        if dt > 0:
            alpha = float(np.clip((lpk - float(ly_q[k + 1])) / dt, 0.02, 2.0))
    fb, beta = STEIN2019_TYPICAL.fb, STEIN2019_TYPICAL.beta
    late = t_q > tpk + 3.0 * math.log(2) / max(alpha, 1e-3) + 7.0
    if np.sum(late) >= 2:
        tl, yl = t_q[late], ly_q[late]
        slope, icpt = np.polyfit(tl - tpk, yl, 1)
        beta = float(np.clip(-slope, 1e-4, 0.1))
        fb = float(np.clip(math.exp(icpt - lpk), 1e-5, 0.5))
        if beta >= alpha:
            beta = alpha / 5.0
    starts: list[FloatArray] = []
    for fx in foldxs:
        for tm in tmaxes:
            starts.append(np.log([fx, tm, math.exp(lpk), alpha, fb, beta]))
    return starts[: max(n_starts, 1)]


# ---------------------------------------------------------------------------- public fit
def fit_stein(
    profile: Profile,
    *,
    sigma: float | Literal["auto", "estimate"] = "auto",
    prior: SteinPrior | Literal["stein2019"] | None = None,
    fixed: Mapping[str, float] | None = None,
    n_starts: int = 6,
    warn: bool = True,
) -> SteinFit:
    """Fit the Stein 2019 model to one profile by maximum likelihood (or MAP with a prior).

    Source: Stein et al. 2019 CPT Pharmacometrics Syst Pharmacol 8:285 (model, log-scale error);
    censored likelihood for BLQ (Beal M3) as in reference kinetics.md §2.5; docs/kinetics.md.

    * Post-infusion samples only. Quantified levels use ln(value); a BLQ sample with a known
      LLOQ is censored at ln(LLOQ); a BLQ sample with no LLOQ carries no information and is
      ignored (counted in ``n_ignored``).
    * ``sigma``: the residual SD on the log scale. A number fixes it; ``"estimate"`` estimates it
      (maximum likelihood, corrected by √(n/(n−p)) for the p free structural parameters);
      ``"auto"`` (default) estimates it when no prior is used and there are at least p+3
      informative samples, else fixes it at the published 0.56.
    * ``prior``: ``"stein2019"`` or a :class:`SteinPrior` adds log-normal penalties (a MAP fit).
    * ``fixed``: parameters held at given values (e.g. ``{"fb": 0.0079, "beta": 0.0032}`` when
      follow-up is too short to see the persistence phase).

    Raises :class:`KineticsInputError` when fewer than 3 quantified post-infusion levels exist.
    Emits :class:`KineticsWarning` (when ``warn``) for non-convergence, parameters on a bound or
    not identifiable; the same caveats are in ``notes``.
    """
    notes: list[str] = []
    post = profile.days >= 0.0
    q = post & ~profile.blq
    t_q = profile.days[q]
    ly_q = np.log(profile.values[q])
    c = post & profile.blq & np.isfinite(profile.lloq) & (np.nan_to_num(profile.lloq) > 0)
    t_c = profile.days[c]
    ll_c = np.log(profile.lloq[c])
    n_ignored = int(np.sum(post & profile.blq & ~c))
    if n_ignored:
        notes.append(
            f"{n_ignored} BLQ sample(s) without an LLOQ carry no information and were ignored"
        )
    if t_q.size < MIN_QUANTIFIED:
        raise KineticsInputError(
            [
                Problem(
                    f"a Stein fit needs at least {MIN_QUANTIFIED} quantified levels on or after day 0; "
                    f"this profile has {t_q.size}",
                    where=profile.label or None,
                )
            ]
        )

    if isinstance(prior, str):
        if prior != "stein2019":
            raise KineticsInputError(
                [Problem(f"unknown prior {prior!r}; use 'stein2019'", field="prior")]
            )
        prior = STEIN2019_PRIOR
    prior_mu = np.full(_P, 0.0)
    prior_sd = np.full(_P, math.inf)
    if prior is not None:
        for name, sd in prior.omega_sd.items():
            if name not in _IDX or not sd > 0:
                raise KineticsInputError(
                    [
                        Problem(
                            f"prior on {name!r}: unknown parameter or non-positive SD",
                            field="prior",
                        )
                    ]
                )
            prior_mu[_IDX[name]] = math.log(getattr(prior.typical, name))
            prior_sd[_IDX[name]] = sd
        if (
            "cmax" in prior.omega_sd
            and profile.unit
            and profile.unit.replace("µ", "u").lower() not in ("copies/ug", "copies/ug gdna")
        ):
            notes.append(f"prior on Cmax is in copies/µg but the profile is in {profile.unit}")

    fixed = dict(fixed or {})
    for name, value in fixed.items():
        if name not in _IDX:
            raise KineticsInputError(
                [
                    Problem(
                        f"cannot fix unknown parameter {name!r}; known: {', '.join(PARAMETER_NAMES)}",
                        field="fixed",
                    )
                ]
            )
        if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
            raise KineticsInputError(
                [Problem(f"fixed {name} must be a positive number", field="fixed")]
            )
    free = np.array([i for i, n in enumerate(PARAMETER_NAMES) if n not in fixed], dtype=np.intp)
    p_free = int(free.size)
    if p_free == 0:
        raise KineticsInputError(
            [Problem("all parameters are fixed: nothing to fit", field="fixed")]
        )
    lo, hi = _bounds(t_q, ly_q, profile.days[post])
    x_fixed = np.zeros(_P)
    for name, value in fixed.items():
        x_fixed[_IDX[name]] = math.log(value)

    prob = _Problem(t_q, ly_q, t_c, ll_c, free, x_fixed, prior_mu, prior_sd)
    n_used = int(t_q.size + t_c.size)
    if isinstance(sigma, str):
        if sigma not in ("auto", "estimate"):
            raise KineticsInputError(
                [Problem(f"sigma {sigma!r}: a number, 'auto' or 'estimate'", field="sigma")]
            )
        if sigma == "estimate":
            estimate_sigma = n_used > p_free
        else:
            estimate_sigma = prior is None and n_used >= p_free + 3
        if sigma == "estimate" and not estimate_sigma:
            notes.append("too few samples to estimate the residual SD")
        if not estimate_sigma:
            notes.append(f"residual SD fixed at the published {STEIN2019_RESIDUAL_SD} (log scale)")
        prob.sigma = STEIN2019_RESIDUAL_SD
    else:
        if not (sigma > 0 and math.isfinite(sigma)):
            raise KineticsInputError([Problem("sigma must be positive", field="sigma")])
        estimate_sigma = False
        prob.sigma = float(sigma)
    if n_used < p_free and prior is None:
        notes.append(
            f"{n_used} informative samples for {p_free} free parameters: the data "
            "cannot determine them all (use prior='stein2019' or fix parameters)"
        )

    lo_f, hi_f = lo[free], hi[free]

    span_f = hi_f - lo_f

    def solve(x0: FloatArray, max_nfev: int = _MAX_NFEV) -> _Solution:
        """Levenberg–Marquardt (MINPACK) on u, with x = lo + (hi − lo)·logistic(u)."""
        frac = np.clip((x0[free] - lo_f) / span_f, 1e-9, 1.0 - 1e-9)
        u0 = np.log(frac) - np.log1p(-frac)

        def to_x(u: FloatArray) -> FloatArray:
            return lo_f + span_f * expit(u)

        n_res = prob.n_residuals
        # MINPACK needs at least as many residuals as unknowns: pad with zeros (same objective)
        pad = max(p_free - n_res, 0)

        # MINPACK may try a non-finite trial step when a column saturates; reject it plainly
        def fun(u: FloatArray) -> FloatArray:
            if not np.all(np.isfinite(u)):
                return np.full(n_res + pad, 1e10)
            r = prob.residuals(to_x(u))
            return np.concatenate([r, np.zeros(pad)]) if pad else r

        def jac(u: FloatArray) -> FloatArray:
            if not np.all(np.isfinite(u)):
                return np.zeros((n_res + pad, u.size))
            e = expit(u)
            J = prob.jacobian(to_x(u)) * (span_f * e * (1.0 - e))
            return np.vstack([J, np.zeros((pad, u.size))]) if pad else J

        r = least_squares(
            fun, u0, jac=jac, method="lm", xtol=_TOL, ftol=_TOL, gtol=_TOL, max_nfev=max_nfev
        )
        return _Solution(to_x(r.x), float(r.cost), int(r.status), str(r.message))

    fixed_mask = np.zeros(_P, dtype=bool)
    fixed_mask[[_IDX[n] for n in fixed]] = True

    def solve_best(starts: list[FloatArray]) -> _Solution:
        """Short runs from every start, then the best one run to convergence."""
        best = None
        for s0 in starts:
            s = s0.copy()
            s[fixed_mask] = x_fixed[fixed_mask]
            r = solve(s, _SCREEN_NFEV)
            if best is None or r.cost < best.cost - 1e-12:
                best = r
        assert best is not None
        if best.status == 0:
            best = solve(prob.full(best.x))
        return best

    starts = _starts(t_q, ly_q, n_starts)
    res = solve_best(starts)
    if estimate_sigma:
        if t_c.size == 0:
            rss = float(np.sum((ly_q - _lnc(t_q, prob.full(res.x))) ** 2))
            prob.sigma = max(math.sqrt(rss / t_q.size), 1e-3)
        else:
            for _ in range(6):
                opt = minimize_scalar(
                    lambda ls, xf=res.x: -prob.loglik(xf, math.exp(ls)),
                    bounds=(math.log(1e-3), math.log(10.0)),
                    method="bounded",
                    options={"xatol": 1e-5},
                )
                new_sigma = max(math.exp(float(opt.x)), 1e-3)
                changed = abs(math.log(new_sigma / prob.sigma)) > 1e-3
                prob.sigma = new_sigma
                res = solve(prob.full(res.x))
                if not changed:
                    break
        prob.sigma *= math.sqrt(n_used / (n_used - p_free))
        res = solve(prob.full(res.x))

    # canonical order of the phases: alpha (fast) > beta (slow)
    x = prob.full(res.x)
    if x[3] < x[5] and "alpha" not in fixed and "beta" not in fixed and "fb" not in fixed:
        xs = x.copy()
        xs[3], xs[5] = x[5], x[3]
        xs[4] = math.log(max(-math.expm1(x[4]), 1e-8))
        res = solve(xs)
        x = prob.full(res.x)

    params = SteinParams.from_array(np.exp(x))
    if fixed:
        params = params.replace(**{n: float(v) for n, v in fixed.items()})
    converged = bool(res.status > 0)
    if not converged:
        notes.append(f"optimiser did not converge: {res.message}")

    # uncertainty
    J = prob.jacobian(res.x)
    edge = 1e-5 * span_f
    at_bound_f = (res.x - lo_f < edge) | (hi_f - res.x < edge)
    cov_f: FloatArray | None = None
    se_f = np.full(p_free, np.nan)
    try:
        _, s_part, vt = np.linalg.svd(J, full_matrices=True)
        s_vals = np.zeros(p_free)  # fewer rows than parameters: the rest are zero directions
        s_vals[: s_part.size] = s_part[:p_free]
        tol = s_vals.max() * 1e-7 if s_vals.size else 0.0
        good = s_vals > tol
        cov_f = (vt[good].T / s_vals[good] ** 2) @ vt[good]
        se_f = np.sqrt(np.clip(np.diag(cov_f), 0.0, None))
        if np.any(~good):
            null = np.abs(vt[~good]).max(axis=0) > 1e-3
            se_f[null] = np.nan
    except np.linalg.LinAlgError:
        notes.append("covariance could not be computed")
    estimates: list[ParameterEstimate] = []
    fi = {int(i): k for k, i in enumerate(free)}
    unident: list[str] = []
    bound_names: list[str] = []
    for i, name in enumerate(PARAMETER_NAMES):
        val = float(getattr(params, name))
        unit = (
            profile.unit
            if name == "cmax" and profile.unit
            else (
                "level"
                if name == "cmax"
                else {"foldx": "-", "tmax": "day", "alpha": "1/day", "fb": "-", "beta": "1/day"}[
                    name
                ]
            )
        )
        if i not in fi:
            estimates.append(ParameterEstimate(name, val, unit, None, None, None, fixed=True))
            continue
        k = fi[i]
        ab = bool(at_bound_f[k])
        se = float(se_f[k])
        if ab:
            bound_names.append(name)
        if ab or not math.isfinite(se) or se > 10.0:
            if not ab:
                unident.append(name)
            estimates.append(ParameterEstimate(name, val, unit, None, None, None, at_bound=ab))
        else:
            estimates.append(
                ParameterEstimate(
                    name,
                    val,
                    unit,
                    se,
                    float(np.exp(x[i] - _Z95 * se)),
                    float(np.exp(x[i] + _Z95 * se)),
                )
            )
    if bound_names:
        notes.append(f"on a bound (no interval): {', '.join(bound_names)}")
    if unident:
        notes.append(f"not identifiable from these data (no interval): {', '.join(unident)}")

    ll = prob.loglik(res.x, prob.sigma)
    k_par = p_free + (1 if estimate_sigma else 0)
    method = "maximum likelihood" if prior is None else f"MAP with {prior.name} log-normal prior"
    method += (
        ", ln y = ln C + σε, BLQ as left-censored at ln LLOQ (M3), "
        "scipy least_squares (Levenberg–Marquardt, bounds by logistic map) with "
        "analytic Jacobian, "
        f"{len(starts)} starts; SE from Gauss–Newton (JᵀJ)⁻¹ on the log scale"
    )
    fit = SteinFit(
        params=params,
        estimates=tuple(estimates),
        sigma=prob.sigma,
        sigma_estimated=estimate_sigma,
        log_likelihood=ll,
        aic=-2 * ll + 2 * k_par,
        bic=-2 * ll + k_par * math.log(max(n_used, 1)),
        n_quantified=int(t_q.size),
        n_censored=int(t_c.size),
        n_ignored=n_ignored,
        converged=converged,
        message=str(res.message),
        method=method,
        unit=profile.unit,
        label=profile.label,
        prior=None if prior is None else prior.name,
        covariance_log=cov_f,
        notes=tuple(notes),
    )
    if warn:
        for n in notes:
            if n.startswith(("optimiser", "on a bound", "not identifiable", "prior on Cmax")) or (
                "cannot determine" in n
            ):
                warnings.warn(
                    f"{profile.label + ': ' if profile.label else ''}{n}",
                    KineticsWarning,
                    stacklevel=2,
                )
    return fit
