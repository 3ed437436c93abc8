"""Competing risks after remission: cumulative incidence of relapse and of non-relapse
mortality (NRM), by the Aalen–Johansen estimator (lifelines' ``AalenJohansenFitter``).

**Who and from when.** Patients whose first index therapy achieved a remission (CR, CRh, CRi),
counted from that first remission: the RFS population and time origin of
:func:`remission.rules.outcomes.relapse_free_survival`. (Non-responders have no remission to
relapse from; their deaths are not NRM.)

**Event coding** (from the Case, through the RFS result; :mod:`remission.cohort.data`):

* ``relapse`` (code 1): a relapse (or a follow-up recorded in relapse) came first — molecular
  relapses only with ``count_molecular``; a death recorded as caused by the disease without a
  recorded relapse is counted here too (the disease came back);
* ``nrm`` (code 2): death without a prior relapse, from any other or an unknown cause;
* censored (code 0): alive without relapse at the last contact (or at a transplant with
  ``censor_at_hsct``).

**Estimator.** For cause k, CIF_k(t) = sum over t_i <= t of S(t_i-) d_ki / n_i, with S the
all-cause Kaplan–Meier estimate, so CIF_relapse + CIF_nrm = 1 - S (the RFS curve) at every time.
Pointwise intervals are lifelines' (Greenwood-type variance, log(-log) transform; Collett,
Modelling Survival Data in Medical Research, 3rd ed.). Treating the competing event as
censoring (1 - KM) would overstate each incidence; that is why the estimator is used.

lifelines' estimator cannot take a relapse and an NRM at the same time (it would shift them
apart at random, and a patient censored at that time could then drop out of the risk set for one
of them). Such a tie is entered in turn instead: the relapses two millionths of a day before the
tied time, the NRMs one, so both still come before any censoring at that time; the table shows
the tie as one row again. This leaves both incidences exactly as the joint estimate at a tie (CIF_k increases by
S(t-) d_k / n either way); only the intervals are those of consecutive events. The result notes
every such tie.

Two workarounds for lifelines 0.30, both checked by the tests: it names its two interval limits
the wrong way round (the column called "upper" holds the smaller value), so the limits are taken
as the smaller and the larger; and it sets the incidence of the first row of its table to 0,
which would lose an event at time 0 (a relapse on the day the remission was recorded), so such
data are fitted on times shifted by one day and shifted back.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter

from remission.cohort._common import (
    FEW_EVENTS,
    SMALL_N,
    caveat,
    clean,
    days_to_months,
    months_to_days,
    plural,
    rounded,
)
from remission.cohort.data import CohortData, EndpointTimes, Exclusion
from remission.cohort.survival import (
    DEFAULT_LANDMARKS_MONTHS,
    RiskRow,
    _at,
    _excluded_summary,
    default_risk_times,
    risk_table,
)

__all__ = [
    "EVENT_CODES",
    "CompetingRisks",
    "IncidenceAt",
    "IncidenceStep",
    "cumulative_incidence",
]

#: The integer coding passed to lifelines: 0 censored, 1 relapse, 2 non-relapse mortality.
EVENT_CODES: dict[str | None, int] = {None: 0, "relapse": 1, "nrm": 2}

#: How far apart a tied relapse and NRM are entered (see the module docstring).
TIE_STEP_DAYS = 1e-6

#: Seed of lifelines' own random tie-breaking, which the separation above makes unused; fixed
#: (and numpy's global random state restored) so that no result could ever depend on chance.
JITTER_SEED = 20240501


@dataclass(frozen=True)
class IncidenceStep:
    """One row of the incidence table (values hold until the next row)."""

    days: float
    n_at_risk: int
    n_relapse: int
    n_nrm: int
    n_censored: int
    relapse: float
    relapse_lower: float | None
    relapse_upper: float | None
    nrm: float
    nrm_lower: float | None
    nrm_upper: float | None

    @property
    def months(self) -> float:
        return days_to_months(self.days)

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": rounded(self.days, 4),
            "months": rounded(self.months, 4),
            "n_at_risk": self.n_at_risk,
            "n_relapse": self.n_relapse,
            "n_nrm": self.n_nrm,
            "n_censored": self.n_censored,
            "relapse": rounded(self.relapse),
            "relapse_lower": rounded(self.relapse_lower),
            "relapse_upper": rounded(self.relapse_upper),
            "nrm": rounded(self.nrm),
            "nrm_lower": rounded(self.nrm_lower),
            "nrm_upper": rounded(self.nrm_upper),
        }


@dataclass(frozen=True)
class IncidenceAt:
    """Both cumulative incidences at a landmark time, or why they cannot be given."""

    months: float
    estimable: bool
    relapse: float | None = None
    relapse_lower: float | None = None
    relapse_upper: float | None = None
    nrm: float | None = None
    nrm_lower: float | None = None
    nrm_upper: float | None = None
    n_at_risk: int = 0
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "days": round(months_to_days(self.months), 2),
            "estimable": self.estimable,
            "relapse": rounded(self.relapse),
            "relapse_lower": rounded(self.relapse_lower),
            "relapse_upper": rounded(self.relapse_upper),
            "nrm": rounded(self.nrm),
            "nrm_lower": rounded(self.nrm_lower),
            "nrm_upper": rounded(self.nrm_upper),
            "n_at_risk": self.n_at_risk,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CompetingRisks:
    """Cumulative incidence of relapse and NRM after the first remission, as data."""

    n: int
    n_relapse: int
    n_nrm: int
    estimable: bool
    origin: str = "first remission"
    steps: tuple[IncidenceStep, ...] = ()
    landmarks: tuple[IncidenceAt, ...] = ()
    risk: tuple[RiskRow, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    n_approximate: int = 0
    reason: str | None = None
    confidence: float = 0.95
    method: str = "Aalen-Johansen, lifelines"
    notes: tuple[str, ...] = ()

    @property
    def n_censored(self) -> int:
        return self.n - self.n_relapse - self.n_nrm

    def landmark(self, months: float) -> IncidenceAt:
        for lm in self.landmarks:
            if lm.months == months:
                return lm
        raise KeyError(f"no landmark at {months} months")

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "n": self.n,
            "n_relapse": self.n_relapse,
            "n_nrm": self.n_nrm,
            "n_censored": self.n_censored,
            "n_approximate": self.n_approximate,
            "estimable": self.estimable,
            "reason": self.reason,
            "confidence": self.confidence,
            "method": self.method,
            "event_codes": {"censored": 0, "relapse": 1, "nrm": 2},
            "landmarks": [lm.to_dict() for lm in self.landmarks],
            "risk_table": [r.to_dict() for r in self.risk],
            "steps": [s.to_dict() for s in self.steps],
            "excluded": [e.to_dict() for e in self.excluded],
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        cols = list(IncidenceStep.__dataclass_fields__)
        cols.insert(1, "months")
        return pd.DataFrame([s.to_dict() for s in self.steps], columns=cols)

    def risk_frame(self) -> pd.DataFrame:
        cols = ["months", "days", "n_at_risk", "events_before", "censored_before"]
        return pd.DataFrame([r.to_dict() for r in self.risk], columns=cols)

    def landmark_frame(self) -> pd.DataFrame:
        cols = ["months", "days", "estimable", "relapse", "relapse_lower", "relapse_upper", "nrm",
                "nrm_lower", "nrm_upper", "n_at_risk", "reason"]  # fmt: skip
        return pd.DataFrame([lm.to_dict() for lm in self.landmarks], columns=cols)


def _fit(days: list[float], codes: list[int], k: int, confidence: float) -> AalenJohansenFitter:
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # the tie warning (noted by us) and 0/0 at CIF = 0
            return AalenJohansenFitter(alpha=1 - confidence, seed=JITTER_SEED).fit(
                days, codes, event_of_interest=k
            )
    finally:
        np.random.set_state(state)


def _incidence_frame(fit: AalenJohansenFitter) -> pd.DataFrame:
    """Incidence and its limits by time. lifelines 0.30 names its two limits the wrong way
    round (the column called upper holds the smaller value), so the limits are taken as the
    smaller and the larger of the two."""
    ci = fit.confidence_interval_.to_numpy(dtype=float)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lower, upper = np.nanmin(ci, axis=1), np.nanmax(ci, axis=1)
    both = ~np.isnan(ci).any(axis=1)
    frame = pd.DataFrame(
        {
            "cif": fit.cumulative_density_.iloc[:, 0].to_numpy(dtype=float),
            "lower": np.where(both, lower, np.nan),
            "upper": np.where(both, upper, np.nan),
        },
        index=fit.cumulative_density_.index,
    )
    return frame


def _cross_ties(days: list[float], codes: list[int]) -> list[float]:
    """Times at which both a relapse and an NRM happened."""
    seen: dict[float, set[int]] = {}
    for d, c in zip(days, codes, strict=True):
        if c:
            seen.setdefault(d, set()).add(c)
    return sorted(t for t, kinds in seen.items() if len(kinds) > 1)


def _fit_times(days: list[float], codes: list[int], ties: list[float]) -> list[float]:
    """The times given to lifelines: at a relapse/NRM tie the relapses are entered
    2 * TIE_STEP_DAYS and the NRMs TIE_STEP_DAYS before the tied time, so patients censored at it
    stay at risk for both (module docstring)."""
    tied = set(ties)
    return [
        d - (2 * TIE_STEP_DAYS if c == 1 else TIE_STEP_DAYS) if c and d in tied else d
        for d, c in zip(days, codes, strict=True)
    ]


def _steps(
    fits: dict[int, AalenJohansenFitter],
    frames: dict[int, pd.DataFrame],
    original: dict[float, float],
    offset: float,
) -> tuple[IncidenceStep, ...]:
    """The incidence table on the original times: rows of a separated tie are merged back."""
    t1, t2 = fits[1].event_table, fits[2].event_table
    groups: dict[float, list[float]] = {}
    for fitted in t1.index:
        t = original.get(float(fitted), float(fitted) - offset)
        if t < 0:
            continue  # the origin row of a shifted fit
        groups.setdefault(t, []).append(fitted)
    steps = []
    for t, rows in groups.items():
        last = rows[-1]
        r, n = frames[1].loc[last], frames[2].loc[last]
        steps.append(
            IncidenceStep(
                days=t,
                n_at_risk=int(t1.loc[rows[0], "at_risk"]),
                n_relapse=int(t1.loc[rows, "observed_1"].sum()),
                n_nrm=int(t2.loc[rows, "observed_2"].sum()),
                n_censored=int(t1.loc[rows, "censored"].sum()),
                relapse=float(r["cif"]),
                relapse_lower=clean(r["lower"]),
                relapse_upper=clean(r["upper"]),
                nrm=float(n["cif"]),
                nrm_lower=clean(n["lower"]),
                nrm_upper=clean(n["upper"]),
            )
        )
    return tuple(steps)


def cumulative_incidence(
    data: CohortData | EndpointTimes,
    *,
    landmarks_months: Iterable[float] = DEFAULT_LANDMARKS_MONTHS,
    risk_times_months: Iterable[float] | None = None,
    confidence: float = 0.95,
) -> CompetingRisks:
    """Cumulative incidence of relapse and of NRM from the first remission (module docstring).

    ``data``: a :class:`CohortData` (its RFS times and their competing-event coding are used),
    or RFS :class:`EndpointTimes`. Never raises for thin data: no patients in remission gives
    ``estimable=False`` with the reason; no events gives incidences of 0 with a caveat.
    """
    times = data.times("RFS") if isinstance(data, CohortData) else data
    landmarks_months = tuple(float(m) for m in landmarks_months)
    codes = [EVENT_CODES[r.competing] for r in times.rows]
    n_rel, n_nrm = codes.count(1), codes.count(2)
    base: dict[str, Any] = {
        "n": times.n,
        "n_relapse": n_rel,
        "n_nrm": n_nrm,
        "excluded": times.excluded,
        "n_approximate": times.n_approximate,
        "confidence": confidence,
    }
    if times.n == 0:
        return CompetingRisks(
            **base,
            estimable=False,
            reason="no patient with a recorded remission and a computable time from it"
            + _excluded_summary(times.excluded),
            landmarks=tuple(IncidenceAt(m, False, reason="no patients") for m in landmarks_months),
        )
    notes: list[str] = []
    days = times.days
    if times.n < SMALL_N:
        caveat(notes, f"cumulative incidence: only {plural(times.n, 'patient')} in remission")
    if n_rel + n_nrm == 0:
        caveat(notes, "no relapse and no non-relapse death: both incidences stay at 0")
    elif n_rel + n_nrm < FEW_EVENTS:
        caveat(notes, f"only {plural(n_rel + n_nrm, 'event')}: incidences are unstable")
    ties = _cross_ties(days, codes)
    if ties:
        notes.append(
            f"a relapse and a non-relapse death share a time (day {', '.join(f'{t:g}' for t in ties)}"
            "): the estimator takes them in turn, relapse first, a millionth of a day apart; "
            "the incidences are unchanged, the intervals are those of consecutive events"
        )
    if times.n_approximate:
        notes.append(
            f"{plural(times.n_approximate, 'time')} of {times.n} from partial dates: the midpoint "
            "of each interval is used"
        )

    # lifelines 0.30 sets the incidence of the first row of its table to 0, which loses events
    # at time 0 (lifelines PR #1699): then fit on times shifted by one day and shift back.
    fitted = _fit_times(days, codes, ties)
    offset = 1.0 if any(f <= 0 and c for f, c in zip(fitted, codes, strict=True)) else 0.0
    original = {f + offset: d for f, d in zip(fitted, days, strict=True)}
    original.setdefault(offset, 0.0)
    fits = {k: _fit([f + offset for f in fitted], codes, k, confidence) for k in (1, 2)}
    frames = {k: _incidence_frame(f) for k, f in fits.items()}
    steps = _steps(fits, frames, original, offset)

    max_days = max(days)
    d_arr = np.asarray(days)
    marks = []
    for m in landmarks_months:
        t = months_to_days(m)
        if t > max_days:
            marks.append(
                IncidenceAt(
                    m,
                    False,
                    reason=f"beyond the longest follow-up ({days_to_months(max_days):.1f} months)",
                )
            )
            continue
        r1, r2 = _at(frames[1], t + offset), _at(frames[2], t + offset)
        assert r1 is not None and r2 is not None  # the table starts at 0
        marks.append(
            IncidenceAt(
                m,
                True,
                float(r1["cif"]),
                clean(r1["lower"]),
                clean(r1["upper"]),
                float(r2["cif"]),
                clean(r2["lower"]),
                clean(r2["upper"]),
                int((d_arr >= t).sum()),
            )
        )
    risk_times = (
        default_risk_times(max_days)
        if risk_times_months is None
        else tuple(float(m) for m in risk_times_months)
    )
    return CompetingRisks(
        **base,
        estimable=True,
        steps=steps,
        landmarks=tuple(marks),
        risk=risk_table(days, [c != 0 for c in codes], risk_times),
        notes=tuple(notes),
    )
