"""Fit the Stein 2019 model to many patients and summarise the estimates (two-stage approach).

Each profile is fitted on its own with :func:`remission.kinetics.fit.fit_stein`; the population
summary gives, per parameter, the number of usable estimates, median and interquartile range,
geometric mean and geometric CV, and range. This is the classical "standard two-stage" summary,
not a mixed-effects fit: between-patient spread is inflated by estimation error (docs/kinetics.md
"Many patients"). Model source: Stein et al. 2019 CPT Pharmacometrics Syst Pharmacol 8:285
(kinetics.md §1). Profiles can be fitted in parallel worker processes.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from remission.exceptions import KineticsInputError
from remission.kinetics.fit import SteinFit, fit_stein
from remission.kinetics.profile import Profile
from remission.kinetics.stein import PARAMETER_NAMES

__all__ = ["ParameterSummary", "PatientFit", "PopulationFit", "fit_population", "summarise"]


@dataclass(frozen=True)
class PatientFit:
    """One patient's outcome: a fit, or the reason no fit was made."""

    key: str
    fit: SteinFit | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "fit": None if self.fit is None else self.fit.to_dict(),
            "error": self.error,
        }


@dataclass(frozen=True)
class ParameterSummary:
    """Summary of one parameter across patients (estimates on a bound excluded)."""

    name: str
    n: int
    n_at_bound: int
    median: float | None
    q1: float | None
    q3: float | None
    geometric_mean: float | None
    geometric_cv_pct: float | None
    minimum: float | None
    maximum: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n": self.n,
            "n_at_bound": self.n_at_bound,
            "median": self.median,
            "iqr": [self.q1, self.q3],
            "geometric_mean": self.geometric_mean,
            "geometric_cv_pct": self.geometric_cv_pct,
            "range": [self.minimum, self.maximum],
        }


@dataclass(frozen=True)
class PopulationFit:
    """Per-patient fits and the population summary (parameters and derived quantities)."""

    patients: tuple[PatientFit, ...]
    summary: Mapping[str, ParameterSummary]
    n_patients: int
    n_fitted: int
    n_failed: int

    def to_dict(self, include_patients: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "n_patients": self.n_patients,
            "n_fitted": self.n_fitted,
            "n_failed": self.n_failed,
            "summary": {k: v.to_dict() for k, v in self.summary.items()},
            "method": "per-patient Stein 2019 fits, standard two-stage summary",
        }
        if include_patients:
            d["patients"] = [p.to_dict() for p in self.patients]
        return d


def _summ(name: str, values: Sequence[float], n_at_bound: int = 0) -> ParameterSummary:
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if v.size == 0:
        return ParameterSummary(name, 0, n_at_bound, None, None, None, None, None, None, None)
    q1, med, q3 = (float(x) for x in np.percentile(v, [25, 50, 75]))
    gm = gcv = None
    if np.all(v > 0):
        lv = np.log(v)
        gm = float(np.exp(lv.mean()))
        if v.size > 1:
            gcv = 100.0 * math.sqrt(math.expm1(float(lv.var(ddof=1))))
    return ParameterSummary(
        name, int(v.size), n_at_bound, med, q1, q3, gm, gcv, float(v.min()), float(v.max())
    )


def summarise(fits: Iterable[SteinFit]) -> dict[str, ParameterSummary]:
    """Median, IQR, geometric mean and CV, range per parameter and derived quantity.

    Converged fits only; an estimate sitting on its bound is left out of that parameter's
    summary (counted in ``n_at_bound``); fixed parameters are left out.
    """
    fl = [f for f in fits if f.converged]
    out: dict[str, ParameterSummary] = {}
    for i, name in enumerate(PARAMETER_NAMES):
        vals: list[float] = []
        nb = 0
        for f in fl:
            e = f.estimates[i]
            if e.fixed:
                continue
            if e.at_bound:
                nb += 1
                continue
            vals.append(e.value)
        out[name] = _summ(name, vals, nb)
    derived_names = ("doubling_time", "fast_half_life", "terminal_half_life")
    for dn in derived_names:
        out[dn] = _summ(dn, [f.params.derived()[dn] for f in fl])
    out["auc_0_28d"] = _summ("auc_0_28d", [f.auc(0.0, 28.0) for f in fl])
    out["sigma"] = _summ("sigma", [f.sigma for f in fl])
    return out


def _fit_one(item: tuple[str, Profile, dict[str, Any]]) -> PatientFit:
    key, profile, kwargs = item
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_stein(profile, warn=False, **kwargs)
        return PatientFit(key, fit)
    except KineticsInputError as exc:
        return PatientFit(key, None, str(exc))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:  # pragma: no cover
        return PatientFit(key, None, f"fit failed: {exc}")


def fit_population(
    profiles: Mapping[str, Profile] | Sequence[Profile],
    *,
    processes: int | None = 1,
    chunksize: int = 25,
    **fit_kwargs: Any,
) -> PopulationFit:
    """Fit every profile (Stein 2019) and summarise (standard two-stage; docs/kinetics.md).

    ``profiles``: a mapping id → profile, or a sequence (ids are the profiles' labels or their
    positions). ``processes``: 1 fits in this process; None uses all CPUs; n > 1 uses n worker
    processes. Other keyword arguments go to :func:`fit_stein` (``prior``, ``fixed``,
    ``sigma``...). A profile that cannot be fitted is reported with its reason, never dropped.
    Source: Stein et al. 2019 (model); kinetics.md §1.
    """
    if isinstance(profiles, Mapping):
        items = [(str(k), p, fit_kwargs) for k, p in profiles.items()]
    else:
        items = [(p.label or str(i), p, fit_kwargs) for i, p in enumerate(profiles)]
    n_proc = (os.cpu_count() or 1) if processes is None else max(1, int(processes))
    if n_proc > 1 and len(items) > 1:
        with ProcessPoolExecutor(max_workers=min(n_proc, len(items))) as ex:
            results = list(ex.map(_fit_one, items, chunksize=max(1, chunksize)))
    else:
        results = [_fit_one(it) for it in items]
    fits = [r.fit for r in results if r.fit is not None]
    return PopulationFit(
        patients=tuple(results),
        summary=summarise(fits),
        n_patients=len(results),
        n_fitted=len(fits),
        n_failed=len(results) - len(fits),
    )
