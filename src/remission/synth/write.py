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

import io
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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


_STR, _INT, _FLOAT, _BOOL, _NULL = (
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null")
)
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _node(value: Any) -> Node:
    """The YAML node PyYAML's SafeRepresenter makes of plain data, made directly.

    Same tags, values and styles as ``yaml.dump(..., default_flow_style=False)`` with
    casefile's literal-block strings; skipping the representer's generic dispatch is what saves
    the time. A test checks the bytes against :func:`remission.casefile.dump_document`.
    """
    kind = type(value)
    if kind is str:
        return ScalarNode(_STR, value, style="|" if "\n" in value else None)
    if kind is dict:
        return MappingNode(_MAP, [(_node(k), _node(v)) for k, v in value.items()], flow_style=False)
    if kind is list:
        return SequenceNode(_SEQ, [_node(v) for v in value], flow_style=False)
    if kind is bool:
        return ScalarNode(_BOOL, "true" if value else "false")
    if kind is int:
        return ScalarNode(_INT, str(value))
    if kind is float:
        if value != value:
            text = ".nan"
        elif value in (math.inf, -math.inf):
            text = ".inf" if value > 0 else "-.inf"
        else:
            text = repr(value).lower()
            if "." not in text and "e" in text:
                text = text.replace("e", ".0e", 1)
        return ScalarNode(_FLOAT, text)
    if value is None:
        return ScalarNode(_NULL, "null")
    raise TypeError(f"cannot write a {kind.__name__} to a case file")


_Base: Any = getattr(yaml, "CSafeDumper", None)


if _Base is not None:

    class _CDumper(_Base):
        """libyaml's emitter; implicit-tag resolution of scalars is memoised (it is asked
        twice for every scalar, and case files repeat the same keys and values)."""

        _resolved: ClassVar[dict[tuple[Any, ...], str]] = {}

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is not ScalarNode:
                return str(super().resolve(kind, value, implicit))
            key = (value, *implicit)
            tag = self._resolved.get(key)
            if tag is None:
                tag = str(super().resolve(kind, value, implicit))
                if len(self._resolved) < 100_000:
                    self._resolved[key] = tag
            return tag


def _whole_numbers(value: Any) -> Any:
    """28.0 -> 28, as :func:`remission.casefile.dump_document` writes numbers."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


def case_text(case: Case) -> str:
    """The case-file text of ``case``: byte for byte what ``dump_document`` writes."""
    if _Base is None:  # pragma: no cover - PyYAML without libyaml
        return dump_document(case)
    data = case.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data = _whole_numbers({"schema_version": case.schema_version, "kind": case.kind, **data})
    stream = io.StringIO()
    dumper = _CDumper(
        stream, default_flow_style=False, allow_unicode=True, width=100, sort_keys=False
    )
    try:
        dumper.open()
        dumper.serialize(_node(data))
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


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
