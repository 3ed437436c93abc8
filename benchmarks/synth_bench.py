"""Speed of the virtual-cohort generator: 10,000 synthetic case files.

Target (issue 5, point 3): 10,000 cases in well under a minute on a 2-core machine. Prints the
cost of each step per case (draw + validate, YAML text, write) on a sample, then the wall time of
writing the whole cohort with one process per CPU (and, with --single, in one process), and
checks that a sample of the written files loads back to the generated cases.

Run: .venv/bin/python benchmarks/synth_bench.py [--n 10000] [--processes N] [--single]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from remission.casefile import load_file
from remission.model import Case
from remission.synth import DEFAULT_PARAMS, case_rng, case_text, generate_case, write_cohort
from remission.synth.generator import generate_case_data


def steps(sample: int, seed: int) -> None:
    t0 = time.perf_counter()
    data = [generate_case_data(case_rng(seed, i), i, DEFAULT_PARAMS) for i in range(1, sample + 1)]
    t1 = time.perf_counter()
    cases = [Case.model_validate(d) for d in data]
    t2 = time.perf_counter()
    texts = [case_text(c) for c in cases]
    t3 = time.perf_counter()
    size = sum(len(t.encode()) for t in texts) / sample
    ms = lambda a, b: 1000 * (b - a) / sample  # noqa: E731
    print(
        f"per case (sample of {sample}): draw {ms(t0, t1):.2f} ms, validate {ms(t1, t2):.2f} ms, "
        f"YAML {ms(t2, t3):.2f} ms; {size / 1000:.1f} kB of YAML"
    )


def run(n: int, seed: int, processes: int | None, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cohort"
        t0 = time.perf_counter()
        report = write_cohort(out, n, seed, processes=processes)
        wall = time.perf_counter() - t0
        for i in (1, n // 2, n):
            case = generate_case(case_rng(seed, i), i)
            assert load_file(out / f"{case.id}.yaml").document == case
        print(
            f"{label}: {n} cases in {wall:.1f} s ({n / wall:.0f} cases/s, "
            f"{report.processes} process{'es' if report.processes > 1 else ''}, "
            f"{report.bytes / 1e6:.1f} MB)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--processes", type=int, default=None, help="default: one per CPU")
    ap.add_argument("--single", action="store_true", help="also time one process")
    ap.add_argument("--sample", type=int, default=500)
    args = ap.parse_args()
    print(f"CPUs: {os.cpu_count()}")
    steps(args.sample, args.seed)
    run(args.n, args.seed, args.processes, "write_cohort")
    if args.single:
        run(args.n, args.seed, 1, "one process")


if __name__ == "__main__":
    main()
