"""The shared extraction API: safe reading of texts, drafts in the store, review as versions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.evidence import api
from remission.evidence.draft import draft_cases
from remission.exceptions import (
    DraftPendingError,
    ExtractionError,
    ReviewError,
    VersionConflictError,
)
from remission.rules.summary import summarize

from .builders import FULL, TEXT, result_for


def write(tmp_path, data: bytes, name="r.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_utf8_with_or_without_bom_reads_as_is(tmp_path):
    assert api.read_report(write(tmp_path, TEXT.encode())).text == TEXT
    report = api.read_report(write(tmp_path, b"\xef\xbb\xbf" + TEXT.encode()))
    assert report.text == TEXT and report.warnings == ()


def test_windows_1252_is_read_with_a_warning(tmp_path):
    report = api.read_report(
        write(tmp_path, "Grade 2 CRS \u2013 na\u00efve T cells.".encode("cp1252"))
    )
    assert "\u2013" in report.text
    assert any("Windows-1252" in w for w in report.warnings)


def test_utf16_with_a_bom_is_read_with_a_warning(tmp_path):
    report = api.read_report(write(tmp_path, TEXT.encode("utf-16")))
    assert report.text == TEXT and any("UTF-16" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nothing.txt", "no such file"),
        (lambda p: p, "this is a folder"),
        (lambda p: write(p, b"%PDF-1.7\n\x00\x01binary"), "binary file"),
        (lambda p: write(p, b"x" * (api.MAX_TEXT_BYTES + 1)), "limited to 2.0 MB"),
    ],
)
def test_unreadable_files_are_named_with_their_problem(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(ExtractionError) as caught:
        api.read_report(path)
    (problem,) = caught.value.problems
    assert problem.where == str(path) and message in problem.message


def test_every_unreadable_file_is_listed_before_anything_is_extracted(tmp_path):
    good = write(tmp_path, TEXT.encode(), "good.txt")
    with pytest.raises(ExtractionError) as caught:
        api.read_reports([good, tmp_path / "a.txt", tmp_path / "b.txt"])
    assert [p.where for p in caught.value.problems] == [
        str(tmp_path / "a.txt"),
        str(tmp_path / "b.txt"),
    ]


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        (
            " ".join(["Leucemia linfoblástica aguda tratada con células CAR-T y blinatumomab"] * 5),
            "English",
        ),
    ],
)
def test_odd_texts_give_warnings(text, warning):
    assert any(warning in w for w in api.text_warnings(text))


def test_an_english_report_gives_no_warning():
    assert api.text_warnings(TEXT) == []


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_never_crash(tmp_path, data):
    try:
        report = api.read_report(write(tmp_path, data, "fuzz.txt"))
    except ExtractionError as exc:
        assert exc.problems and exc.problems[0].where
    else:
        assert isinstance(report.text, str)


def test_drafts_are_written_as_case_files(tmp_path):
    item = api.FileExtraction("r.txt", TEXT, result_for(FULL, file="r.txt"))
    docs = api.drafts_for(item, id_prefix="smith")
    (path,) = api.write_drafts(docs, tmp_path / "out")
    assert path.name == "smith.yaml"
    assert api.load_draft(path) == docs[0]


def test_review_in_the_store_saves_versions_and_refuses_stale_ones(store):
    (draft,) = draft_cases(result_for(FULL), TEXT, id_prefix="smith")
    api.save_drafts(store, [draft], author="extractor")
    case, saved = api.review_value(
        store, "smith", "crs_max_grade", "edit", value=3, reviewer="dr-a"
    )
    assert saved.version == 2 and summarize(case).crs_max_grade == 3
    assert store.history("smith")[-1].reason == "review: edit crs_max_grade"
    assert store.get("smith").summary["crs_max_grade"] == 3

    before = store.history("smith")
    with pytest.raises(VersionConflictError):
        api.review_value(store, "smith", "sex", "accept", reviewer="dr-b", expected_version=1)
    with pytest.raises(ReviewError):
        api.review_value(store, "smith", "crs_max_grade", "edit", value="worst", reviewer="dr-b")
    with pytest.raises(DraftPendingError):
        api.finalize_draft(store, "smith", reviewer="dr-b")
    assert store.history("smith") == before  # refused decisions leave the store as it was

    api.accept_all_values(store, "smith", reviewer="dr-b")
    final, saved = api.finalize_draft(store, "smith", reviewer="dr-b")
    record = store.get("smith")
    assert (record.status, record.version, final.status) == ("final", saved.version, "final")
    assert [v.reason for v in store.history("smith")][-2:] == [
        "review: accept all pending values",
        "review: finalize",
    ]
