"""B-cell aplasia duration from serial B-cell counts, a surrogate of CD19 CAR-T persistence.

Mueller et al. (Clin Cancer Res 2018; reference kinetics.md §2.1) report that B-cell recovery
within 6 months goes with earlier loss of tisagenlecleucel transgene, which is why the duration
of B-cell aplasia is read as a persistence surrogate; loss of aplasia (B-cell recovery) before a
CD19-positive relapse is the clinical pattern named in clinical-criteria.md. Published
thresholds for "aplasia" differ between studies (for example a percentage of lymphocytes or an
absolute count), so this module takes the threshold and its unit from the caller and records
them with the result rather than fixing one. See docs/kinetics.md "B-cell aplasia".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from remission.exceptions import KineticsInputError, Problem
from remission.kinetics.profile import Profile

__all__ = ["BCellAplasia", "bcell_aplasia"]


@dataclass(frozen=True)
class BCellAplasia:
    """B-cell aplasia after infusion, from day 0.

    ``onset_day``: first post-infusion sample below the threshold. ``recovery_day``: first
    sample of the first run of ``confirm`` consecutive samples at or above the threshold after
    onset (B-cell recovery). ``duration_days``: time from infusion (day 0) to recovery; when no
    recovery was seen it is the last aplastic sample day and ``censored`` is True (aplasia lasted
    at least that long). ``last_aplastic_day`` is the last sample below the threshold before
    recovery, so recovery happened between it and ``recovery_day`` (interval-censored).
    ``reason`` says why no duration exists (never aplastic, no usable samples).
    """

    threshold: float
    unit: str
    confirm: int
    onset_day: float | None
    recovery_day: float | None
    last_aplastic_day: float | None
    duration_days: float | None
    censored: bool
    reason: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def duration_from_onset_days(self) -> float | None:
        if self.duration_days is None or self.onset_day is None:
            return None
        end = self.recovery_day if self.recovery_day is not None else self.last_aplastic_day
        return None if end is None else end - self.onset_day

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "unit": self.unit,
            "confirm": self.confirm,
            "onset_day": self.onset_day,
            "recovery_day": self.recovery_day,
            "last_aplastic_day": self.last_aplastic_day,
            "duration_days": self.duration_days,
            "duration_from_onset_days": self.duration_from_onset_days,
            "censored": self.censored,
            "reason": self.reason,
            "notes": list(self.notes),
        }


def bcell_aplasia(
    profile: Profile, *, threshold: float, unit: str | None = None, confirm: int = 1
) -> BCellAplasia:
    """Duration of B-cell aplasia (B cells below ``threshold``) from infusion to recovery.

    ``profile``: B-cell counts (or percentages) over days from infusion; ``threshold`` in the
    profile's unit (``unit``, if given, must match it). A sample counts as aplastic when its
    value is below the threshold, or when it is below quantification with an LLOQ at or below
    the threshold (or no LLOQ given: "undetectable" is taken as aplastic, with a note); a BLQ
    sample whose LLOQ is above the threshold cannot be classed and is skipped. Recovery needs
    ``confirm`` consecutive samples at or above the threshold. Samples before day 0 are not used.
    Source: persistence surrogate as in Mueller et al. 2018 (kinetics.md §2.1); threshold chosen
    by the caller (docs/kinetics.md "B-cell aplasia").
    """
    problems = []
    if not (isinstance(threshold, (int, float)) and math.isfinite(threshold) and threshold > 0):
        problems.append(
            Problem(f"threshold must be a positive number, got {threshold!r}", field="threshold")
        )
    if not (isinstance(confirm, int) and confirm >= 1):
        problems.append(Problem("confirm must be a whole number >= 1", field="confirm"))
    if unit and profile.unit and unit != profile.unit:
        problems.append(
            Problem(
                f"threshold is in {unit} but the B-cell counts are in {profile.unit}",
                where=profile.label or None,
                field="unit",
            )
        )
    if problems:
        raise KineticsInputError(problems)
    notes: list[str] = []
    post = profile.days >= 0
    t = profile.days[post]
    v = profile.values[post]
    b = profile.blq[post]
    q = profile.lloq[post]
    state: list[bool | None] = []  # True aplastic, False recovered, None unknown
    no_lloq = 0
    for i in range(t.size):
        if not b[i]:
            state.append(bool(v[i] < threshold))
        elif math.isnan(q[i]):
            state.append(True)
            no_lloq += 1
        elif q[i] <= threshold:
            state.append(True)
        else:
            state.append(None)
            notes.append(
                f"day {t[i]:g}: below an LLOQ ({q[i]:g}) above the threshold; sample skipped"
            )
    if no_lloq:
        notes.append(f"{no_lloq} undetectable sample(s) without an LLOQ taken as aplastic")
    unit_s = unit or profile.unit
    usable = [(float(t[i]), s) for i, s in enumerate(state) if s is not None]
    if not usable:
        return BCellAplasia(
            threshold,
            unit_s,
            confirm,
            None,
            None,
            None,
            None,
            False,
            reason="no usable post-infusion B-cell sample",
            notes=tuple(notes),
        )
    onset_idx = next((k for k, (_, s) in enumerate(usable) if s), None)
    if onset_idx is None:
        return BCellAplasia(
            threshold,
            unit_s,
            confirm,
            None,
            None,
            None,
            None,
            False,
            reason="no sample below the threshold: no B-cell aplasia seen",
            notes=tuple(notes),
        )
    onset = usable[onset_idx][0]
    last_aplastic = onset
    k = onset_idx + 1
    while k < len(usable):
        day, aplastic = usable[k]
        if aplastic:
            last_aplastic = day
            k += 1
            continue
        run = usable[k : k + confirm]
        if len(run) == confirm and not any(s for _, s in run):
            return BCellAplasia(
                threshold,
                unit_s,
                confirm,
                onset,
                day,
                last_aplastic,
                day,
                False,
                notes=tuple(notes),
            )
        if len(run) < confirm:
            notes.append(
                f"B cells at or above the threshold from day {day:g} but fewer than "
                f"{confirm} samples to confirm recovery"
            )
            break
        k += 1
    return BCellAplasia(
        threshold,
        unit_s,
        confirm,
        onset,
        None,
        last_aplastic,
        last_aplastic,
        True,
        notes=tuple(notes),
    )
