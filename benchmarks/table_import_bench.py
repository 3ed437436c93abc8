"""Time a REDCap import through a mapping: N copies of the six-patient test export.

Each copy gets new record ids, so the file holds 6 * N patients (about 15 rows each). Times
reading and building the Cases (`plan_table_import`, what a dry run does) and storing them in a
SQLite file in one transaction (`save_table_plan`).

    python benchmarks/table_import_bench.py --copies 100
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import tempfile
import time
from pathlib import Path

from remission.interop.mapping import shipped_mappings
from remission.interop.table_import import plan_table_import, save_table_plan
from remission.store import Store

DATA = Path(__file__).resolve().parents[1] / "tests" / "interop" / "data" / "redcap"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=100)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with (DATA / "cart_followup_records.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            for k in range(args.copies):
                writer.writerows(dict(r, record_id=f"{k}-{r['record_id']}") for r in rows)
        n_rows = len(rows) * args.copies
        print(f"export: {n_rows} rows, {path.stat().st_size / 1e6:.1f} MB")
        t0 = time.perf_counter()
        plan = plan_table_import(
            path,
            shipped_mappings()["redcap-cart-example"],
            dictionary=DATA / "cart_followup_DataDictionary.csv",
        )
        t_plan = time.perf_counter() - t0
        assert plan.ok, plan.problems[:3]
        print(
            f"plan (read, build, validate): {len(plan.cases)} cases in {t_plan:.2f} s "
            f"({1000 * t_plan / len(plan.cases):.1f} ms per case, {n_rows / t_plan:.0f} rows/s)"
        )
        with Store(f"sqlite:///{Path(tmp) / 'store.sqlite'}") as store:
            t0 = time.perf_counter()
            report = save_table_plan(store, plan)
            t_save = time.perf_counter() - t0
        print(f"save (one transaction, SQLite): {report.counts['created']} cases in {t_save:.2f} s")


if __name__ == "__main__":
    main()
