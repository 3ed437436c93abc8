"""The annotated corpus: enough texts, two splits, every gold valid, no text in both splits."""

from __future__ import annotations

from pathlib import Path

import pytest

from remission.evidence.corpus import CorpusError, corpus_root, load_corpus

GOLD_OK = """kind: case_report
style: plain abstract
situation: adult CAR-T
patients:
  - summary:
      age_years: 34
      sex: male
      index_therapies:
        - {class: car_t, agent: tisagenlecleucel}
"""


def test_the_shipped_corpus_has_at_least_40_valid_texts_in_two_splits():
    docs = load_corpus()
    assert len(docs) >= 40
    splits = {d.split for d in docs}
    assert splits == {"dev", "heldout"}
    assert sum(d.split == "heldout" for d in docs) >= 10


def test_no_text_is_in_both_splits():
    docs = load_corpus()
    seen: dict[str, str] = {}
    for d in docs:
        key = " ".join(d.text.split()).lower()
        assert key not in seen, f"{d.split}/{d.name} repeats {seen[key]}"
        seen[key] = f"{d.split}/{d.name}"
    dev = {d.name for d in docs if d.split == "dev"}
    assert not dev & {d.name for d in docs if d.split == "heldout"}


def test_every_kind_is_represented():
    kinds = {d.kind for d in load_corpus()}
    assert kinds == {"case_report", "case_series", "cohort"}


def test_the_corpus_ships_with_the_package():
    assert (corpus_root() / "GUIDELINES.md").is_file()


def make(root: Path, split: str, name: str, text: str = "A report.", gold: str | None = GOLD_OK):
    folder = root / split
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    if gold is not None:
        (folder / f"{name}.gold.yaml").write_text(gold, encoding="utf-8")


def test_a_small_corpus_loads_by_split(tmp_path):
    make(tmp_path, "dev", "001-one", "First report.")
    make(tmp_path, "heldout", "002-two", "Second report.")
    docs = load_corpus(tmp_path)
    assert [(d.split, d.name) for d in docs] == [("dev", "001-one"), ("heldout", "002-two")]
    assert docs[0].patients[0].summary.index_therapies[0].agent == "tisagenlecleucel"
    assert [d.name for d in load_corpus(tmp_path, ["heldout"])] == ["002-two"]


@pytest.mark.parametrize(
    ("gold", "where", "message"),
    [
        (None, "001-one.txt", "no gold file"),
        (
            "kind: case_report\nstyle: s\nsituation: s\npatients: [{summary: {sex: man}}]\n",
            "001-one.gold.yaml",
            "patients[0].summary.sex",
        ),
        ("kind: memo\nstyle: s\nsituation: s\n", "001-one.gold.yaml", "kind"),
        (
            "kind: cohort\nstyle: s\nsituation: s\npatients: []\n",
            "001-one.gold.yaml",
            "cohort block",
        ),
        (
            "kind: case_report\nstyle: s\nsituation: s\ncolour: red\npatients: [{summary: {}}]\n",
            "001-one.gold.yaml",
            "unknown key 'colour'",
        ),
        (
            "kind: case_report\nstyle: s\nsituation: s\npatients: [{summary: {}}, {summary: {}}]\n",
            "001-one.gold.yaml",
            "exactly one patient",
        ),
        ("kind: [unclosed\n", "001-one.gold.yaml", "not valid YAML"),
        (
            "kind: cohort\nstyle: s\nsituation: s\ncohort: {n_patients: ten}\n",
            "001-one.gold.yaml",
            "cohort.n_patients",
        ),
    ],
)
def test_a_bad_gold_is_reported_with_file_and_field(tmp_path, gold, where, message):
    make(tmp_path, "dev", "001-one", gold=gold)
    (tmp_path / "heldout").mkdir()
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    text = str(caught.value)
    assert where in text and message in text


def test_a_text_in_both_splits_is_refused(tmp_path):
    make(tmp_path, "dev", "001-one", "The same report.")
    make(tmp_path, "heldout", "002-two", "The  same\nreport.")
    with pytest.raises(CorpusError, match="the same text as"):
        load_corpus(tmp_path)


def test_bad_names_and_orphans_are_refused(tmp_path):
    make(tmp_path, "dev", "1-short")
    (tmp_path / "heldout").mkdir()
    (tmp_path / "heldout" / "005-lost.gold.yaml").write_text(GOLD_OK)
    with pytest.raises(CorpusError) as caught:
        load_corpus(tmp_path)
    text = str(caught.value)
    assert "NNN-slug.txt" in text and "a gold file without its text" in text


def test_a_missing_folder_is_said_so(tmp_path):
    with pytest.raises(CorpusError, match="no corpus folder"):
        load_corpus(tmp_path / "nowhere")
