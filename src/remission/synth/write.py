"""Writing a virtual cohort to case files: the only I/O of :mod:`remission.synth`.

Each case is written as ``<id>.yaml`` (``synth-000001.yaml``) with exactly the text of
:func:`remission.casefile.dump_document`, so every file loads back with
:func:`remission.load_file` to an equal Case. The YAML is built as nodes directly and emitted
with libyaml's C emitter when PyYAML has it: the same bytes as ``dump_document`` (a test checks
this on generated cases) about five times faster, which is what makes 10,000 cases a matter of
seconds.

Cases are independent random streams (:func:`~remission.synth.generator.case_rng`), so the files
are byte-identical for a seed whatever the number of worker processes.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from remission.casefile import dump_document
from remission.model import Case
from remission.synth.generator import _Builder, case_rng
from remission.synth.rates import DEFAULT_PARAMS, SynthParams

__all__ = ["WriteReport", "case_text", "write_cohort"]

#: Called with (cases written so far, total).
Progress = Callable[[int, int], None]

#: Below this many cases one process writes everything (starting workers costs more).
PARALLEL_FROM = 400
CHUNK = 250


@dataclass(frozen=True)
class WriteReport:
    """What :func:`write_cohort` wrote: where, how many, how long, and the mix of arms."""

    out: Path
    n: int
    seed: int
    therapy: str
    files: tuple[Path, ...]
    bytes: int
    seconds: float
    processes: int
    arms: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "n": self.n,
            "seed": self.seed,
            "therapy": self.therapy,
            "files": len(self.files),
            "first": str(self.files[0]) if self.files else None,
            "last": str(self.files[-1]) if self.files else None,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 2),
            "cases_per_second": round(self.n / self.seconds, 1) if self.seconds > 0 else None,
            "processes": self.processes,
            "arms": dict(sorted(self.arms.items())),
        }


def case_text(case: Case) -> str:
    """The case-file text of ``case`` (exactly what ``remission export`` writes)."""
    return dump_document(case)


def _write_range(
    args: tuple[str, int, list[int], SynthParams],
) -> tuple[list[str], int, Counter[str]]:
    out, seed, indices, params = args
    folder = Path(out)
    names: list[str] = []
    size = 0
    arms: Counter[str] = Counter()
    for index in indices:
        builder = _Builder(case_rng(seed, index), index, params)
        case = Case.model_validate(builder.build())
        raw = case_text(case).encode("utf-8")
        path = folder / f"{case.id}.yaml"
        path.write_bytes(raw)
        names.append(path.name)
        size += len(raw)
        arms[builder.arm.key] += 1
    return names, size, arms


def _chunks(indices: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(indices), size):
        yield indices[i : i + size]


def write_cohort(
    out: str | Path,
    n: int,
    seed: int = 0,
    params: SynthParams = DEFAULT_PARAMS,
    *,
    progress: Progress | None = None,
    processes: int | None = None,
    start: int = 1,
) -> WriteReport:
    """Write cases ``start`` .. ``start + n - 1`` of the cohort drawn with ``seed`` into ``out``.

    The folder is created if needed; files of the same names are replaced, other files are left
    alone. ``processes``: worker processes (default: one per CPU for 400 cases or more, else
    one). ``progress(done, total)`` is called as cases are written.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    indices = list(range(start, start + n))
    workers = processes if processes is not None else (os.cpu_count() or 1)
    if n < PARALLEL_FROM and processes is None:
        workers = 1
    workers = max(1, min(workers, max(1, n // 50)))
    t0 = time.perf_counter()
    names: list[str] = []
    written = 0
    arms: Counter[str] = Counter()
    done = 0

    def collect(result: tuple[list[str], int, Counter[str]]) -> None:
        nonlocal written, done
        names.extend(result[0])
        written += result[1]
        arms.update(result[2])
        done += len(result[0])
        if progress is not None:
            progress(done, n)

    tasks: Iterable[tuple[str, int, list[int], SynthParams]]
    if workers == 1:
        step = 50 if progress is not None else max(n, 1)
        for part in _chunks(indices, step):
            collect(_write_range((str(folder), seed, part, params)))
    else:
        size = max(25, min(CHUNK, n // (workers * 4) or 25))
        tasks = [(str(folder), seed, c, params) for c in _chunks(indices, size)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for result in pool.map(_write_range, tasks):
                collect(result)
    seconds = time.perf_counter() - t0
    return WriteReport(
        out=folder,
        n=n,
        seed=seed,
        therapy=params.therapy,
        files=tuple(folder / name for name in names),
        bytes=written,
        seconds=seconds,
        processes=workers,
        arms=dict(arms),
    )
