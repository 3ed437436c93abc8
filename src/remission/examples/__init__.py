"""Bundled example documents: the five seed reports as data, plus an annotated synthetic case."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["example_paths"]


def example_paths(include_synthetic: bool = True) -> list[Path]:
    """Paths of the bundled example files, seed reports first."""
    folder = resources.files("remission.examples")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    if not include_synthetic:
        names = [n for n in names if not n.startswith("synthetic")]
    return [Path(str(folder.joinpath(n))) for n in names]
