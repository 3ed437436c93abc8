"""Where exports are written: a new or empty folder, filled all at once or not at all.

Every folder export (cBioPortal study, registry tables) is written into a temporary folder
beside the target and moved into place only when every file is complete, so a failure leaves
nothing half-written; a folder that already holds files is refused unless ``overwrite`` is
given (then only the files of this export are replaced, nothing else is removed).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from remission.exceptions import ExportTargetError, Problem

__all__ = ["check_folder", "prepare_folder"]


def check_folder(folder: Path, *, overwrite: bool = False) -> None:
    """Refuse a target that is a file, or a folder with files in it (unless ``overwrite``)."""
    if folder.exists() and not folder.is_dir():
        raise ExportTargetError(
            Problem("is a file, not a folder; give a new or empty folder", where=str(folder))
        )
    if folder.is_dir() and not overwrite and any(folder.iterdir()):
        raise ExportTargetError(
            Problem(
                "the folder is not empty; give a new or empty folder (or --overwrite to replace "
                "the files of an earlier export)",
                where=str(folder),
            )
        )


@contextmanager
def prepare_folder(folder: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success its files move into ``folder``."""
    folder = Path(folder)
    check_folder(folder, overwrite=overwrite)
    parent = folder.parent if str(folder.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=parent))
    except OSError as exc:
        raise ExportTargetError(
            Problem(f"cannot write here: {exc.strerror or exc}", where=str(folder))
        ) from None
    try:
        yield tmp
        if not folder.exists():
            os.replace(tmp, folder)
            return
        for item in sorted(tmp.rglob("*")):
            target = folder / item.relative_to(tmp)
            if item.is_dir():
                target.mkdir(exist_ok=True)
            else:
                os.replace(item, target)
    except OSError as exc:
        raise ExportTargetError(
            Problem(f"cannot write here: {exc.strerror or exc}", where=str(folder))
        ) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
