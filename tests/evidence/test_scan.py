"""A look-ahead on a pattern's first characters changes its speed, never its matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remission.evidence.scan import first_chars, quick

PATTERNS = [
    re.compile(r"\b(?:patients|studies|trials?)\b", re.IGNORECASE),
    re.compile(r"\b(?P<m>man|boy|Mr)\b|\b(?P<f>woman|girl|Mrs)\b", re.IGNORECASE),
    re.compile(
        r"(?:©|\(c\)\s*(?:19|20)\d\d|\bcopyright\b)|(?<=[\w.+-])@[\w-]+\.[\w.]+", re.IGNORECASE
    ),
    re.compile(r"(?-i:\bR[1-9]\b)|relaps", re.IGNORECASE),
    re.compile(r"\d+[- ](?:year|month)s?[- ]old\b"),
    re.compile(r"(?:grade|G)\s*[0-5]"),
]


def test_the_first_characters_of_word_alternatives_are_their_initials() -> None:
    assert first_chars(re.compile(r"\b(?:patients|studies)\b", re.IGNORECASE)) == "ps"
    assert first_chars(re.compile(r"a?b")) == "ab"
    assert first_chars(re.compile(r"(?<=x)@y")) == "@"


@pytest.mark.parametrize(
    "pattern",
    [r"\w+@", r"a?", r".x", r"[^a]b", r"(?:)", r"x|"],
)
def test_a_pattern_that_may_start_anywhere_or_match_empty_gets_no_look_ahead(pattern: str) -> None:
    compiled = re.compile(pattern)
    assert first_chars(compiled) is None
    assert quick(compiled) is compiled


@given(st.text(alphabet="abcdegilmnoprstuwyGMRS0123456789 -@.©()", max_size=80))
def test_quick_finds_the_same_matches_as_the_pattern(text: str) -> None:
    for pattern in PATTERNS:
        fast = quick(pattern)
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in pattern.finditer(text)]
        assert [m.groupdict() for m in fast.finditer(text)] == [
            m.groupdict() for m in pattern.finditer(text)
        ]


def test_sample_sentences_match_alike() -> None:
    text = (
        "Two patients (a boy and a woman, Mr X's daughter) in R2 relapsed; grade 3 CRS. "
        "© 2021 the authors, contact x.y@example.org. A 7-year-old girl."
    )
    for pattern in PATTERNS:
        assert [m.group(0) for m in quick(pattern).finditer(text)] == [
            m.group(0) for m in pattern.finditer(text)
        ]
