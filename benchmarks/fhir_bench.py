"""Time FHIR Bundle export, R4B validation and import for N virtual patients.

python benchmarks/fhir_bench.py --n 200
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from remission.interop.fhir import bundle_problems, bundle_to_case, case_to_bundle
from remission.synth import generate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    cases = list(generate_cohort(args.n, seed=args.seed))
    print(f"{len(cases)} virtual patients")

    def timed(label: str, func):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        result = func()
        dt = time.perf_counter() - t0
        print(f"{label}: {dt:.2f} s ({1000 * dt / len(cases):.1f} ms a case)")
        return result

    bundles = timed("export (case_to_bundle)", lambda: [case_to_bundle(c) for c in cases])
    texts = timed("JSON text", lambda: [json.dumps(b) for b in bundles])
    sizes = sorted(len(t) for t in texts)
    entries = sorted(len(b["entry"]) for b in bundles)
    print(
        f"  Bundle size: median {sizes[len(sizes) // 2] / 1000:.0f} kB, largest "
        f"{sizes[-1] / 1000:.0f} kB; resources: median {entries[len(entries) // 2]}, "
        f"largest {entries[-1]}"
    )
    problems = timed("R4B validation", lambda: [p for b in bundles for p in bundle_problems(b)])
    print(f"  problems: {len(problems)}")
    back = timed("import (bundle_to_case)", lambda: [bundle_to_case(json.loads(t)) for t in texts])
    print(
        f"  identical after the round trip: {sum(a == b for a, b in zip(cases, back, strict=True))}/{len(cases)}"
    )


if __name__ == "__main__":
    main()
