"""Case-report headings are sections; literature in the introduction or discussion does not fill
this patient's fields."""

from __future__ import annotations

from remission.evidence import extract_text
from remission.evidence.clean import clean
from remission.evidence.pipeline import pipeline
from remission.evidence.reading import read


def _sections(text: str) -> dict[str, str | None]:
    cleaned = clean(text)
    reading = read(cleaned, [(0, pipeline()(cleaned.text))])
    return {s.text.strip(): s.section for s in reading.sentences if s.text.strip()}


def test_headings_on_their_own_line_start_sections():
    found = _sections(
        "Introduction\nRelapse is common.\nCase presentation\nA boy relapsed.\nDiscussion\nOthers differ.\n"
    )
    assert found["Relapse is common."] == "background"
    assert found["A boy relapsed."] == "case"
    assert found["Others differ."] == "discussion"


def test_run_in_headings_after_a_full_stop_start_sections():
    found = _sections(
        "Introduction. Relapse is common.Aim: to show one case. Main findings. A boy relapsed."
    )
    assert found["A boy relapsed."] == "case"


def test_a_heading_word_inside_a_sentence_is_not_a_heading():
    found = _sections("Case presentation\nThe discussion with the family was long.\n")
    assert found["The discussion with the family was long."] == "case"


def test_discussion_about_other_patients_does_not_fill_the_patient():
    text = (
        "Case presentation\nA 30-year-old man with relapsed B-ALL received tisagenlecleucel. "
        "He had no CRS. He remains in remission 6 months after infusion.\n"
        "Discussion\nOther patients in published series developed grade 4 CRS and died.\n"
    )
    summary = extract_text(text).patients[0].summary
    assert summary.crs_max_grade == 0
    assert summary.alive_at_last_follow_up is True
