"""Listing reads the current state from the head table: filters, search, paging, summaries."""

from __future__ import annotations

import pytest

from remission.store import RecordIn, Store

from .conftest import MakeRecord


@pytest.fixture
def filled(store: Store, make_record: MakeRecord) -> Store:
    records = [
        make_record(
            f"pt-{i:03d}", age=20 + i, agent="brexucabtagene" if i % 3 else "tisagenlecleucel"
        )
        for i in range(1, 13)
    ]
    records.append(make_record("pt-draft", status="draft", agent="obecabtagene"))
    records.append(
        RecordIn("cohort-2024", "cohort", {"n": 12}, {"n_patients": 12, "label": "Centre 50%_A"})
    )
    store.save_many(records, author="ana", reason="import")
    return store


def test_list_gives_current_rows_ordered_by_id(filled: Store, make_record: MakeRecord) -> None:
    filled.save(make_record("pt-002", age=99), author="ben", reason="edit")
    rows = filled.list()

    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert len(rows) == 14
    row = next(r for r in rows if r.id == "pt-002")
    assert (row.kind, row.status, row.version, row.summary["age_years"]) == ("case", "final", 2, 99)
    assert row.updated_at == filled.get("pt-002").created_at


def test_list_filters_by_kind_and_status(filled: Store) -> None:
    assert [r.id for r in filled.list("cohort")] == ["cohort-2024"]
    assert len(filled.list("case")) == 13
    assert [r.id for r in filled.list(status="draft")] == ["pt-draft"]
    assert len(filled.list("case", status="final")) == 12


def test_limit_and_offset_page_through_everything_once(filled: Store) -> None:
    pages = [filled.list(limit=5, offset=start) for start in range(0, 15, 5)]
    assert [len(p) for p in pages] == [5, 5, 4]
    assert [r.id for page in pages for r in page] == [r.id for r in filled.list()]
    assert filled.list(limit=0) == []
    assert filled.list(offset=100) == []


def test_negative_paging_is_refused(filled: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        filled.list(limit=-1)
    with pytest.raises(ValueError, match="offset"):
        filled.list(offset=-5)


def test_search_matches_id_and_summary_values_case_insensitively(filled: Store) -> None:
    assert [r.id for r in filled.list(search="PT-00")] == [f"pt-00{i}" for i in range(1, 10)]
    tisa = [r.id for r in filled.list(search="Tisagen")]
    assert tisa == ["pt-003", "pt-006", "pt-009", "pt-012"]
    assert [r.id for r in filled.list(search="obecabtagene")] == ["pt-draft"]
    assert [r.id for r in filled.list(search="32")] == ["pt-012"]  # age_years 32


def test_search_words_must_all_match(filled: Store) -> None:
    assert [r.id for r in filled.list(search="tisagenlecleucel pt-01")] == ["pt-012"]
    assert filled.list(search="tisagenlecleucel obecabtagene") == []


def test_search_treats_wildcards_literally(filled: Store) -> None:
    assert [r.id for r in filled.list(search="50%_a")] == ["cohort-2024"]
    assert filled.list(search="%") == [r for r in filled.list() if r.id == "cohort-2024"]
    assert filled.list(search="pt_0") == []


def test_search_folds_unicode_case(store: Store) -> None:
    store.save(RecordIn("k1", "case", {}, {"centre": "Straße Klinik"}), author="a", reason="r")
    store.save(RecordIn("k2", "case", {}, {"centre": "ÉCOLE"}), author="a", reason="r")
    assert [r.id for r in store.list(search="STRASSE")] == ["k1"]
    assert [r.id for r in store.list(search="école")] == ["k2"]


def test_search_and_paging_combine(filled: Store) -> None:
    assert [r.id for r in filled.list("case", search="brexu", limit=2, offset=1)] == [
        "pt-002",
        "pt-004",
    ]


def test_summaries_are_the_current_summaries_in_id_order(filled: Store) -> None:
    summaries = filled.summaries()
    assert summaries == [r.summary for r in filled.list()]
    assert filled.summaries("cohort") == [{"n_patients": 12, "label": "Centre 50%_A"}]
    assert len(filled.summaries("case", status="final")) == 12


def test_count_ids_and_existing(filled: Store) -> None:
    assert filled.count() == 14
    assert filled.count("cohort") == 1
    assert filled.count("case", status="draft") == 1
    assert filled.ids("cohort") == ["cohort-2024"]
    assert filled.ids()[:2] == ["cohort-2024", "pt-001"]
    assert filled.existing(["pt-001", "pt-999", "cohort-2024", "pt-001"]) == {
        "pt-001",
        "cohort-2024",
    }
    assert filled.existing([]) == set()


def test_existing_handles_many_ids(store: Store) -> None:
    store.save_many(
        [RecordIn(f"r{i:05d}", "case", {}) for i in range(0, 1400, 2)], author="a", reason="r"
    )
    asked = [f"r{i:05d}" for i in range(1400)]
    assert store.existing(asked) == {f"r{i:05d}" for i in range(0, 1400, 2)}


def test_an_unknown_kind_filter_is_refused(filled: Store) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        filled.list("patient")  # type: ignore[arg-type]


def test_documents_reads_every_current_document_in_one_pass(store, make_record):
    store.save_many([make_record("b"), make_record("a"), make_record("c", kind="cohort")], author="t", reason="r")
    edited = make_record("a", note="second version")
    store.save(edited, author="t", reason="edit")
    got = dict(store.documents())
    assert list(got) == ["a", "b", "c"]
    assert got["a"] == edited.document  # the current version, not the first
    assert [i for i, _ in store.documents("cohort")] == ["c"]
