"""Time the interoperability exports for N virtual patients: de-identification, the registry
summary and the cBioPortal study folder (in memory, then written).

    python benchmarks/interop_bench.py --n 1000
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from remission.interop.cbioportal import write_study
from remission.interop.deidentify import deidentify_cases
from remission.interop.registry import registry_rows, write_registry
from remission.synth import generate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000)
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

    deid = timed("de-identify", lambda: deidentify_cases(cases, key="benchmark-key-0123456789"))
    table = timed("registry rows", lambda: registry_rows(deid))
    print(f"  {len(table.rows)} rows, {len(table.missing)} missing-field entries")
    with tempfile.TemporaryDirectory() as tmp:
        timed("registry files", lambda: write_registry(deid, Path(tmp) / "registry"))
        study = timed("cBioPortal study", lambda: write_study(deid, Path(tmp) / "study"))
        print(f"  timeline events: {study.events}, skipped: {len(study.skipped)}")


if __name__ == "__main__":
    main()
