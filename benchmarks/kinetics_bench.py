"""Speed of Stein 2019 fits: median single-patient fit and a 1,000-patient population fit.

Targets (kinetics issue): one fit within 50 ms median; 1,000 patients within 30 s on a 2-core
machine. Virtual patients are drawn from the Stein 2019 typical values and between-patient
variability (kinetics.md §1.3), sampled on a typical CAR-T schedule with residual SD 0.56 and an
LLOQ of 10 copies/µg, so BLQ samples (censored likelihood) occur as they do in real data.

Run: .venv/bin/python benchmarks/kinetics_bench.py [--patients 1000] [--processes N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

from remission.kinetics import fit_population, fit_stein, sample_patient_params, simulate_profile
from remission.kinetics.nca import nca

SCHEDULE = [0, 1, 3, 7, 10, 14, 21, 28, 56, 90, 180, 365]


def cohort(n: int, seed: int = 2019) -> list:
    rng = np.random.default_rng(seed)
    params = sample_patient_params(n, rng=rng)
    return [simulate_profile(p, SCHEDULE, sigma=0.56, lloq=10.0, rng=rng, label=f"vp{i:04d}")
            for i, p in enumerate(params)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--single", type=int, default=200, help="fits timed one by one")
    ap.add_argument("--processes", type=int, default=None, help="default: all CPUs")
    args = ap.parse_args()
    profiles = cohort(max(args.patients, args.single))
    n_blq = sum(int(p.blq.sum()) for p in profiles[: args.patients])
    print(f"CPUs: {os.cpu_count()}; schedule {len(SCHEDULE)} samples; "
          f"{n_blq / (len(SCHEDULE) * args.patients):.0%} BLQ")

    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_stein(profiles[0])  # warm-up
        for p in profiles[: args.single]:
            t0 = time.perf_counter()
            fit_stein(p, warn=False)
            times.append(time.perf_counter() - t0)
    ms = sorted(1000 * t for t in times)
    print(f"single Stein fit: median {statistics.median(ms):.1f} ms, "
          f"p90 {ms[int(0.9 * len(ms))]:.1f} ms, max {ms[-1]:.1f} ms (n={len(ms)})")

    t0 = time.perf_counter()
    for p in profiles[: args.single]:
        nca(p)
    print(f"NCA: {1000 * (time.perf_counter() - t0) / args.single:.2f} ms per profile")

    t0 = time.perf_counter()
    pop = fit_population(profiles[: args.patients], processes=args.processes, chunksize=25)
    wall = time.perf_counter() - t0
    print(f"{args.patients} patients fitted in {wall:.1f} s "
          f"({pop.n_fitted} fitted, {pop.n_failed} failed; processes="
          f"{args.processes or os.cpu_count()})")
    s = pop.summary
    print("population medians: " + ", ".join(
        f"{k} {s[k].median:.4g}" for k in ("foldx", "tmax", "cmax", "alpha", "fb", "beta")
        if s[k].median is not None))


if __name__ == "__main__":
    main()
