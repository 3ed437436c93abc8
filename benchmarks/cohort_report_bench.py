"""Time the full cohort report for N virtual patients (issue 5 target: 10,000 within 60 s).

Generates N synthetic cases (remission.synth), stores them in a SQLite file, then times
`remission report --cohort` end to end (reading every case from the store, analysis, figures,
HTML), plus the in-memory analysis alone.

    python benchmarks/cohort_report_bench.py --n 10000
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from remission import api
from remission.exceptions import EstimationWarning
from remission.report.cohort_report import render_cohort_report
from remission.store import Store
from remission.synth import generate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    t0 = time.perf_counter()
    cases = list(generate_cohort(args.n, seed=args.seed))
    print(f"generated {len(cases)} virtual patients in {time.perf_counter() - t0:.1f} s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        t0 = time.perf_counter()
        html = render_cohort_report(cases, title="benchmark")
        print(f"cohort report in memory (analysis + figures + HTML): {time.perf_counter() - t0:.1f} s, "
              f"{len(html) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'cohort.sqlite'}"
        with Store(url) as store:
            t0 = time.perf_counter()
            api.import_documents(store, [(c.id, c) for c in cases], reason="benchmark")
            print(f"stored {len(cases)} cases in {time.perf_counter() - t0:.1f} s")
        exe = Path(sys.executable).with_name("remission")
        out = Path(tmp) / "report.html"
        t0 = time.perf_counter()
        subprocess.run([str(exe), "report", "--cohort", "--db", url, "--out", str(out)], check=True,
                       capture_output=True)
        print(f"`remission report --cohort` over {len(cases)} stored cases: {time.perf_counter() - t0:.1f} s "
              "(process start, reading and validating every case included)")


if __name__ == "__main__":
    main()
