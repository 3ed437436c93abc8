"""Time the single-case HTML report (issue 5 target: within 1 s).

    python benchmarks/report_bench.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

from remission.casefile import load_file
from remission.examples import example_paths
from remission.report import render_case_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    for path in example_paths():
        doc = load_file(path).document
        if doc.kind != "case":
            continue
        render_case_report(doc)  # warm-up (imports, font cache)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            render_case_report(doc)
            times.append(time.perf_counter() - start)
        print(f"{doc.id:34s} median {statistics.median(times) * 1000:6.0f} ms  max {max(times) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
