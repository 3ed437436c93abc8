"""Load test of the web app with 10,000 stored cases in PostgreSQL (issue 7 targets: case page
p95 under 150 ms and list/search p95 under 200 ms at 20 concurrent clients on loopback).

1. Starts a throwaway PostgreSQL cluster (durable settings, fsync on; remission.store.pgtest), or
   uses an empty database given with --url.
2. Generates N virtual patients (remission.synth) in worker processes and saves them with the
   bulk path (remission.api.import_documents: validated documents, summaries, one transaction
   per batch).
3. Creates an admin account and starts the real server: `remission serve --workers W` (uvicorn).
4. Signs in 20 clients (one session each) and drives them concurrently through each scenario,
   each client sending its next request as soon as the last one answered: with wrk when it is
   installed (`apt install wrk`; a C load generator, so the server keeps the CPU on a small
   machine; one thread and connection per session, benchmarks/web_bench.lua, --seconds per
   scenario), else with httpx clients in this process (--requests per scenario): the
   case page `/cases/{id}` over 2,000 different cases (each seen once: the first view of a case,
   which derives its report context), the case page again over 100 cases viewed before (each
   worker keeps the derived context of recently viewed versions) (both fall back to
   `/api/cases/{id}` if the pages are not installed),
   the case list with search and filters `/cases?...`, and the same through the JSON API.
   Prints p50/p95/p99 latency, throughput and errors per scenario.

    python benchmarks/web_bench.py                       # 10,000 cases, 20 clients, 2 workers
    python benchmarks/web_bench.py --n 2000 --requests 400 --workers 1 --tool httpx
    python benchmarks/web_bench.py --url postgresql://...  # reuse a filled database
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from remission import api
from remission.store import RecordIn, Store
from remission.store.pgtest import TempPostgres
from remission.store.users import Accounts
from remission.synth import generate_cohort
from remission.web.testing import add_account, free_port

PASSWORD = "benchmark-password"
WRK_SCRIPT = Path(__file__).with_name("web_bench.lua")
LIST_QUERIES = [
    "q=tisagenlecleucel",
    "q=cns",
    "ph_positive=true",
    "crs_min_grade=3",
    "therapy_class=car_t&cns_involvement=true",
    "response=CR&sort=-age",
    "agent=blinatumomab&offset=50",
    "extramedullary_site=testis&icans_min_grade=1",
]


def _records(chunk: tuple[int, int, int]) -> list[RecordIn]:
    start, n, seed = chunk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [api.record_for(c) for c in generate_cohort(n, seed=seed, start=start)]


def fill(url: str, n: int, seed: int, processes: int) -> float:
    """Store n virtual patients; returns seconds."""
    t0 = time.perf_counter()
    size = 250
    chunks = [(s, min(size, n - s + 1), seed) for s in range(1, n + 1, size)]
    with Store(url) as store, ProcessPoolExecutor(max_workers=processes) as pool:
        batch: list[RecordIn] = []
        for records in pool.map(_records, chunks):
            batch.extend(records)
            if len(batch) >= 1000:
                store.save_many(batch, author="benchmark", reason="web benchmark")
                batch = []
                print(f"  stored {store.count()} cases", flush=True)
        if batch:
            store.save_many(batch, author="benchmark", reason="web benchmark")
    return time.perf_counter() - t0


@contextmanager
def server(url: str, workers: int) -> Iterator[str]:
    """``remission serve`` on a free port; its log goes to a file, printed if it fails."""
    port = free_port()
    exe = Path(sys.executable).with_name("remission")
    with tempfile.TemporaryDirectory(prefix="remission-web-bench-") as folder:
        log_path = Path(folder) / "server.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [str(exe), "serve", "--db", url, "--port", str(port), "--workers", str(workers)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(base + "/login", timeout=2)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.3)
            yield base
        except BaseException:
            lines = log_path.read_text(errors="replace").splitlines()
            errors = [line for line in lines if "GET /" not in line]
            print("server log (last lines):\n" + "\n".join(errors[-40:]), file=sys.stderr)
            raise
        finally:
            process.terminate()
            process.wait(timeout=30)


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    seconds: float

    def line(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)

        def pct(p: float) -> float:
            return ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))]

        return (
            f"{self.name:<34} n={len(ms):>5}  p50 {statistics.median(ms):7.1f} ms  "
            f"p95 {pct(95):7.1f} ms  p99 {pct(99):7.1f} ms  "
            f"{len(ms) / self.seconds:7.1f} req/s  errors {self.errors}"
        )


async def sign_in(base: str, clients: int) -> list[httpx.AsyncClient]:
    out = []
    for _ in range(clients):
        client = httpx.AsyncClient(base_url=base, timeout=60.0)
        response = await client.post(
            "/api/auth/login", json={"username": "admin", "password": PASSWORD}
        )
        response.raise_for_status()
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        out.append(client)
    return out


async def drive(
    name: str, clients: list[httpx.AsyncClient], paths: list[str], total: int
) -> Result:
    latencies: list[float] = []
    errors = 0
    issued = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued, errors
        while issued < total:
            path = paths[issued % len(paths)]
            issued += 1
            t0 = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    return Result(name, latencies, errors, time.perf_counter() - t0)


async def load(base: str, ids: list[str], args: argparse.Namespace) -> None:
    clients = await sign_in(base, args.clients)
    rng = random.Random(args.seed)
    sample = rng.sample(ids, min(len(ids), 2000))
    probe = await clients[0].get(f"/cases/{sample[0]}")
    page_ok = probe.status_code == 200 and "text/html" in probe.headers.get("content-type", "")
    if not page_ok:
        print(f"note: /cases/{{id}} answered {probe.status_code}; timing /api/cases/{{id}} instead")
    scenarios = [
        ("case page /cases/{id}" if page_ok else "case (API) /api/cases/{id}",
         [f"/cases/{i}" if page_ok else f"/api/cases/{i}" for i in sample]),
        ("case page, 100 cases viewed again" if page_ok else "case (API), 100 cases again",
         [f"/cases/{i}" if page_ok else f"/api/cases/{i}" for i in sample[:100]]),
        ("case list + search /cases?...", [f"/cases?{q}" for q in LIST_QUERIES]),
        ("API list + search /api/cases?...", [f"/api/cases?{q}" for q in LIST_QUERIES]),
        ("API case /api/cases/{id}", [f"/api/cases/{i}" for i in sample]),
    ]  # fmt: skip
    keys = ["case", "case-again", "list", "api-list", "api-case"]
    if args.only:
        unknown = set(args.only) - set(keys)
        if unknown:
            raise SystemExit(f"--only: unknown scenario(s) {sorted(unknown)}; choose from {keys}")
        scenarios = [s for k, s in zip(keys, scenarios, strict=True) if k in args.only]
    for _, paths in scenarios:  # warm every worker's caches (the summary index)
        await asyncio.gather(*(c.get(paths[0]) for c in clients))
    for name, paths in scenarios:
        if args.tool == "wrk":
            cookies = [_cookie_header(c) for c in clients]
            line = await asyncio.to_thread(run_wrk, name, base, paths, cookies, args)
        else:
            line = (await drive(name, clients, paths, args.requests)).line()
        print(line, flush=True)
    await asyncio.gather(*(c.aclose() for c in clients))


def _cookie_header(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def run_wrk(
    name: str, base: str, paths: list[str], cookies: list[str], args: argparse.Namespace
) -> str:
    """One scenario with wrk (C, little CPU of its own): one thread and connection per client,
    each with its own session, for ``--seconds``."""
    with tempfile.TemporaryDirectory(prefix="remission-wrk-") as folder:
        paths_file = Path(folder) / "paths.txt"
        cookies_file = Path(folder) / "cookies.txt"
        paths_file.write_text("\n".join(paths) + "\n")
        cookies_file.write_text("\n".join(cookies) + "\n")
        command = ["wrk", "-t", str(args.clients), "-c", str(args.clients)]
        command += ["-d", f"{args.seconds}s", "--timeout", "30s", "-s", str(WRK_SCRIPT), base]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            env={
                **os.environ,
                "WEB_BENCH_PATHS": str(paths_file),
                "WEB_BENCH_COOKIES": str(cookies_file),
            },
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return (
        f"{name:<34} n={figures['requests']:>5}  p50 {figures['p50_ms']:7.1f} ms  "
        f"p95 {figures['p95_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms  "
        f"{figures['requests'] / figures['seconds']:7.1f} req/s  "
        f"errors {figures['not_200'] + figures['socket_errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="cases to store")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tool",
        choices=["auto", "wrk", "httpx"],
        default="auto",
        help="load generator: wrk (C; leaves the CPU to the server) or the httpx clients of "
        "this script; auto: wrk when installed",
    )
    parser.add_argument(
        "--seconds", type=int, default=20, help="seconds per scenario (wrk; httpx: --requests)"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="SCENARIO",
        help="run only these scenarios: case, case-again, list, api-list, api-case",
    )
    parser.add_argument(
        "--url",
        help="a PostgreSQL database: empty, or filled by an earlier run (then reused as it is); "
        "default: a throwaway one",
    )
    args = parser.parse_args()
    if args.tool == "auto":
        args.tool = "wrk" if shutil.which("wrk") else "httpx"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.n} cases, {args.clients} clients, "
        f"{args.workers} server worker(s), load from {args.tool}"
    )
    pg = None
    url = args.url
    if url is None:
        pg = TempPostgres(durable=True).start()
        url = pg.create_database("web_bench")
    try:
        with Store(url) as store:
            stored = store.count("case")
        if stored == 0:
            seconds = fill(url, args.n, args.seed, args.processes)
            print(f"stored {args.n} virtual patients in {seconds:.1f} s")
        else:
            print(f"reusing the {stored} cases already in the store")
        with Store(url) as store:
            has_admin = Accounts(store).get("admin") is not None
        if not has_admin:
            add_account(url, "admin", PASSWORD, role="admin")
        with Store(url) as store:
            ids = store.ids("case")
        with server(url, args.workers) as base:
            asyncio.run(load(base, ids, args))
    finally:
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    main()
