"""Non-compartmental figures of one CAR-T profile: Cmax, Tmax, AUC over windows, Tlast,
persistence, terminal half-life.

Conventions follow PKNCA (Denney et al., R package PKNCA; vignettes "AUC integration methods"
and "Options for controlling PKNCA") as summarised in reference kinetics.md §2.5, and the CAR-T
figure dictionary of §2.4 (Cmax, Tmax, AUC0–28d, AUC0–84d, Tlast, T½). Every choice is reported
with the result (``method``, ``blq_rule``, ``notes``); a figure that cannot be computed is
``None`` with its reason in ``unavailable``. See docs/kinetics.md "Non-compartmental analysis".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from remission.exceptions import KineticsInputError, Problem
from remission.kinetics.profile import BoolArray, FloatArray, Profile

__all__ = [
    "METRICS",
    "PKNCA_BLQ_RULE",
    "AUCMethod",
    "AUCResult",
    "BLQAction",
    "BLQRule",
    "CleanedProfile",
    "NCAResult",
    "TerminalPhase",
    "auc_interval",
    "clean_blq",
    "nca",
    "terminal_phase",
]

AUCMethod = Literal["linear", "linup_logdown"]
BLQAction = Literal["zero", "drop", "half_lloq"]
_METHOD_TEXT = {
    "linear": "linear trapezoid (linear interpolation)",
    "linup_logdown": "linear-up/log-down trapezoid (log for falling non-zero pairs, PKNCA default)",
}

#: Metric key -> (display label as in CAR-T labels and papers, PKNCA name, CDISC PPTESTCD).
#: Reference kinetics.md §2.4; CDISC SDTM PP controlled terminology for the codes.
METRICS: Mapping[str, tuple[str, str, str]] = {
    "cmax": ("Cmax", "cmax", "CMAX"),
    "tmax": ("Tmax", "tmax", "TMAX"),
    "clast": ("Clast", "clast.obs", "CLST"),
    "tlast": ("Tlast", "tlast", "TLST"),
    "auc_last": ("AUC0–last", "auclast", "AUCLST"),
    "auc_inf": ("AUC0–inf", "aucinf.obs", "AUCIFO"),
    "lambda_z": ("λz", "lambda.z", "LAMZ"),
    "half_life": ("T½", "half.life", "LAMZHL"),
    "persistence": ("Persistence (last quantifiable day)", "tlast", "TLST"),
}


@dataclass(frozen=True)
class BLQRule:
    """What to do with below-quantification samples, by position (PKNCA ``conc.blq``).

    ``first``: BLQ samples before the first quantifiable level; ``middle``: between quantifiable
    levels; ``last``: after the last quantifiable level. Each is ``"zero"`` (keep as 0, PKNCA
    "keep"), ``"drop"`` (remove the sample) or ``"half_lloq"`` (replace by LLOQ/2, which needs the
    LLOQ). The default is PKNCA's: first zero, middle drop, last zero (reference kinetics.md §2.5).
    """

    first: BLQAction = "zero"
    middle: BLQAction = "drop"
    last: BLQAction = "zero"

    def __post_init__(self) -> None:
        for name in ("first", "middle", "last"):
            if getattr(self, name) not in ("zero", "drop", "half_lloq"):
                raise KineticsInputError(
                    [
                        Problem(
                            f"BLQ rule {name}={getattr(self, name)!r}: use zero, drop or half_lloq",
                            field=f"blq_rule.{name}",
                        )
                    ]
                )

    def describe(self) -> str:
        return f"BLQ first={self.first}, middle={self.middle}, last={self.last}"

    def to_dict(self) -> dict[str, str]:
        return {"first": self.first, "middle": self.middle, "last": self.last}


#: PKNCA's default positional BLQ rule (reference kinetics.md §2.5).
PKNCA_BLQ_RULE = BLQRule()


@dataclass(frozen=True)
class CleanedProfile:
    """Post-infusion days and levels after the BLQ rule, ready to integrate.

    ``imputed`` marks points that were not measured (the day-0 zero) or whose value was replaced
    (BLQ as 0 or LLOQ/2).
    """

    days: FloatArray
    levels: FloatArray
    imputed: BoolArray
    notes: tuple[str, ...] = ()


def clean_blq(
    profile: Profile, rule: BLQRule = PKNCA_BLQ_RULE, *, conc0: float | None = 0.0
) -> CleanedProfile:
    """Apply the positional BLQ rule to the post-infusion samples of ``profile``.

    Samples before day 0 are left out. When no sample falls on day 0 and ``conc0`` is not None,
    a level ``conc0`` (default 0: no CAR-T before infusion) is put at day 0 (PKNCA's
    start-concentration imputation). Source: PKNCA ``clean.conc.blq``; reference kinetics.md §2.5.
    """
    post = profile.post_infusion
    t = profile.days[post]
    v = profile.values[post]
    b = profile.blq[post]
    q = profile.lloq[post]
    notes: list[str] = []
    quant_idx = np.flatnonzero(~b)
    keep = np.ones(t.size, dtype=bool)
    levels = np.where(b, 0.0, v)
    imputed = b.copy()
    if quant_idx.size:
        i0, i1 = int(quant_idx[0]), int(quant_idx[-1])
        for i in np.flatnonzero(b):
            action = rule.first if i < i0 else (rule.last if i > i1 else rule.middle)
            if action == "drop":
                keep[i] = False
            elif action == "half_lloq":
                if math.isnan(q[i]):
                    raise KineticsInputError(
                        [
                            Problem(
                                f"BLQ rule half_lloq needs the LLOQ of the sample on day {t[i]:g}",
                                where=profile.label or None,
                                field="lloq",
                            )
                        ]
                    )
                levels[i] = q[i] / 2.0
        n_mid = int(np.sum(b[i0 : i1 + 1]))
        if n_mid and rule.middle == "drop":
            notes.append(f"{n_mid} BLQ sample(s) between quantifiable levels dropped")
    t, levels, imputed = t[keep], levels[keep], imputed[keep]
    if conc0 is not None and (t.size == 0 or t[0] > 0.0):
        t = np.concatenate([[0.0], t])
        levels = np.concatenate([[float(conc0)], levels])
        imputed = np.concatenate([[True], imputed])
        notes.append(
            f"no sample on day 0: level {conc0:g} assumed at day 0 (no cells before infusion)"
        )
    return CleanedProfile(days=t, levels=levels, imputed=imputed, notes=tuple(notes))


# ---------------------------------------------------------------------------- integration
def _segment_is_log(c1: float, c2: float, method: AUCMethod) -> bool:
    return method == "linup_logdown" and 0.0 < c2 < c1


def _interp(t1: float, c1: float, t2: float, c2: float, u: float, log: bool) -> float:
    f = (u - t1) / (t2 - t1)
    if log:
        return c1 * (c2 / c1) ** f
    return c1 + (c2 - c1) * f


def _integral(u: float, cu: float, v: float, cv: float, log: bool) -> float:
    if v <= u:
        return 0.0
    if log and cu > cv > 0.0:
        return (v - u) * (cu - cv) / math.log(cu / cv)
    return (v - u) * (cu + cv) / 2.0


def auc_interval(
    days: Sequence[float] | FloatArray,
    levels: Sequence[float] | FloatArray,
    start: float,
    end: float,
    method: AUCMethod = "linup_logdown",
) -> float:
    """Area under the piecewise curve through (days, levels) between ``start`` and ``end``.

    ``days`` increasing; ``start``/``end`` inside [days[0], days[-1]]. Window ends inside an
    interval are interpolated consistently with the method (log interpolation on a falling,
    non-zero pair under linear-up/log-down; PKNCA ``pk.calc.aucint``). Pairs: both zero → 0;
    falling to a non-zero level → log trapezoid Δt·(C1−C2)/ln(C1/C2); otherwise linear
    (reference kinetics.md §2.5).
    """
    t = np.asarray(days, dtype=float)
    c = np.asarray(levels, dtype=float)
    if end < start:
        raise ValueError("end before start")
    if t.size == 0 or start < t[0] - 1e-12 or end > t[-1] + 1e-12:
        raise ValueError("window outside the sampled days")
    total = 0.0
    for i in range(t.size - 1):
        t1, t2 = float(t[i]), float(t[i + 1])
        lo, hi = max(start, t1), min(end, t2)
        if hi <= lo:
            continue
        c1, c2 = float(c[i]), float(c[i + 1])
        log = _segment_is_log(c1, c2, method)
        cu = c1 if lo == t1 else _interp(t1, c1, t2, c2, lo, log)
        cv = c2 if hi == t2 else _interp(t1, c1, t2, c2, hi, log)
        total += _integral(lo, cu, hi, cv, log)
    return total


# ---------------------------------------------------------------------------- terminal phase
@dataclass(frozen=True)
class TerminalPhase:
    """Log-linear regression on the last quantifiable levels after Tmax (λz)."""

    lambda_z: float
    half_life: float
    n_points: int
    first_day: float
    last_day: float
    r2_adj: float
    intercept: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "lambda_z": self.lambda_z,
            "half_life": self.half_life,
            "n_points": self.n_points,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "r2_adj": self.r2_adj,
        }


#: The smallest change of ln(level) across a terminal phase read as a decline (λz > 0).
FLAT_LOG_CHANGE = 1e-9


def terminal_phase(
    days: FloatArray,
    levels: FloatArray,
    tmax: float,
    *,
    min_points: int = 3,
    adj_r2_tolerance: float = 1e-4,
) -> TerminalPhase | str:
    """Choose the terminal log-linear phase as PKNCA does by default; return it or a reason.

    Candidates are the last n quantifiable levels strictly after Tmax (n ≥ ``min_points``); each
    is fitted by least squares of ln(level) on day; among fits with λz > 0 (a fall of ln(level)
    over the phase above ``FLAT_LOG_CHANGE``, so equal levels are flat), the best adjusted R²
    wins, and fits within ``adj_r2_tolerance`` of it prefer more points (PKNCA ``half.life``
    with ``adj.r.squared.factor``; reference kinetics.md §2.5–2.6).
    """
    sel = (days > tmax) & (levels > 0)
    t = days[sel]
    y = np.log(levels[sel])
    if t.size < min_points:
        return (
            f"fewer than {min_points} quantifiable levels after Tmax ({t.size}): no terminal phase"
        )
    fits: list[tuple[float, int, float, float]] = []
    for n in range(min_points, t.size + 1):
        tt, yy = t[-n:], y[-n:]
        tm, ym = tt.mean(), yy.mean()
        sxx = float(np.sum((tt - tm) ** 2))
        slope = float(np.sum((tt - tm) * (yy - ym)) / sxx)
        icpt = float(ym - slope * tm)
        ss_res = float(np.sum((yy - icpt - slope * tt) ** 2))
        ss_tot = float(np.sum((yy - ym) ** 2))
        r2 = 1.0 if ss_tot == 0.0 else 1.0 - ss_res / ss_tot
        r2_adj = 1.0 - (1.0 - r2) * (n - 1) / (n - 2)
        # a fall of under one part in 10^9 across the phase is rounding of equal levels, not a
        # decline: λz from it would be ~1e-17/day and AUCinf astronomically large
        if slope < 0 and -slope * float(tt[-1] - tt[0]) > FLAT_LOG_CHANGE:
            fits.append((r2_adj, n, -slope, icpt))
    if not fits:
        return "levels are not declining over the last samples: no terminal phase"
    best = max(f[0] for f in fits)
    r2_adj, n, lam, icpt = max(
        (f for f in fits if f[0] >= best - adj_r2_tolerance), key=lambda f: f[1]
    )
    return TerminalPhase(
        lambda_z=lam,
        half_life=math.log(2) / lam,
        n_points=n,
        first_day=float(t[-n]),
        last_day=float(t[-1]),
        r2_adj=r2_adj,
        intercept=icpt,
    )


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class AUCResult:
    """AUC over one window; ``value`` None with ``reason`` when it cannot be computed."""

    start: float
    end: float | None  # None = "last" (0 to Tlast)
    value: float | None
    extrapolated_pct: float = 0.0
    reason: str | None = None

    @property
    def key(self) -> str:
        if self.end is None:
            return "auc_last"
        if math.isinf(self.end):
            return "auc_inf"
        return f"auc_{self.start:g}_{self.end:g}d".replace(".", "p").replace("-", "m")

    @property
    def label(self) -> str:
        if self.end is None:
            return "AUC0–last"
        if math.isinf(self.end):
            return "AUC0–inf"
        return f"AUC{self.start:g}–{self.end:g}d"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "start": self.start,
            "end": None if self.end is None or math.isinf(self.end) else self.end,
            "value": self.value,
            "extrapolated_pct": self.extrapolated_pct,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class NCAResult:
    """Non-compartmental figures of one profile, with the method used and what is missing.

    Any figure may be None; ``unavailable`` then says why (key → reason). ``aucs`` holds the
    window AUCs in the order requested, then AUC0–last and AUC0–inf. ``persistence_days`` is
    Tlast; ``persistence_censored`` is True when the last post-infusion sample is still
    quantifiable (persistence is then at least that long: right-censored by follow-up).
    """

    unit: str
    auc_unit: str
    method: AUCMethod
    blq_rule: BLQRule
    cmax: float | None
    tmax: float | None
    clast: float | None
    tlast: float | None
    aucs: tuple[AUCResult, ...]
    terminal: TerminalPhase | None
    detected: bool
    persistence_days: float | None
    persistence_censored: bool
    last_sample_day: float | None
    n_samples: int
    n_blq: int
    n_pre_infusion: int
    unavailable: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def auc(self, start: float = 0.0, end: float | None = 28.0) -> AUCResult | None:
        """The AUC result for a window computed with this result (None if not requested)."""
        for a in self.aucs:
            if a.start == start and a.end == end:
                return a
        return None

    @property
    def auc_0_28(self) -> float | None:
        a = self.auc(0.0, 28.0)
        return None if a is None else a.value

    @property
    def auc_last(self) -> float | None:
        a = self.auc(0.0, None)
        return None if a is None else a.value

    @property
    def auc_inf(self) -> float | None:
        a = self.auc(0.0, math.inf)
        return None if a is None else a.value

    @property
    def half_life(self) -> float | None:
        return None if self.terminal is None else self.terminal.half_life

    @property
    def lambda_z(self) -> float | None:
        return None if self.terminal is None else self.terminal.lambda_z

    @property
    def method_text(self) -> str:
        return f"{_METHOD_TEXT[self.method]}; {self.blq_rule.describe()}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``metrics`` (value, unit, label), ``unavailable``, method, notes."""
        u, au = self.unit, self.auc_unit

        def m(key: str, value: float | None, unit: str, **extra: Any) -> dict[str, Any]:
            label, pknca, cdisc = METRICS.get(key, (key, "", ""))
            d = {"value": value, "unit": unit, "label": label}
            if pknca:
                d["pknca"] = pknca
                d["cdisc"] = cdisc
            d.update(extra)
            return d

        metrics: dict[str, Any] = {
            "cmax": m("cmax", self.cmax, u),
            "tmax": m("tmax", self.tmax, "day"),
            "clast": m("clast", self.clast, u),
            "tlast": m("tlast", self.tlast, "day"),
        }
        for a in self.aucs:
            _, pknca, cdisc = METRICS.get(a.key, (a.label, "aucint", "AUCINT"))
            metrics[a.key] = {
                "value": a.value,
                "unit": au,
                "label": a.label,
                "start": a.start,
                "end": None if a.end is None or math.isinf(a.end) else a.end,
                "extrapolated_pct": a.extrapolated_pct,
                "pknca": pknca,
                "cdisc": cdisc,
            }
        metrics["lambda_z"] = m("lambda_z", self.lambda_z, "1/day")
        metrics["half_life"] = m("half_life", self.half_life, "day")
        metrics["persistence"] = m(
            "persistence", self.persistence_days, "day", censored=self.persistence_censored
        )
        return {
            "unit": self.unit,
            "method": self.method,
            "method_text": self.method_text,
            "blq_rule": self.blq_rule.to_dict(),
            "metrics": metrics,
            "terminal_phase": None if self.terminal is None else self.terminal.to_dict(),
            "detected": self.detected,
            "last_sample_day": self.last_sample_day,
            "n_samples": self.n_samples,
            "n_blq": self.n_blq,
            "n_pre_infusion": self.n_pre_infusion,
            "unavailable": dict(self.unavailable),
            "notes": list(self.notes),
        }


def _auc_unit(unit: str) -> str:
    if not unit:
        return "day"
    if "/" in unit:
        num, den = unit.split("/", 1)
        return f"{num}·day/{den}"
    return f"{unit}·day"


def nca(
    profile: Profile,
    *,
    windows: Sequence[tuple[float, float]] = ((0.0, 28.0), (0.0, 84.0)),
    method: AUCMethod = "linup_logdown",
    blq_rule: BLQRule = PKNCA_BLQ_RULE,
    conc0: float | None = 0.0,
    extrapolate: bool = False,
    lambda_z_min_points: int = 3,
) -> NCAResult:
    """Non-compartmental figures of one profile (reference kinetics.md §2.4–2.6, PKNCA rules).

    * Cmax/Tmax: highest quantifiable post-infusion level and its first day.
    * Clast/Tlast: last quantifiable level and its day; persistence = Tlast, censored when the
      last post-infusion sample is quantifiable.
    * AUC over each window in ``windows`` (default 0–28 and 0–84 days), AUC0–last and AUC0–inf,
      by ``method`` (``"linup_logdown"`` default, or ``"linear"``) on the BLQ-cleaned profile
      (:func:`clean_blq`, PKNCA default rule). A window reaching past the last sample is
      completed with zero if that sample is BLQ (kept as 0); otherwise it is unavailable,
      unless ``extrapolate=True`` and λz exists: then it is completed with the terminal phase
      (Clast·e^(−λz·t)) and the extrapolated share is reported.
    * λz and T½ from :func:`terminal_phase`; AUC0–inf = AUC0–last + Clast/λz.

    Never raises for thin data: figures that cannot be computed are None and ``unavailable``
    says why. Raises :class:`KineticsInputError` only for a rule that cannot apply (LLOQ/2
    without an LLOQ) or an invalid window.
    """
    if method not in _METHOD_TEXT:
        raise KineticsInputError(
            [Problem(f"AUC method {method!r}: use linear or linup_logdown", field="method")]
        )
    for a, b in windows:
        if not (math.isfinite(a) and math.isfinite(b) and 0.0 <= a < b):
            raise KineticsInputError(
                [Problem(f"AUC window {a:g}–{b:g}: needs 0 <= start < end (days)", field="windows")]
            )
    unavailable: dict[str, str] = {}
    notes: list[str] = []
    post = profile.post_infusion
    n_pre = int(np.sum(~post))
    if n_pre:
        notes.append(f"{n_pre} pre-infusion sample(s) (day < 0) not used")
    t_all = profile.days[post]
    b_all = profile.blq[post]
    v_all = profile.values[post]
    n_post = int(t_all.size)
    q = ~b_all
    detected = bool(np.any(q))
    last_sample_day = float(t_all[-1]) if n_post else None
    cmax = tmax = clast = tlast = None
    if not n_post:
        reason = "no sample on or after day 0"
    elif not detected:
        reason = f"no quantifiable level after infusion (all {n_post} samples below quantification)"
    else:
        reason = ""
        qi = np.flatnonzero(q)
        vals = v_all[qi]
        k = int(np.argmax(vals))  # first occurrence on ties (PKNCA first.tmax)
        cmax, tmax = float(vals[k]), float(t_all[qi[k]])
        clast, tlast = float(v_all[qi[-1]]), float(t_all[qi[-1]])
        if qi[k] == n_post - 1 and n_post > 1:
            notes.append("the highest level is the last sample: the peak may lie later")
    if reason:
        for key in ("cmax", "tmax", "clast", "tlast", "persistence"):
            unavailable[key] = reason
    persistence_censored = bool(detected and q[-1])

    aucs: list[AUCResult] = []
    terminal: TerminalPhase | None = None
    auc_keys = [(float(a), float(b)) for a, b in windows]
    if reason:
        unavailable["half_life"] = reason
        unavailable["lambda_z"] = reason
        all_windows: list[tuple[float, float | None]] = [*auc_keys, (0.0, None), (0.0, math.inf)]
        for a, b_end in all_windows:
            r = AUCResult(a, b_end, None, reason=reason)
            aucs.append(r)
            unavailable[r.key] = reason
        return NCAResult(
            unit=profile.unit,
            auc_unit=_auc_unit(profile.unit),
            method=method,
            blq_rule=blq_rule,
            cmax=None,
            tmax=None,
            clast=None,
            tlast=None,
            aucs=tuple(aucs),
            terminal=None,
            detected=detected,
            persistence_days=None,
            persistence_censored=False,
            last_sample_day=last_sample_day,
            n_samples=len(profile),
            n_blq=int(np.sum(profile.blq)),
            n_pre_infusion=n_pre,
            unavailable=unavailable,
            notes=tuple(notes),
        )
    assert tmax is not None and clast is not None and tlast is not None

    cleaned = clean_blq(profile, blq_rule, conc0=conc0)
    notes.extend(cleaned.notes)
    ct, cc = cleaned.days, cleaned.levels
    tp = terminal_phase(
        ct[~cleaned.imputed], cc[~cleaned.imputed], tmax, min_points=lambda_z_min_points
    )
    if isinstance(tp, str):
        unavailable["half_life"] = tp
        unavailable["lambda_z"] = tp
    else:
        terminal = tp
        if tp.r2_adj < 0.8:
            notes.append(f"terminal phase fit is poor (adjusted R² {tp.r2_adj:.2f})")

    too_few = n_post < 2
    few_reason = "AUC needs at least two post-infusion samples"

    def window_auc(a: float, b: float) -> AUCResult:
        if too_few:
            return AUCResult(a, b, None, reason=few_reason)
        if a < ct[0]:
            return AUCResult(
                a,
                b,
                None,
                reason=f"no level known at day {a:g} (first sample "
                f"day {ct[0]:g}, no day-0 imputation)",
            )
        t_end, c_end = float(ct[-1]), float(cc[-1])
        inside = auc_interval(ct, cc, a, min(b, t_end), method) if a < t_end else 0.0
        if b <= t_end:
            return AUCResult(a, b, inside)
        if c_end == 0.0:
            return AUCResult(a, b, inside)
        if not extrapolate:
            return AUCResult(
                a,
                b,
                None,
                reason=f"profile ends at day {t_end:g} with a "
                f"quantifiable level, before day {b:g}; not extrapolated "
                "(extrapolate=True completes it with the terminal phase)",
            )
        if terminal is None:
            return AUCResult(
                a,
                b,
                None,
                reason=f"profile ends at day {t_end:g} with a "
                f"quantifiable level, before day {b:g}, and there is no terminal "
                "phase to extrapolate with",
            )
        lam = terminal.lambda_z
        lo = max(a, t_end)
        extra = c_end * (math.exp(-lam * (lo - t_end)) - math.exp(-lam * (b - t_end))) / lam
        total = inside + extra
        pct = 100.0 * extra / total if total > 0 else 0.0
        return AUCResult(a, b, total, extrapolated_pct=pct)

    for a, b in auc_keys:
        r = window_auc(a, b)
        if r.value is None and r.reason:
            unavailable[r.key] = r.reason
        elif r.extrapolated_pct > 0:
            notes.append(
                f"{r.label}: {r.extrapolated_pct:.1f} % extrapolated beyond day "
                f"{ct[-1]:g} with the terminal phase"
            )
        aucs.append(r)
    # AUC0-last: 0 to Tlast on the cleaned profile
    if too_few:
        aucs.append(AUCResult(0.0, None, None, reason=few_reason))
        unavailable["auc_last"] = few_reason
    elif ct[0] > 0.0:
        rsn = f"no level known at day 0 (first sample day {ct[0]:g}, no day-0 imputation)"
        aucs.append(AUCResult(0.0, None, None, reason=rsn))
        unavailable["auc_last"] = rsn
    else:
        auc_last = auc_interval(ct, cc, 0.0, tlast, method)
        aucs.append(AUCResult(0.0, None, auc_last))
    last = aucs[-1]
    if last.value is None or terminal is None:
        rsn = (last.reason if last.value is None else unavailable.get("half_life")) or ""
        aucs.append(AUCResult(0.0, math.inf, None, reason=rsn))
        unavailable["auc_inf"] = rsn or "no terminal phase"
    else:
        extra = clast / terminal.lambda_z
        total = last.value + extra
        pct = 100.0 * extra / total
        aucs.append(AUCResult(0.0, math.inf, total, extrapolated_pct=pct))
        if pct > 20.0:
            notes.append(f"AUC0–inf is {pct:.0f} % extrapolated (more than 20 %)")
    return NCAResult(
        unit=profile.unit,
        auc_unit=_auc_unit(profile.unit),
        method=method,
        blq_rule=blq_rule,
        cmax=cmax,
        tmax=tmax,
        clast=clast,
        tlast=tlast,
        aucs=tuple(aucs),
        terminal=terminal,
        detected=detected,
        persistence_days=tlast,
        persistence_censored=persistence_censored,
        last_sample_day=last_sample_day,
        n_samples=len(profile),
        n_blq=int(np.sum(profile.blq)),
        n_pre_infusion=n_pre,
        unavailable=unavailable,
        notes=tuple(notes),
    )
