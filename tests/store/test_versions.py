"""Every save is a new, immutable version with who, when and why; any version can be read back."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from remission.exceptions import CaseNotFoundError, StoreError
from remission.store import RecordIn, Store

from .conftest import MakeRecord


def test_first_save_is_version_1_with_author_time_and_reason(
    store: Store, make_record: MakeRecord
) -> None:
    before = datetime.now(UTC)
    result = store.save(make_record("pt-001"), author="ana", reason="import cases/pt-001.yaml")
    after = datetime.now(UTC)

    assert (result.id, result.version, result.unchanged) == ("pt-001", 1, False)
    stored = store.get("pt-001")
    assert stored.version == stored.current_version == 1
    assert stored.author == "ana"
    assert stored.reason == "import cases/pt-001.yaml"
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stored.created_at <= after + timedelta(seconds=1)


def test_an_edit_adds_a_version_and_keeps_the_old_one(
    store: Store, make_record: MakeRecord
) -> None:
    store.save(make_record("pt-001", age=34), author="ana", reason="import")
    result = store.save(make_record("pt-001", age=35), author="ben", reason="age corrected")

    assert result.version == 2 and not result.unchanged
    assert store.get("pt-001").document["patient"]["age_years"] == 35
    old = store.get("pt-001", version=1)
    assert old.document["patient"]["age_years"] == 34
    assert old.summary["age_years"] == 34
    assert old.author == "ana"
    assert (old.version, old.current_version, old.is_latest) == (1, 2, False)
    assert store.list()[0].summary["age_years"] == 35


def test_history_lists_every_version_oldest_first(store: Store, make_record: MakeRecord) -> None:
    store.save(make_record("pt-001", age=34), author="ana", reason="import")
    store.save(make_record("pt-001", age=35), author="ben", reason="age corrected")
    store.save(make_record("pt-001", age=35, status="draft"), author="cy", reason="reopened")

    history = store.history("pt-001")

    assert [v.version for v in history] == [1, 2, 3]
    assert [v.author for v in history] == ["ana", "ben", "cy"]
    assert [v.reason for v in history] == ["import", "age corrected", "reopened"]
    assert [v.status for v in history] == ["final", "final", "draft"]
    assert history[0].created_at <= history[1].created_at <= history[2].created_at
    assert history[1].content_hash == history[2].content_hash  # same document, new status
    assert history[0].content_hash != history[1].content_hash


def test_content_hash_is_sha256_of_canonical_json(store: Store, make_record: MakeRecord) -> None:
    record = make_record("pt-001")
    store.save(record, author="ana", reason="import")

    canonical = json.dumps(
        record.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert store.get("pt-001").content_hash == hashlib.sha256(canonical).hexdigest()


def test_saving_identical_content_creates_no_version(store: Store, make_record: MakeRecord) -> None:
    store.save(make_record("pt-001"), author="ana", reason="import")
    again = store.save(make_record("pt-001"), author="ben", reason="import again")

    assert (again.version, again.unchanged) == (1, True)
    assert len(store.history("pt-001")) == 1
    assert store.get("pt-001").author == "ana"


def test_key_order_alone_is_not_a_change(store: Store) -> None:
    store.save(RecordIn("c", "cohort", {"a": 1, "b": [1, 2]}, {"n": 2}), author="a", reason="r")
    again = store.save(
        RecordIn("c", "cohort", {"b": [1, 2], "a": 1}, {"n": 2}), author="a", reason="r"
    )
    assert again.unchanged


@pytest.mark.parametrize(
    "change",
    [
        {"status": "draft"},
        {"summary": {"age_years": 99}},
        {"document": {"different": True}},
    ],
    ids=["status", "summary", "document"],
)
def test_a_change_of_status_summary_or_document_is_a_new_version(
    store: Store, make_record: MakeRecord, change: dict[str, object]
) -> None:
    first = make_record("pt-001")
    store.save(first, author="ana", reason="import")
    fields = {
        "id": first.id,
        "kind": first.kind,
        "document": first.document,
        "summary": first.summary,
        "status": first.status,
        **change,
    }
    result = store.save(RecordIn(**fields), author="ana", reason="edit")  # type: ignore[arg-type]
    assert (result.version, result.unchanged) == (2, False)


def test_reading_a_version_that_does_not_exist_names_the_existing_ones(
    store: Store, make_record: MakeRecord
) -> None:
    store.save(make_record("pt-001", age=1), author="ana", reason="import")
    store.save(make_record("pt-001", age=2), author="ana", reason="edit")

    with pytest.raises(CaseNotFoundError, match=r"no version 5; it has versions 1 to 2"):
        store.get("pt-001", version=5)


def test_an_unknown_id_is_named_and_close_ids_suggested(
    store: Store, make_record: MakeRecord
) -> None:
    store.save(make_record("pt-001"), author="ana", reason="import")

    with pytest.raises(
        CaseNotFoundError, match=r"no record with id 'pt-01'.*did you mean 'pt-001'"
    ):
        store.get("pt-01")
    with pytest.raises(CaseNotFoundError, match="'nobody'"):
        store.history("nobody")


def test_an_id_cannot_change_kind(store: Store, make_record: MakeRecord) -> None:
    store.save(make_record("x"), author="ana", reason="import")
    with pytest.raises(StoreError, match="stored as a case; it cannot be saved as a cohort"):
        store.save(make_record("x", kind="cohort"), author="ana", reason="import")
    assert store.get("x").kind == "case"


def test_unicode_documents_and_ids_survive(store: Store) -> None:
    document = {
        "narrative": "Rechute médullaire et testiculaire; 再发; ЦНС-рецидив; 🧬",
        "quotes": "\"double\" and 'single' and \\ backslash",
        "nul": "a\x00b",
    }
    summary = {"site": "Hoden", "städte": ["Zürich", "Kraków"]}
    store.save(RecordIn("patient-ü-01", "case", document, summary), author="Zoë", reason="ünïcode")

    stored = store.get("patient-ü-01")
    assert stored.document == document
    assert stored.summary == summary
    assert stored.author == "Zoë"
    assert store.list()[0].id == "patient-ü-01"


@pytest.mark.parametrize(
    ("author", "reason", "message"),
    [("", "import", "non-empty author"), ("ana", "  ", "non-empty reason")],
)
def test_every_save_needs_an_author_and_a_reason(
    store: Store, make_record: MakeRecord, author: str, reason: str, message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.save(make_record("pt-001"), author=author, reason=reason)
    assert store.count() == 0


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (RecordIn("", "case", {}), "non-empty string"),
        (RecordIn(" pt", "case", {}), "spaces"),
        (RecordIn("a\nb", "case", {}), "control characters"),
        (RecordIn("x" * 201, "case", {}), "longer than 200"),
        (RecordIn("pt", "patient", {}), "kind must be one of case, cohort"),  # type: ignore[arg-type]
        (RecordIn("pt", "case", {}, status="done"), "status must be one of final, draft"),  # type: ignore[arg-type]
        (RecordIn("pt", "case", [1, 2]), "document must be a dict"),  # type: ignore[arg-type]
    ],
)
def test_malformed_records_are_refused_with_a_reason(
    store: Store, record: RecordIn, message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.save(record, author="ana", reason="import")
    assert store.count() == 0


def test_reopening_an_existing_store_finds_its_records(
    store_url: str, make_record: MakeRecord
) -> None:
    with Store(store_url) as first:
        first.save(make_record("pt-001", age=34), author="ana", reason="import")
        first.save(make_record("pt-001", age=35), author="ana", reason="edit")

    with Store(store_url) as again:
        assert again.get("pt-001").version == 2
        assert again.get("pt-001", 1).document["patient"]["age_years"] == 34
        assert again.save(make_record("pt-001", age=35), author="b", reason="r").unchanged


def test_a_closed_store_says_so(store_url: str) -> None:
    opened = Store(store_url)
    opened.close()
    opened.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="is closed"):
        opened.count()
