"""MRD negativity by method and threshold.

Source: clinical-criteria.md section 3.2 (Short et al. 2019 North American MRD consensus; ELIANA,
ZUMA-3 and FELIX defined MRD-negative remission as < 0.01 % by flow). MRD negative means below
10^-4 for flow cytometry and PCR, below 10^-6 for NGS (clonoSEQ). Both thresholds can be set by
the caller; a result always says which threshold was applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from remission.model.events import MRD

__all__ = ["DEFAULT_MRD_THRESHOLDS", "MRDCall", "mrd_negative"]

#: Fraction of cells below which MRD counts as negative, per method (Short 2019; NGS at 1e-6).
DEFAULT_MRD_THRESHOLDS: dict[str, float] = {
    "flow": 1e-4,
    "rq_pcr_ig_tr": 1e-4,
    "rt_qpcr_fusion": 1e-4,
    "ngs": 1e-6,
    "unspecified": 1e-4,
}


@dataclass(frozen=True)
class MRDCall:
    """Whether an MRD result is negative, and why. ``negative`` is None when it cannot be told."""

    negative: bool | None
    threshold: float
    reason: str


def mrd_negative(mrd: MRD, thresholds: dict[str, float] | None = None) -> MRDCall:
    """Classify one MRD result as negative (below threshold), positive, or indeterminate.

    A reported "not detectable" counts as negative only when the assay's stated sensitivity reaches
    the threshold, or when no sensitivity is stated (the report's own call is kept). A value is
    compared with the threshold strictly: exactly 1e-4 is MRD positive (criterion: "< 10^-4").
    """
    table = {**DEFAULT_MRD_THRESHOLDS, **(thresholds or {})}
    threshold = table[mrd.method]
    if mrd.value is not None and mrd.value > 0:
        neg = mrd.value < threshold
        return MRDCall(
            neg, threshold, f"{mrd.value:.2g} {'<' if neg else '>='} {threshold:.0e} ({mrd.method})"
        )
    if mrd.value == 0 or mrd.detectable is False:
        if mrd.sensitivity is not None and mrd.sensitivity > threshold:
            return MRDCall(
                None,
                threshold,
                f"not detected, but the assay's sensitivity {mrd.sensitivity:.0e} does not reach "
                f"{threshold:.0e}",
            )
        return MRDCall(True, threshold, "not detected")
    return MRDCall(False, threshold, "detected (no value given)")
