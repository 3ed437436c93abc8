"""The fields of the Case model that hold words: what de-identification must account for.

Walks the pydantic models reachable from :class:`~remission.model.Case` and sorts their fields
into closed lists (``Literal``: safe to keep) and open text (``str``, ``Any``: each must have an
action in ``deidentify.yaml``).
"""

from __future__ import annotations

import types
import typing
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from remission.model import Case

__all__ = ["literal_fields", "plain_fields", "text_fields"]


def _leaves(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType, tuple, list):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            if arg is not Ellipsis:
                out += _leaves(arg)
        return out
    if origin is typing.Literal:
        return ["literal"]
    return [tp]


_SCALARS = (int, float, bool, type(None))


@lru_cache(maxsize=1)
def _classify() -> tuple[
    frozenset[tuple[str, str]], frozenset[tuple[str, str]], frozenset[tuple[str, str]]
]:
    literal: set[tuple[str, str]] = set()
    text: set[tuple[str, str]] = set()
    plain: set[tuple[str, str]] = set()
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, info in model.model_fields.items():
            leaves = _leaves(info.annotation)
            if all(leaf == "literal" or leaf in _SCALARS for leaf in leaves):
                plain.add((model.__name__, name))
            for leaf in leaves:
                if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                    walk(leaf)
                elif leaf == "literal":
                    literal.add((model.__name__, name))
                elif leaf is str or leaf is Any:
                    text.add((model.__name__, name))

    walk(Case)
    return frozenset(literal), frozenset(text), frozenset(plain)


def literal_fields() -> frozenset[tuple[str, str]]:
    """(model, field) pairs whose values come from a closed list."""
    return _classify()[0]


def text_fields() -> frozenset[tuple[str, str]]:
    """(model, field) pairs that can hold any text (names of models as in the schema)."""
    return _classify()[1]


def plain_fields() -> frozenset[tuple[str, str]]:
    """(model, field) pairs holding only numbers, booleans or closed-list values."""
    return _classify()[2]
