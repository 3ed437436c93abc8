"""The packaged criteria files (YAML) and their one loader."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from remission.exceptions import VocabularyError

__all__ = ["load_criteria"]

M = TypeVar("M", bound=BaseModel)


def load_criteria(model: type[M], filename: str, what: str, path: str | Path | None = None) -> M:
    """Load and validate a criteria file: the packaged ``filename`` unless ``path`` is given.

    Raises :class:`~remission.exceptions.VocabularyError` naming the file when it is malformed.
    """
    if path is None:
        text = (
            resources.files("remission.rules.criteria")
            .joinpath(filename)
            .read_text(encoding="utf-8")
        )
        name = filename
    else:
        text = Path(path).read_text(encoding="utf-8")
        name = str(path)
    try:
        data: Any = yaml.safe_load(text)
        return model.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise VocabularyError(f"{name}: malformed {what}: {exc}") from exc
