"""Import N case files through the same path as `remission import`, then time list and summary.

Issue figures: 10,000 case files imported into SQLite within 60 s on the 2-core machine;
`list` and `summary` over 10,000 stored cases within 2 s; the same on PostgreSQL.

Files are copies of the bundled annotated example (a full course: 13 events, 4 bedside
assessments, 3 observation series; about 6 KB of YAML) with distinct ids and varied values.

    python benchmarks/import_bench.py --n 10000                # SQLite in a temp folder
    python benchmarks/import_bench.py --n 10000 --postgres      # a throwaway PostgreSQL cluster
    python benchmarks/import_bench.py --n 10000 --cli           # also time the real CLI commands
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from remission import api
from remission.examples import example_paths
from remission.store import Store


def write_files(folder: Path, n: int, seed: int = 1) -> list[Path]:
    template = next(p for p in example_paths() if p.name.startswith("synthetic")).read_text()
    rng = random.Random(seed)
    paths = []
    for i in range(n):
        text = template.replace("synthetic-annotated-001", f"bench-{i:06d}")
        text = text.replace("marrow_blasts_pct: 42", f"marrow_blasts_pct: {rng.randint(5, 95)}")
        text = text.replace("{day: 10, value: 31.0}", f"{{day: 10, value: {rng.uniform(1, 60):.2f}}}")
        path = folder / f"bench-{i:06d}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def run(url: str, paths: list[Path], cli: bool) -> None:
    with Store(url) as store:
        t0 = time.perf_counter()
        report = api.import_files(store, paths, author="bench", reason="benchmark")
        t_import = time.perf_counter() - t0
        assert report.counts["created"] == len(paths), report.counts
        t0 = time.perf_counter()
        rows = api.list_documents(store)
        t_list = time.perf_counter() - t0
        t0 = time.perf_counter()
        summaries = store.summaries("case")
        t_sum = time.perf_counter() - t0
        assert len(rows) == len(summaries) == len(paths)
    print(f"  import {len(paths)} files (validate + summarise + one transaction): {t_import:6.2f} s "
          f"({len(paths) / t_import:,.0f} files/s)")
    print(f"  list all {len(rows)} (API):      {t_list:6.3f} s")
    print(f"  summaries of all {len(rows)} (API): {t_sum:6.3f} s")
    if cli:
        exe = Path(sys.executable).with_name("remission")
        for args in (["list", "--json"], ["list"], ["show", "bench-000001"]):
            t0 = time.perf_counter()
            subprocess.run([str(exe), *args, "--db", url], check=True, stdout=subprocess.DEVNULL)
            print(f"  CLI `remission {' '.join(args)}` over {len(rows)}: {time.perf_counter() - t0:6.3f} s "
                  "(process start included)")
        t0 = time.perf_counter()
        subprocess.run([str(exe), "summary", "bench-000001", "--json", "--db", url], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"  CLI `remission summary ID --json`: {time.perf_counter() - t0:6.3f} s (process start included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL cluster")
    parser.add_argument("--cli", action="store_true", help="also time the CLI commands")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        paths = write_files(folder, args.n)
        print(f"wrote {args.n} case files ({sum(p.stat().st_size for p in paths) / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")
        print("SQLite:")
        run(f"sqlite:///{folder / 'bench.sqlite'}", paths, args.cli)
        if args.postgres:
            from remission.store.pgtest import TempPostgres

            with TempPostgres() as pg:
                print("PostgreSQL:")
                run(pg.create_database("bench"), paths, args.cli)


if __name__ == "__main__":
    main()
