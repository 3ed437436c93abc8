"""Cleaning keeps the clinical text, drops page furniture, and maps every offset back exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from remission.evidence.clean import clean, normalize_chars

PAGE = (
    "PubMed  |  Advanced  |  User Guide\n"
    "Save   Email   Send to\n"
    "Marta Kowal 1, Jonas Berg 2, Ana Ruiz 1\n"
    "1 Department of Haematology, North Coast University Hospital, Gdynia, Poland.\n"
    "PMID: 12345678   DOI: 10.1000/xyz.123\n"
    "ORCID iD: 0000-0002-0000-0001\n"
    "We use cookies to improve your experience.\n"
    "Abstract\n"
    "A 9\u2011year\u2011old boy received CAR\u00a0T cells \u2013 grade\u00a0II CRS followed.\n"
    "Zusammenfassung: Der Patient erhielt eine Therapie.\n"
    "© 2024 The Authors. Published by Example Press.\n"
    "References\n"
    "1. Smith J, et al. Another CAR-T case with grade 4 CRS. Blood. 2020.\n"
)


def test_furniture_lines_are_dropped_and_clinical_text_kept():
    out = clean(PAGE)
    assert "boy received CAR T cells - grade II CRS followed." in out.text
    for furniture in (
        "PMID",
        "ORCID",
        "cookies",
        "Department of Haematology",
        "Jonas Berg",
        "©",
        "Smith J",
    ):
        assert furniture not in out.text, furniture


def test_reference_list_after_its_heading_is_dropped_until_the_end():
    out = clean(PAGE)
    assert "grade 4 CRS" not in out.text


def test_catalogue_label_is_stripped_but_its_text_kept():
    out = clean(PAGE)
    assert "Zusammenfassung" not in out.text
    assert "Der Patient erhielt eine Therapie." in out.text


def test_characters_are_normalised_one_for_one():
    text = "grade\u00a0II \u2013 CD19\u2010CAR \u201cT\u201d ＣＲＳ"
    assert normalize_chars(text) == 'grade II - CD19-CAR "T" CRS'
    assert len(normalize_chars(text)) == len(text)


def test_every_kept_character_maps_back_to_the_same_character():
    out = clean(PAGE)
    for i, ch in enumerate(out.text):
        original = PAGE[out.to_original(i)]
        assert normalize_chars(original) == ch or (original == "\r" and ch in " \n")


def test_spans_map_back_to_the_original_words():
    out = clean(PAGE)
    start = out.text.index("grade II CRS")
    o_start, o_end = out.original_span(start, start + len("grade II CRS"))
    assert PAGE[o_start:o_end] == "grade\u00a0II CRS"


def test_windows_line_ends_keep_offsets():
    text = "Abstract\r\nA girl had no ICANS.\r\n"
    out = clean(text)
    i = out.text.index("no ICANS")
    s, e = out.original_span(i, i + len("no ICANS"))
    assert text[s:e] == "no ICANS"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_text_cleans_and_maps_back_inside_the_original(text):
    out = clean(text)
    assert len(out.text) <= len(text)
    for i in range(len(out.text)):
        assert 0 <= out.to_original(i) < len(text)
