"""Many-patient fits: per-patient results, failures kept with reasons, two-stage summary."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from remission.kinetics import (
    STEIN2019_TYPICAL,
    Profile,
    fit_population,
    simulate_profile,
    summarise,
)

P = STEIN2019_TYPICAL
DAYS = [0, 1, 3, 7, 10, 14, 21, 28, 56, 90, 180, 365]


def cohort(n: int, seed: int) -> dict[str, Profile]:
    rng = np.random.default_rng(seed)
    return {f"pt{i:02d}": simulate_profile(P, DAYS, sigma=0.3, lloq=5, rng=rng) for i in range(n)}


def test_population_summary_centres_on_the_truth():
    pop = fit_population(cohort(24, 1))
    assert pop.n_patients == 24 and pop.n_fitted == 24 and pop.n_failed == 0
    s = pop.summary
    for name in ("tmax", "cmax", "alpha"):
        assert s[name].median == pytest.approx(getattr(P, name), rel=0.15), name
        assert s[name].q1 <= s[name].median <= s[name].q3
        assert s[name].geometric_mean == pytest.approx(getattr(P, name), rel=0.2)
        assert s[name].geometric_cv_pct > 0
    assert s["auc_0_28d"].median == pytest.approx(171_774, rel=0.2)
    assert s["terminal_half_life"].n == 24
    assert s["sigma"].median == pytest.approx(0.3, rel=0.3)
    json.dumps(pop.to_dict(), allow_nan=False)


def test_failures_are_reported_not_dropped():
    profiles = cohort(3, 2)
    profiles["too-few"] = Profile.from_arrays([0, 7], [1, 100])
    pop = fit_population(profiles)
    assert pop.n_patients == 4 and pop.n_failed == 1
    bad = next(p for p in pop.patients if p.key == "too-few")
    assert bad.fit is None and "at least 3" in bad.error
    assert pop.summary["tmax"].n == 3


def test_sequence_input_uses_labels_and_parallel_matches_serial():
    profs = list(cohort(6, 3).values())
    serial = fit_population(profs, processes=1)
    parallel = fit_population(profs, processes=2, chunksize=2)
    assert [p.key for p in serial.patients] == [p.key for p in parallel.patients]
    for a, b in zip(serial.patients, parallel.patients, strict=True):
        assert a.fit.params.as_array() == pytest.approx(b.fit.params.as_array(), rel=1e-9)


def test_summary_excludes_bounds_and_fixed():
    fits = [p.fit for p in fit_population(cohort(5, 4), fixed={"fb": 0.0079}).patients]
    s = summarise(fits)
    assert s["fb"].n == 0 and s["fb"].median is None
    assert s["cmax"].n == 5
    assert math.isfinite(s["cmax"].minimum)
