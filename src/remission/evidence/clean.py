"""Cleaning: keep a report's clinical text, drop the page furniture around it, keep every offset.

Text copied from journal pages, PubMed, library catalogues and conference sites carries menus,
author and affiliation lines, ORCID and DOI lines, banners, cookie notices, reference lists and
catalogue field labels (German ``Zusammenfassung:``, French ``Résumé :``). :func:`clean` drops
them line by line with the rules in ``rules/furniture.yaml`` and normalises characters one for
one (non-breaking and thin spaces, en and em dashes, the minus sign, curly quotes, full-width
letters), so the cleaned text maps back to the original exactly: every character kept comes from
one character of the original, and :meth:`CleanText.original_span` turns a cleaned span into the
original one (``original[start:end]`` is the evidence text).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

from remission.evidence.ruleset import FurnitureRule, furniture_rules, section_rules
from remission.evidence.scan import quick

__all__ = ["CleanText", "clean", "normalize_chars"]

_CHAR_MAP = {
    "\u00a0": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2007": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u200b": " ",
    "\ufeff": " ",
    "\t": " ",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00b4": "'",
    "\u2032": "'",
    "\u3000": " ",
    "\u00ad": "-",
}
# full-width ASCII (U+FF01..U+FF5E) -> ASCII, as Chinese and Japanese input methods type it
_CHAR_MAP.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
_TRANSLATE = str.maketrans(_CHAR_MAP)


def normalize_chars(text: str) -> str:
    """Replace look-alike characters one for one (the length never changes)."""
    return text.translate(_TRANSLATE)


@dataclass(frozen=True)
class CleanText:
    """The cleaned text and, for each kept piece, where it starts in the original."""

    original: str
    text: str
    clean_starts: tuple[int, ...]
    original_starts: tuple[int, ...]
    dropped: tuple[tuple[int, int, str], ...] = ()
    """Original ``(start, end, rule id)`` of each dropped piece (for review and tests)."""

    def to_original(self, pos: int) -> int:
        """The original offset of cleaned offset ``pos`` (an end offset maps after its piece)."""
        if not self.clean_starts:
            return 0
        i = bisect_right(self.clean_starts, pos) - 1
        if i < 0:
            return self.original_starts[0]
        return self.original_starts[i] + (pos - self.clean_starts[i])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``(start, end)`` of the cleaned characters ``[start, end)``."""
        if end <= start:
            o = self.to_original(start)
            return o, o
        return self.to_original(start), self.to_original(end - 1) + 1


@cache
def _compiled() -> tuple[
    tuple[tuple[FurnitureRule, re.Pattern[str]], ...],
    tuple[tuple[FurnitureRule, re.Pattern[str]], ...],
    tuple[tuple[FurnitureRule, re.Pattern[str]], ...],
    tuple[tuple[FurnitureRule, re.Pattern[str]], ...],
    re.Pattern[str],
]:
    rules = furniture_rules()

    def comp(group: tuple[FurnitureRule, ...]) -> tuple[tuple[FurnitureRule, re.Pattern[str]], ...]:
        return tuple((r, re.compile(r.pattern, re.IGNORECASE)) for r in group)

    headings = sorted(
        {h for spec in section_rules().sections for h in spec.headings}, key=len, reverse=True
    )
    heading = re.compile(
        r"^\s*(?:#+\s*)?(?:\*\*)?\s*(?:\d+\.?\s*)?(?:"
        + "|".join(re.escape(h) for h in headings)
        + r")s?\s*(?:\*\*)?\s*[:.]?\s*(?:\*\*)?\s*$",
        re.IGNORECASE,
    )
    return (
        comp(rules.drop_line),
        comp(rules.drop_block),
        comp(rules.strip_label),
        comp(rules.drop_after_label),
        heading,
    )


_NAME_PART = re.compile(r"^(?:[A-Z][\w'.-]*|de|van|von|der|da|del|la|le|di|dos|du|y)$")
_DEGREES = re.compile(r"\b(?:MD|PhD|MBBS|MSc|DSc|BSc|RN|PharmD|FRCP|FRCPath|MPH|Jr|Sr|MS|DO)\b\.?")


def _author_line(line: str) -> bool:
    """A line of author names: three or more short capitalised name parts, separated by commas."""
    s = line.strip()
    if len(s) < 8 or len(s) > 1500 or (s.endswith((".", "?", "!")) and not s.endswith(" Jr.")):
        return False
    parts = [p.strip() for p in re.split(r",|;|\band\b|&", s) if p.strip()]
    if len(parts) < 3:
        return False
    names = 0
    for part in parts:
        p = _DEGREES.sub("", re.sub(r"[\d*†‡§#¶]+", " ", part)).strip()
        if not p:
            names += 1
            continue
        words = p.split()
        if (
            1 <= len(words) <= 5
            and all(_NAME_PART.match(w) for w in words)
            and any(re.search(r"[A-Z][a-z]", w) for w in words)
        ):
            names += 1
    return names >= max(3, int(0.8 * len(parts) + 0.5))


def clean(text: str) -> CleanText:
    """Drop furniture from ``text`` and normalise characters; offsets map back exactly."""
    drop_line, drop_block, strip_label, drop_after_label, heading = _compiled()
    norm = normalize_chars(text)
    # "\r\n" and lone "\r" end lines; the "\r" becomes a space so the length holds
    norm = re.sub(r"\r(?=\n)", " ", norm).replace("\r", "\n")
    pieces: list[tuple[int, int]] = []  # original (start, end) of each kept piece
    dropped: list[tuple[int, int, str]] = []
    block: FurnitureRule | None = None
    pos = 0
    lines = norm.splitlines(keepends=True)
    banners = _bold_banners(lines, heading)
    for k, raw in enumerate(lines):
        start, end = pos, pos + len(raw)
        pos = end
        body = raw.rstrip("\n")
        if k in banners:
            dropped.append((start, end, "bold-banner"))
            continue
        if block is not None:
            if block.until == "blank" and not body.strip():
                block = None
                dropped.append((start, end, "blank"))
                continue
            if block.until == "heading" and heading.match(body):
                block = None
            else:
                dropped.append((start, end, block.id))
                continue
        if not body.strip():
            pieces.append((start, end))
            continue
        if heading.match(body):
            pieces.append((start, end))
            continue
        rule_id = _furniture(body, drop_block, drop_after_label, drop_line)
        if rule_id is not None:
            if rule_id[1]:
                block = next(r for r, _ in drop_block if r.id == rule_id[0])
            dropped.append((start, end, rule_id[0]))
            continue
        if (body.count(",") + body.count(";") + body.count(" and ")) >= 2 and _author_line(body):
            dropped.append((start, end, "authors"))
            continue
        cut = 0
        for rule, pattern in strip_label:
            m = pattern.match(body)
            if m:
                cut = m.end()
                dropped.append((start, start + cut, rule.id))
                break
        pieces.append((start + cut, end))
    clean_starts: list[int] = []
    original_starts: list[int] = []
    out: list[str] = []
    n = 0
    for s, e in pieces:
        if e <= s:
            continue
        if original_starts and original_starts[-1] + (n - clean_starts[-1]) == s:
            pass  # contiguous with the previous piece: one mapping entry serves both
        else:
            clean_starts.append(n)
            original_starts.append(s)
        out.append(norm[s:e])
        n += e - s
    return CleanText(
        original=text,
        text="".join(out),
        clean_starts=tuple(clean_starts),
        original_starts=tuple(original_starts),
        dropped=tuple(dropped),
    )


@cache
def _any_furniture(short: bool) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Two patterns that together match a line wherever any furniture rule (for a line of this
    length) matches: the rules anchored at the line start (``^``), tried at the start only, and
    the others, searched through the line (trying every anchored rule at every character of
    every line was most of the cleaning time)."""
    rules = furniture_rules()
    patterns = [
        r.pattern
        for group in (rules.drop_block, rules.drop_after_label, rules.drop_line)
        for r in group
        if short or r.max_length > 400
    ]
    anchored = [p for p in patterns if p.startswith("^")]
    floating = [p for p in patterns if not p.startswith("^")]
    return (
        re.compile("|".join(f"(?:{p})" for p in anchored) or "(?!)", re.IGNORECASE),
        quick(re.compile("|".join(f"(?:{p})" for p in floating) or "(?!)", re.IGNORECASE)),
    )


def _bold_banners(lines: list[str], heading: re.Pattern[str]) -> set[int]:
    """Lines of a bold block spread over two to four short lines ("**Emily has been" /
    "disease-free for 9 years**"): a promotional banner, not the report."""
    out: set[int] = set()
    for k, line in enumerate(lines):
        text = line.strip()
        if not text.startswith("**") or text.count("**") != 1 or heading.match(line):
            continue
        if re.match(r"\*\*\s*(?:patient|case)\b", text, re.IGNORECASE):
            continue
        for j in range(k + 1, min(k + 4, len(lines))):
            nxt = lines[j].strip()
            if not nxt or "**" in nxt[:-2]:
                break
            if nxt.endswith("**"):
                if sum(len(x) for x in lines[k : j + 1]) <= 240:
                    out.update(range(k, j + 1))
                break
    return out


def _furniture(
    body: str,
    drop_block: tuple[tuple[FurnitureRule, re.Pattern[str]], ...],
    drop_after_label: tuple[tuple[FurnitureRule, re.Pattern[str]], ...],
    drop_line: tuple[tuple[FurnitureRule, re.Pattern[str]], ...],
) -> tuple[str, bool] | None:
    """``(rule id, starts a block)`` when the line is furniture, else ``None``."""
    anchored, floating = _any_furniture(len(body) <= 400)
    if not anchored.match(body) and not floating.search(body):
        return None  # one scan rules out most lines; the rule that matched is found below
    for rule, pattern in drop_block:
        if len(body) <= rule.max_length and pattern.search(body):
            return rule.id, True
    for group in (drop_after_label, drop_line):
        for rule, pattern in group:
            if len(body) <= rule.max_length and pattern.search(body):
                return rule.id, False
    return None
