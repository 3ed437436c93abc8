"""docs/synth.md lists every rate and source exactly as the code holds them."""

from pathlib import Path

from remission.synth import SOURCES, rates_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "synth.md"


def test_rates_table_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert rates_markdown() in text, (
        "regenerate the table in docs/synth.md from remission.synth.rates_markdown()"
    )


def test_every_source_is_cited():
    text = DOC.read_text(encoding="utf-8")
    for key, citation in SOURCES.items():
        assert f"- **{key}**: {citation}" in text, key
