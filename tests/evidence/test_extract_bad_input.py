"""Bad input never crashes or hangs: a clear warning and an empty draft instead."""

from __future__ import annotations

import time

import pytest

from remission.evidence import RuleExtractor, extract_text
from remission.evidence.extract import MAX_CHARS

RECIPE = (
    "Lemon drizzle cake. Cream 200 g butter with 200 g sugar, beat in four eggs and fold in the flour. "
    "Bake for 45 minutes at 180 degrees, then pour the lemon syrup over the warm cake."
)


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_gives_an_empty_draft_with_a_message(text):
    result = extract_text(text)
    assert result.patients == ()
    assert result.warnings == ("the text is empty",)


def test_nul_bytes_read_as_binary():
    result = extract_text("A boy with ALL\x00\x00\x01 received CAR-T\x00" * 20)
    assert result.patients == ()
    assert "binary" in result.warnings[0]


def test_chinese_only_text_is_not_read():
    result = extract_text(
        "患者男性，七岁，诊断为急性淋巴细胞白血病，接受了嵌合抗原受体T细胞治疗，获得完全缓解。" * 5
    )
    assert result.patients == ()
    assert "English" in result.warnings[0]


def test_a_recipe_is_not_a_case_report():
    result = extract_text(RECIPE)
    assert result.patients == ()
    assert "leukaemia" in result.warnings[0]


def test_bytes_are_a_type_error_naming_the_expected_type():
    with pytest.raises(TypeError, match="str"):
        extract_text(b"A boy with ALL")  # type: ignore[arg-type]


def test_a_10_mb_text_is_read_in_bounded_time_with_a_warning():
    unit = "A 9-year-old boy with relapsed B-ALL received tisagenlecleucel and had grade 1 CRS.\n\n"
    text = unit * (10_000_000 // len(unit))
    started = time.monotonic()
    result = extract_text(text)
    assert time.monotonic() - started < 120  # generous bound: a hang would never end
    assert any(f"{MAX_CHARS:,}" in w for w in result.warnings)
    assert result.patients and result.patients[0].summary.crs_max_grade == 1


def test_the_extractor_contract():
    extractor = RuleExtractor()
    assert extractor.name == "rules 1"
    result = extractor.extract(
        "A girl with relapsed B-ALL received tisagenlecleucel.", file="case.txt"
    )
    assert result.file == "case.txt"
    assert result.extractor == "rules 1"
    assert set(result.to_json()) == {"file", "kind", "patients", "cohort", "evidence"}
