"""Kaplan–Meier estimates of OS, EFS, RFS and duration of response, with everything a published
curve shows as data: the step table with its confidence band, the median with its interval,
landmark rates, the numbers-at-risk table, and the median follow-up.

Estimation is lifelines' ``KaplanMeierFitter`` (Davidson-Pilon, lifelines, JOSS 2019):

* **Survival**: the product-limit estimate S(t) = prod over event times t_i <= t of
  (1 - d_i / n_i), with d_i events at t_i and n_i patients at risk (time >= t_i); a patient
  censored at t_i is still at risk at t_i.
* **Confidence band**: lifelines' pointwise "exponential Greenwood" interval: Greenwood's
  variance on the log(-log S) scale, back-transformed, so the limits stay within 0 and 1
  (Kalbfleisch & Prentice; the default of R's survfit is the plain log scale, so limits differ).
* **Median**: the first time S(t) is at or below 0.5 (lifelines' convention); "not reached" when
  it stays above. Its interval is where the lower and upper bands cross 0.5
  (``lifelines.utils.median_survival_times``); an upper limit that is never reached is None.
* **Landmark rate** at t: S(t), with the band at t; not estimable beyond the longest follow-up
  unless the estimate has already fallen to 0.
* **Numbers at risk** at t: patients whose time is >= t (still followed at t, R's ``n.risk``),
  with the events and censorings strictly before t, so the three add up to n.
* **Median follow-up**: the reverse Kaplan–Meier estimate (censoring as the event; Schemper &
  Smith 1996, Control Clin Trials 17:343).

Times are fitted in days (the rules' unit) and reported in days and months (30.4375 days).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from remission.cohort._common import (
    FEW_EVENTS,
    SMALL_N,
    caveat,
    clean,
    days_to_months,
    join_ids,
    months_to_days,
    plural,
    rounded,
)
from remission.cohort.data import ENDPOINT_LABELS, CohortData, EndpointTimes, Exclusion

__all__ = [
    "CI_METHOD",
    "DEFAULT_LANDMARKS_MONTHS",
    "KMStep",
    "KaplanMeier",
    "Landmark",
    "MedianEstimate",
    "RiskRow",
    "default_risk_times",
    "kaplan_meier",
    "risk_table",
]

CI_METHOD = "exponential Greenwood (log(-log) transform), lifelines"

#: Landmarks reported by default: 6, 12 and 24 months.
DEFAULT_LANDMARKS_MONTHS: tuple[float, ...] = (6.0, 12.0, 24.0)


@dataclass(frozen=True)
class KMStep:
    """One row of the step table: the estimate from ``days`` until the next row."""

    days: float
    n_at_risk: int
    n_events: int
    n_censored: int
    survival: float
    ci_lower: float | None
    ci_upper: float | None

    @property
    def months(self) -> float:
        return days_to_months(self.days)

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": rounded(self.days, 2),
            "months": rounded(self.months, 3),
            "n_at_risk": self.n_at_risk,
            "n_events": self.n_events,
            "n_censored": self.n_censored,
            "survival": rounded(self.survival),
            "ci_lower": rounded(self.ci_lower),
            "ci_upper": rounded(self.ci_upper),
        }


@dataclass(frozen=True)
class MedianEstimate:
    """A median time (survival or follow-up) with its interval; ``reached`` False = not
    reached (``days`` None). ``ci_upper_days`` None with ``reached`` = upper limit not reached.
    ``estimable`` False (median follow-up when every patient had the event) = nothing to
    estimate from; ``reason`` says why."""

    reached: bool
    days: float | None = None
    ci_lower_days: float | None = None
    ci_upper_days: float | None = None
    reason: str | None = None
    estimable: bool = True

    @property
    def months(self) -> float | None:
        return None if self.days is None else days_to_months(self.days)

    @property
    def text(self) -> str:
        if not self.estimable:
            return f"not estimable: {self.reason}"
        if not self.reached or self.days is None:
            return f"not reached: {self.reason}" if self.reason else "not reached"
        lo = "NR" if self.ci_lower_days is None else f"{days_to_months(self.ci_lower_days):.1f}"
        hi = "NR" if self.ci_upper_days is None else f"{days_to_months(self.ci_upper_days):.1f}"
        return f"{days_to_months(self.days):.1f} months (CI {lo}–{hi})"

    def to_dict(self) -> dict[str, Any]:
        def m(x: float | None) -> float | None:
            return None if x is None else round(days_to_months(x), 3)

        return {
            "estimable": self.estimable,
            "reached": self.reached,
            "days": rounded(self.days, 2),
            "months": m(self.days),
            "ci_lower_days": rounded(self.ci_lower_days, 2),
            "ci_upper_days": rounded(self.ci_upper_days, 2),
            "ci_lower_months": m(self.ci_lower_days),
            "ci_upper_months": m(self.ci_upper_days),
            "reason": self.reason,
            "text": self.text,
        }


@dataclass(frozen=True)
class Landmark:
    """The estimate at a fixed time (e.g. 12-month OS), or why it cannot be given."""

    months: float
    estimable: bool
    estimate: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    n_at_risk: int = 0
    reason: str | None = None

    @property
    def days(self) -> float:
        return months_to_days(self.months)

    def to_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "days": round(self.days, 2),
            "estimable": self.estimable,
            "estimate": rounded(self.estimate),
            "ci_lower": rounded(self.ci_lower),
            "ci_upper": rounded(self.ci_upper),
            "n_at_risk": self.n_at_risk,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RiskRow:
    """Numbers at risk at one time: still followed (time >= t), events and censored before t."""

    months: float
    n_at_risk: int
    events_before: int
    censored_before: int

    @property
    def days(self) -> float:
        return months_to_days(self.months)

    def to_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "days": round(self.days, 2),
            "n_at_risk": self.n_at_risk,
            "events_before": self.events_before,
            "censored_before": self.censored_before,
        }


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier analysis of one endpoint, as data (module docstring)."""

    endpoint: str
    label: str
    anchor: str
    n: int
    n_events: int
    n_approximate: int
    estimable: bool
    steps: tuple[KMStep, ...] = ()
    median: MedianEstimate | None = None
    landmarks: tuple[Landmark, ...] = ()
    risk: tuple[RiskRow, ...] = ()
    follow_up: MedianEstimate | None = None
    excluded: tuple[Exclusion, ...] = ()
    reason: str | None = None
    confidence: float = 0.95
    ci_method: str = CI_METHOD
    notes: tuple[str, ...] = ()

    @property
    def n_censored(self) -> int:
        return self.n - self.n_events

    def landmark(self, months: float) -> Landmark:
        for lm in self.landmarks:
            if lm.months == months:
                return lm
        raise KeyError(
            f"no landmark at {months} months (have {[x.months for x in self.landmarks]})"
        )

    def survival_at(self, days: float) -> float | None:
        """The step estimate at a time in days (None before the first row or when empty)."""
        value = None
        for s in self.steps:
            if s.days <= days:
                value = s.survival
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "label": self.label,
            "anchor": self.anchor,
            "n": self.n,
            "n_events": self.n_events,
            "n_censored": self.n_censored,
            "n_approximate": self.n_approximate,
            "estimable": self.estimable,
            "reason": self.reason,
            "confidence": self.confidence,
            "ci_method": self.ci_method,
            "median": None if self.median is None else self.median.to_dict(),
            "follow_up": None if self.follow_up is None else self.follow_up.to_dict(),
            "landmarks": [lm.to_dict() for lm in self.landmarks],
            "risk_table": [r.to_dict() for r in self.risk],
            "steps": [s.to_dict() for s in self.steps],
            "excluded": [e.to_dict() for e in self.excluded],
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """The step table (the curve and its band)."""
        cols = ["days", "months", "n_at_risk", "n_events", "n_censored", "survival",
                "ci_lower", "ci_upper"]  # fmt: skip
        return pd.DataFrame([s.to_dict() for s in self.steps], columns=cols)

    def risk_frame(self) -> pd.DataFrame:
        """The numbers-at-risk table."""
        cols = ["months", "days", "n_at_risk", "events_before", "censored_before"]
        return pd.DataFrame([r.to_dict() for r in self.risk], columns=cols)

    def landmark_frame(self) -> pd.DataFrame:
        cols = ["months", "days", "estimable", "estimate", "ci_lower", "ci_upper", "n_at_risk",
                "reason"]  # fmt: skip
        return pd.DataFrame([lm.to_dict() for lm in self.landmarks], columns=cols)


# --------------------------------------------------------------------------------------------
# Shared pieces (also used by the competing-risk module)
# --------------------------------------------------------------------------------------------


def default_risk_times(max_days: float, step_months: float = 6.0) -> tuple[float, ...]:
    """0, 6, 12, ... months up to the longest follow-up."""
    if max_days <= 0:
        return (0.0,)
    top = days_to_months(max_days)
    return tuple(float(step_months * i) for i in range(int(top // step_months) + 1))


def risk_table(
    days: Sequence[float], events: Sequence[bool], times_months: Iterable[float]
) -> tuple[RiskRow, ...]:
    """Numbers at risk at each time (module docstring for the convention)."""
    d = np.asarray(days, dtype=float)
    e = np.asarray(events, dtype=bool)
    rows = []
    for m in times_months:
        t = months_to_days(m)
        before = d < t
        rows.append(
            RiskRow(
                months=float(m),
                n_at_risk=int((d >= t).sum()),
                events_before=int((before & e).sum()),
                censored_before=int((before & ~e).sum()),
            )
        )
    return tuple(rows)


def _ci_columns(ci: pd.DataFrame) -> tuple[str, str]:
    lower = next(c for c in ci.columns if "_lower_" in str(c))
    upper = next(c for c in ci.columns if "_upper_" in str(c))
    return lower, upper


def _at(frame: pd.DataFrame, days: float) -> pd.Series | None:
    """The row of a lifelines step frame in force at ``days`` (last index <= days)."""
    rows = frame.loc[frame.index <= days + 1e-9]
    return None if rows.empty else rows.iloc[-1]


def _excluded_summary(excluded: Sequence[Exclusion]) -> str:
    if not excluded:
        return ""
    return f"; {plural(len(excluded), 'case')} excluded ({join_ids(e.case_id for e in excluded)})"


def _median(kmf: KaplanMeierFitter, what: str) -> MedianEstimate:
    median = clean(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    lower, upper = _ci_columns(ci)
    lo, hi = clean(ci[lower].iloc[0]), clean(ci[upper].iloc[0])
    if median is None:
        s = kmf.survival_function_.iloc[:, 0]
        lowest = float(s.min())
        if lowest >= 1.0:
            why = f"no {what} events: the estimate stays at 100 %"
        else:
            why = (
                f"the {what} estimate stays above 50 % (lowest {100 * lowest:.1f} % from "
                f"{days_to_months(float(s.idxmin())):.1f} months)"
            )
        return MedianEstimate(False, ci_lower_days=lo, reason=why)
    return MedianEstimate(True, median, lo, hi)


def _follow_up(days: Sequence[float], events: Sequence[bool], confidence: float) -> MedianEstimate:
    censored = [not e for e in events]
    if not any(censored):
        return MedianEstimate(
            False,
            reason="every patient had the event: no censored time to estimate follow-up from",
            estimable=False,
        )
    kmf = KaplanMeierFitter(alpha=1 - confidence).fit(days, censored, label="follow_up")
    return _median(kmf, "censoring (reverse Kaplan-Meier)")


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------


def kaplan_meier(
    data: CohortData | EndpointTimes,
    endpoint: str = "OS",
    *,
    landmarks_months: Iterable[float] = DEFAULT_LANDMARKS_MONTHS,
    risk_times_months: Iterable[float] | None = None,
    confidence: float = 0.95,
) -> KaplanMeier:
    """Kaplan–Meier analysis of one endpoint (OS, EFS, RFS or DOR) of a cohort.

    ``data`` is a :class:`CohortData` (its ``endpoint`` times are used) or the
    :class:`EndpointTimes` themselves. ``risk_times_months`` default to every 6 months up to the
    longest follow-up. Never raises for thin data: an empty endpoint is ``estimable=False`` with
    the reason; caveats (small n, few or no events, approximate times) are
    :class:`~remission.exceptions.EstimationWarning` s and ``notes``.
    """
    times = data.times(endpoint) if isinstance(data, CohortData) else data
    endpoint = times.endpoint
    label = ENDPOINT_LABELS.get(endpoint, endpoint)
    landmarks_months = tuple(float(m) for m in landmarks_months)
    base: dict[str, Any] = {
        "endpoint": endpoint,
        "label": label,
        "anchor": times.anchor,
        "n": times.n,
        "n_events": times.n_events,
        "n_approximate": times.n_approximate,
        "excluded": times.excluded,
        "confidence": confidence,
    }
    if times.n == 0:
        why = f"no patient has a computable {label}" + _excluded_summary(times.excluded)
        return KaplanMeier(
            **base,
            estimable=False,
            reason=why,
            landmarks=tuple(Landmark(m, False, reason="no patients") for m in landmarks_months),
        )

    notes: list[str] = []
    days, events = times.days, times.events
    if times.n < SMALL_N:
        caveat(notes, f"{label}: only {plural(times.n, 'patient')}; the band is wide")
    if times.n_events == 0:
        caveat(
            notes,
            f"{label}: no events among {plural(times.n, 'patient')}: the estimate stays at "
            "100 % and the median is not reached",
        )
    elif times.n_events < FEW_EVENTS:
        caveat(notes, f"{label}: only {plural(times.n_events, 'event')}; estimates are unstable")
    if times.n_approximate:
        notes.append(
            f"{plural(times.n_approximate, 'time')} of {times.n} from partial dates: the midpoint "
            "of each interval is used"
        )
    if times.excluded:
        notes.append(f"{plural(len(times.excluded), 'case')} excluded (see 'excluded')")

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        kmf = KaplanMeierFitter(alpha=1 - confidence).fit(days, events, label="estimate")
    table = kmf.event_table
    surv = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    lower, upper = _ci_columns(ci)
    steps = tuple(
        KMStep(
            days=float(t),
            n_at_risk=int(table.loc[t, "at_risk"]),
            n_events=int(table.loc[t, "observed"]),
            n_censored=int(table.loc[t, "censored"]),
            survival=float(surv.loc[t]),
            ci_lower=clean(ci.loc[t, lower]),
            ci_upper=clean(ci.loc[t, upper]),
        )
        for t in table.index
    )

    max_days = max(days)
    last_s = float(surv.iloc[-1])
    d_arr = np.asarray(days)
    marks = []
    for m in landmarks_months:
        t = months_to_days(m)
        at_risk = int((d_arr >= t).sum())
        if t > max_days and last_s > 0:
            marks.append(
                Landmark(
                    m,
                    False,
                    n_at_risk=0,
                    reason=f"beyond the longest follow-up ({days_to_months(max_days):.1f} months)",
                )
            )
            continue
        s_row, c_row = _at(kmf.survival_function_, t), _at(ci, t)
        assert s_row is not None and c_row is not None  # the timeline starts at 0
        marks.append(
            Landmark(
                m,
                True,
                float(s_row.iloc[0]),
                clean(c_row[lower]),
                clean(c_row[upper]),
                at_risk,
            )
        )

    risk_times = (
        default_risk_times(max_days)
        if risk_times_months is None
        else tuple(float(m) for m in risk_times_months)
    )
    return KaplanMeier(
        **base,
        estimable=True,
        steps=steps,
        median=_median(kmf, label),
        landmarks=tuple(marks),
        risk=risk_table(days, events, risk_times),
        follow_up=_follow_up(days, events, confidence),
        notes=tuple(notes),
    )
