"""Documentation that is generated or quoted stays in step with the code."""

from pathlib import Path

from remission.casefile import parse_document_text
from remission.docgen import render
from remission.examples import example_paths

ROOT = Path(__file__).resolve().parents[1]


def test_field_reference_is_current():
    committed = (ROOT / "docs" / "case-reference.md").read_text(encoding="utf-8")
    assert committed == render(), "run: python -m remission.docgen > docs/case-reference.md"


def test_the_annotated_example_in_the_guide_is_the_bundled_file():
    guide = (ROOT / "docs" / "case-format.md").read_text(encoding="utf-8")
    example = next(p for p in example_paths() if p.name.startswith("synthetic")).read_text(encoding="utf-8")
    assert f"```yaml\n{example}```" in guide
    parse_document_text(example, "guide example")


def test_readme_starts_with_what_remission_is_and_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    head = readme[:3000]
    assert "make demo" in head and "make test" in head
