"""How fast is the store at the sizes remission is built for?

Saves N realistic-sized case documents (about 5 KB of JSON each, a summary of about 20 keys) in
batches, saves them again (nothing changes: the idempotent re-import path), then lists and reads
summaries over all N. Targets it serves: the CLI imports 10,000 case files in under 60 s in
all (YAML parsing included), and list/summary over 10,000 take under 2 s; the store's share
should be a small fraction of both.

    python benchmarks/store_bench.py                      # SQLite and a throwaway PostgreSQL
    python benchmarks/store_bench.py --n 10000 --url postgresql://me@db/remission_bench
    python benchmarks/store_bench.py --backend sqlite --n 2000 --batch 500

Without ``--url`` the SQLite file lives in a temporary folder and PostgreSQL is a private
cluster started by :mod:`remission.store.pgtest` with durable settings (fsync on). A ``--url``
store must be empty.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from remission.store import RecordIn, Store
from remission.store.pgtest import TempPostgres

T = TypeVar("T")

AGENTS = [
    ("tisagenlecleucel", "CD19", "autologous", ["4-1BB"]),
    ("brexucabtagene autoleucel", "CD19", "autologous", ["CD28"]),
    ("obecabtagene autoleucel", "CD19", "autologous", ["4-1BB"]),
    ("donor-derived CD19 CAR-T", "CD19", "donor_derived", ["CD28"]),
    ("CD19/CD22 CAR-T", "CD19/CD22", "autologous", ["4-1BB"]),
]
GENETICS = ["KMT2A-r", "hypodiploid", "iAMP21", "TCF3-PBX1", "ETV6-RUNX1"]
SITES = ["cns", "testis", "skin", "lymph_node", "soft_tissue", "bone", "other"]


def make_record(rng: random.Random, index: int) -> RecordIn:
    """A made-up case of realistic shape and size (not clinically coherent; the store does not
    care)."""
    agent, target, source, costim = rng.choice(AGENTS)
    age = round(rng.uniform(1, 75), 1)
    days = sorted(rng.sample(range(-60, 400), 24))
    observations = [
        {
            "day": d,
            "temperature_c": round(rng.uniform(36.2, 40.1), 1),
            "hypotension": rng.choice(["none", "fluids", "one_vasopressor"]),
            "oxygen": rng.choice(["room_air", "low_flow", "high_flow"]),
            "ice_score": rng.randint(0, 10),
            "ferritin_ng_ml": rng.randint(200, 90000),
            "car_t_copies_per_ug": round(rng.lognormvariate(8, 2), 2),
        }
        for d in days
    ]
    month = rng.randint(1, 12)
    mrd = {"method": "flow", "negative": True}
    document: dict[str, Any] = {
        "schema": "remission.case/1",
        "id": f"case-{index:06d}",
        "source": {"kind": "centre", "reference": f"centre-A/{index}", "language": "en"},
        "patient": {"sex": rng.choice(["male", "female"]), "age_at_diagnosis_years": age},
        "diagnosis": {
            "disease": "B-ALL",
            "date": {"value": f"{rng.randint(2008, 2022)}-{month:02d}", "precision": "month"},
            "ph_positive": rng.random() < 0.25,
            "cytogenetics": rng.sample(GENETICS, 2),
        },
        "timeline": [
            {"type": "relapse", "sites": rng.sample(SITES, 2), "day": -90, "marrow_blasts_pct": 43},
            {"type": "therapy", "agent": "blinatumomab", "courses": 2, "response": "NR"},
            {
                "type": "car_t_infusion",
                "agent": agent,
                "target": target,
                "cell_source": source,
                "costimulatory": costim,
                "dose_cells_per_kg": 1.0e6,
                "day": 0,
            },
            {"type": "disease_assessment", "day": 28, "response": "CR", "mrd": mrd},
            {"type": "hsct", "day": 96, "donor": "haploidentical", "conditioning": "TBI-based"},
            {"type": "follow_up", "day": 540, "status": "alive_in_remission"},
        ],
        "observations": observations,
        "notes": "Synthetic benchmark case; values are random. " * 4,
    }
    summary: dict[str, Any] = {
        "age_years": age,
        "sex": document["patient"]["sex"],
        "diagnosis": "B-ALL",
        "ph_positive": document["diagnosis"]["ph_positive"],
        "bcr_abl_transcript": None,
        "abl_kinase_mutations": [],
        "relapse_count": rng.randint(1, 4),
        "refractory": rng.random() < 0.3,
        "prior_hsct": rng.random() < 0.4,
        "extramedullary_sites": document["timeline"][0]["sites"],
        "cns_involvement": "cns" in document["timeline"][0]["sites"],
        "index_therapies": [
            {
                "class": "car_t",
                "agent": agent,
                "target": target,
                "cell_source": source,
                "costimulatory": costim,
                "courses": 1,
            }
        ],
        "response": rng.choice(["CR", "CRi", "PR", "NR"]),
        "mrd_negative": rng.random() < 0.7,
        "crs_max_grade": rng.randint(0, 4),
        "icans_max_grade": rng.randint(0, 4),
        "gvhd": False,
        "relapse_after": rng.random() < 0.4,
        "alive_at_last_follow_up": rng.random() < 0.6,
        "bridged_to_hsct": True,
        "follow_up_months": round(rng.uniform(1, 60), 1),
    }
    return RecordIn(id=f"case-{index:06d}", kind="case", document=document, summary=summary)


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def run(url: str, n: int, batch: int, label: str) -> dict[str, float]:
    rng = random.Random(20241)
    records = [make_record(rng, i) for i in range(n)]
    sizes = [len(json.dumps(r.document)) for r in records]
    figures: dict[str, float] = {"doc_kb": statistics.mean(sizes) / 1024}

    figures["open_new"], store = timed(lambda: Store(url))
    with store:
        if store.count():
            raise SystemExit(f"{label}: the store at {store.url} is not empty; give an empty one")

        def save_all() -> None:
            for start in range(0, n, batch):
                store.save_many(records[start : start + batch], author="bench", reason="import")

        figures["save_many"], _ = timed(save_all)
        figures["resave_unchanged"], _ = timed(save_all)
        figures["list"], rows = timed(store.list)
        assert len(rows) == n
        figures["summaries"], summaries = timed(store.summaries)
        assert len(summaries) == n
        figures["list_search"], _ = timed(lambda: store.list(search="obecabtagene"))
        figures["list_page_50"], _ = timed(lambda: store.list(limit=50, offset=n // 2))
        figures["count"], _ = timed(store.count)
        sample = rng.sample(range(n), min(100, n))
        elapsed, _ = timed(lambda: [store.get(f"case-{i:06d}") for i in sample])
        figures["get_ms_each"] = 1000 * elapsed / len(sample)
    figures["open_existing"], again = timed(lambda: Store(url))
    again.close()
    return figures


@contextmanager
def backend_urls(backends: list[str]) -> Iterator[list[tuple[str, str]]]:
    with tempfile.TemporaryDirectory(prefix="remission-bench-") as folder:
        urls: list[tuple[str, str]] = []
        server: TempPostgres | None = None
        try:
            for backend in backends:
                if backend == "sqlite":
                    urls.append(("SQLite (file)", f"sqlite:///{Path(folder) / 'bench.sqlite'}"))
                else:
                    server = TempPostgres(durable=True).start()
                    urls.append(("PostgreSQL (local, fsync on)", server.create_database("bench")))
            yield urls
        finally:
            if server is not None:
                server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="documents to save (10000)")
    parser.add_argument("--batch", type=int, default=1_000, help="records per save_many (1000)")
    parser.add_argument("--url", help="an empty store to use instead of the throwaway ones")
    parser.add_argument(
        "--backend",
        nargs="+",
        choices=["sqlite", "postgresql"],
        default=["sqlite", "postgresql"],
        help="backends to run when no --url is given",
    )
    args = parser.parse_args(argv)

    order = [
        ("save_many", "s"),
        ("resave_unchanged", "s"),
        ("list", "s"),
        ("summaries", "s"),
        ("list_search", "s"),
        ("list_page_50", "s"),
        ("count", "s"),
        ("get_ms_each", "ms"),
        ("open_new", "s"),
        ("open_existing", "s"),
    ]

    def report(label: str, figures: dict[str, float]) -> None:
        print(f"\n{label}: N={args.n}, batch={args.batch}, doc ~{figures['doc_kb']:.1f} KB")
        for key, unit in order:
            print(f"  {key:<18} {figures[key]:9.3f} {unit}")
        print(f"  {'save rate':<18} {args.n / figures['save_many']:9.0f} docs/s")

    if args.url:
        report(args.url, run(args.url, args.n, args.batch, args.url))
        return 0
    with backend_urls(args.backend) as urls:
        for label, url in urls:
            report(label, run(url, args.n, args.batch, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
