"""B-cell aplasia duration: onset, recovery, confirmation, censoring, BLQ handling."""

from __future__ import annotations

import pytest

from remission.exceptions import KineticsInputError
from remission.kinetics import Profile, bcell_aplasia


def counts(days, values, **kw):
    return Profile.from_arrays(days, values, unit="cells/uL", analyte="b_cells_per_ul", **kw)


def test_recovery_ends_aplasia():
    p = counts([-5, 7, 28, 90, 180, 200], [250, 2, 0, 3, 60, 80], lloq=1)
    r = bcell_aplasia(p, threshold=20)
    assert r.onset_day == 7
    assert r.recovery_day == 180
    assert r.last_aplastic_day == 90
    assert r.duration_days == 180 and not r.censored
    assert r.duration_from_onset_days == 173
    assert r.to_dict()["unit"] == "cells/uL"


def test_ongoing_aplasia_is_censored():
    p = counts([14, 28, 90, 365], [0, 1, 0, 2], lloq=1)
    r = bcell_aplasia(p, threshold=20)
    assert r.recovery_day is None and r.censored
    assert r.duration_days == 365


def test_confirmation_needs_consecutive_samples():
    p = counts([7, 30, 60, 90, 120], [0, 40, 5, 50, 60])
    one = bcell_aplasia(p, threshold=20)
    assert one.recovery_day == 30
    two = bcell_aplasia(p, threshold=20, confirm=2)
    assert two.recovery_day == 90 and two.last_aplastic_day == 60


def test_unconfirmed_recovery_at_the_end_is_censored_with_a_note():
    p = counts([7, 30, 60], [0, 1, 40])
    r = bcell_aplasia(p, threshold=20, confirm=2)
    assert r.censored and r.duration_days == 30
    assert any("fewer than 2 samples" in n for n in r.notes)


def test_never_aplastic():
    r = bcell_aplasia(counts([7, 28], [100, 200]), threshold=20)
    assert r.duration_days is None and "no B-cell aplasia" in r.reason


def test_blq_handling():
    p = counts([7, 14, 28, 60], [None, None, None, 50], blq=[True, True, True, False],
               lloq=[5, None, 50, None])
    r = bcell_aplasia(p, threshold=20)
    assert r.onset_day == 7  # LLOQ 5 <= 20: aplastic
    assert any("day 28" in n and "skipped" in n for n in r.notes)  # LLOQ 50 > 20
    assert any("without an LLOQ" in n for n in r.notes)
    assert r.recovery_day == 60 and r.last_aplastic_day == 14


def test_bad_arguments():
    p = counts([7, 28], [0, 1])
    with pytest.raises(KineticsInputError, match="threshold"):
        bcell_aplasia(p, threshold=0)
    with pytest.raises(KineticsInputError, match="confirm"):
        bcell_aplasia(p, threshold=20, confirm=0)
    with pytest.raises(KineticsInputError, match="cells/uL"):
        bcell_aplasia(p, threshold=1, unit="%")


def test_no_post_infusion_sample():
    r = bcell_aplasia(counts([-3], [100]), threshold=20)
    assert r.reason == "no usable post-infusion B-cell sample"
