"""Faster scans with the same matches: a look-ahead on the characters a match can start with.

Python's ``re`` tries a pattern at every position of the text. For a pattern such as
``\\b(?:patients|studies|trials?)`` or an alternation of many rules it tries every alternative
at every character, although only a few characters can start a match. :func:`quick` puts a
look-ahead on those characters in front (``(?=[pst])(?:...)``): other positions fail on one
character test. The matches are the same, because the look-ahead admits every character a match
can start with; :func:`first_chars` finds them from the parsed pattern and answers ``None``
(no look-ahead) whenever it cannot be sure (a pattern that may match the empty string, or start
with any letter, ``\\w``, ``.``, a negated class).
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

__all__ = ["first_chars", "quick"]

#: A class of more characters than this gains little over no look-ahead.
_MAX_CHARS = 40


def _seq(items: Any) -> tuple[set[str] | None, bool]:
    """(first characters, may match empty) of a sequence of parsed items."""
    out: set[str] = set()
    for op, av in items:
        chars, empty = _item(op, av)
        if chars is None:
            return None, False
        out |= chars
        if not empty:
            return out, False
    return out, True


def _item(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    if op is C.LITERAL:
        return {chr(av)}, False
    if op is C.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is C.LITERAL:
                chars.add(chr(value))
            elif kind is C.RANGE and value[1] - value[0] <= _MAX_CHARS:
                chars.update(chr(c) for c in range(value[0], value[1] + 1))
            elif kind is C.CATEGORY and value is C.CATEGORY_DIGIT:
                chars.update("0123456789")
            else:
                return None, False
        return chars, False
    if op is C.BRANCH:
        out: set[str] = set()
        empty = False
        for seq in av[1]:
            chars_b, e = _seq(seq)
            if chars_b is None:
                return None, False
            out |= chars_b
            empty = empty or e
        return out, empty
    if op is C.SUBPATTERN:
        return _seq(av[3])
    if op is C.ATOMIC_GROUP:
        return _seq(av)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        chars_r, e = _seq(av[2])
        return chars_r, av[0] == 0 or e
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
        return set(), True  # zero width: the next item starts the match
    return None, False


def first_chars(pattern: re.Pattern[str]) -> str | None:
    """The characters a match of ``pattern`` can start with, or ``None`` when not sure."""
    chars, empty = _seq(P.parse(pattern.pattern, pattern.flags))
    if chars is None or empty or not chars:
        return None
    if pattern.flags & re.IGNORECASE:
        chars = {c.lower() for c in chars}
    if len(chars) > _MAX_CHARS:
        return None
    return "".join(sorted(chars))


def quick(pattern: re.Pattern[str], first: str | None = None) -> re.Pattern[str]:
    """``pattern`` behind a look-ahead on the characters a match can start with: ``first`` (a
    character-class body, letters in either case when the pattern ignores case), else those
    :func:`first_chars` finds; unchanged when they are not known."""
    if first is None:
        found = first_chars(pattern)
        if found is None:
            return pattern
        first = "".join("\\" + c if c in "\\]^-[" else c for c in found)
    return re.compile(f"(?=[{first}])(?:{pattern.pattern})", pattern.flags)
