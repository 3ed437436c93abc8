"""A batch is one transaction: every record is saved, or none is and the store is as it was."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from remission.exceptions import DuplicateIdError, StoreError, VersionConflictError
from remission.store import RecordIn, SaveResult, Store
from remission.store.schema import records

from .conftest import MakeRecord


def _snapshot(store: Store) -> dict[str, Any]:
    """Everything observable about the store's contents."""
    return {
        "rows": [
            (r.id, r.kind, r.status, r.version, r.updated_at, r.summary) for r in store.list()
        ],
        "histories": {i: store.history(i) for i in store.ids()},
        "documents": {i: store.get(i).document for i in store.ids()},
    }


@pytest.fixture
def populated(store: Store, make_record: MakeRecord) -> Store:
    store.save_many(
        [make_record("pt-001", age=30), make_record("pt-002", age=40)],
        author="ana",
        reason="first import",
    )
    return store


def test_a_batch_saves_everything_in_order(store: Store, make_record: MakeRecord) -> None:
    results = store.save_many(
        [make_record(f"pt-{i:03d}") for i in (3, 1, 2)], author="ana", reason="import"
    )
    assert [(r.id, r.version, r.unchanged) for r in results] == [
        ("pt-003", 1, False),
        ("pt-001", 1, False),
        ("pt-002", 1, False),
    ]
    assert store.ids() == ["pt-001", "pt-002", "pt-003"]
    times = {store.get(i).created_at for i in store.ids()}
    assert len(times) == 1  # one batch, one moment


def test_a_mixed_batch_reports_new_changed_and_unchanged(
    populated: Store, make_record: MakeRecord
) -> None:
    results = populated.save_many(
        [
            make_record("pt-001", age=30),  # as stored
            make_record("pt-002", age=41),  # edited
            make_record("pt-003"),  # new
        ],
        author="ben",
        reason="second import",
    )
    assert [(r.id, r.version, r.unchanged) for r in results] == [
        ("pt-001", 1, True),
        ("pt-002", 2, False),
        ("pt-003", 1, False),
    ]


def test_importing_the_same_batch_twice_changes_nothing(
    populated: Store, make_record: MakeRecord
) -> None:
    before = _snapshot(populated)
    results = populated.save_many(
        [make_record("pt-001", age=30), make_record("pt-002", age=40)],
        author="ana",
        reason="first import, again",
    )
    assert all(r.unchanged for r in results)
    assert _snapshot(populated) == before


def test_an_empty_batch_does_nothing(store: Store) -> None:
    assert store.save_many([], author="ana", reason="nothing") == []
    assert store.count() == 0


def test_a_document_that_is_not_json_stores_nothing(
    populated: Store, make_record: MakeRecord
) -> None:
    before = _snapshot(populated)
    batch = [
        make_record("pt-001", age=31),  # an edit that must not happen
        make_record("pt-003"),  # a new record that must not appear
        make_record("pt-004", diagnosed=date(2016, 11, 3)),  # not JSON
    ]
    with pytest.raises(StoreError, match=r"record 3 \('pt-004'\).*not JSON-serialisable"):
        populated.save_many(batch, author="ben", reason="bad import")
    assert _snapshot(populated) == before


def test_nan_is_not_json(store: Store) -> None:
    with pytest.raises(StoreError, match="summary is not JSON-serialisable"):
        store.save(RecordIn("c", "cohort", {}, {"median": float("nan")}), author="a", reason="r")
    assert store.count() == 0


def test_a_duplicate_id_inside_a_batch_stores_nothing(
    populated: Store, make_record: MakeRecord
) -> None:
    before = _snapshot(populated)
    batch = [make_record("pt-003"), make_record("pt-001", age=50), make_record("pt-003", age=9)]
    with pytest.raises(DuplicateIdError, match=r"'pt-003' occurs twice.*records 1 and 3"):
        populated.save_many(batch, author="ben", reason="bad import")
    assert _snapshot(populated) == before


class _ConnectionLost(Exception):
    pass


def test_a_failure_midway_through_the_transaction_rolls_everything_back(
    populated: Store, make_record: MakeRecord
) -> None:
    """New heads and versions are already written when the head update fails: all undone."""
    before = _snapshot(populated)

    def fail_on_head_update(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE RECORDS"):
            raise _ConnectionLost("the connection dropped")

    event.listen(populated.engine, "before_cursor_execute", fail_on_head_update)
    try:
        with pytest.raises(_ConnectionLost):
            populated.save_many(
                [make_record("pt-003"), make_record("pt-001", age=31)],
                author="ben",
                reason="interrupted import",
            )
    finally:
        event.remove(populated.engine, "before_cursor_execute", fail_on_head_update)

    assert _snapshot(populated) == before
    assert populated.save(make_record("pt-003"), author="ben", reason="retry").version == 1


def test_a_stale_edit_is_refused_not_overwritten(populated: Store, make_record: MakeRecord) -> None:
    opened_by_ana = populated.get("pt-001")
    opened_by_ben = populated.get("pt-001")
    populated.save(
        make_record("pt-001", age=31),
        author="ana",
        reason="age corrected",
        expected_version=opened_by_ana.current_version,
    )

    with pytest.raises(
        VersionConflictError, match=r"you edited version 1, the store now has version 2"
    ):
        populated.save(
            make_record("pt-001", age=32),
            author="ben",
            reason="age corrected too",
            expected_version=opened_by_ben.current_version,
        )
    assert populated.get("pt-001").document["patient"]["age_years"] == 31
    assert len(populated.history("pt-001")) == 2


def test_expected_version_zero_means_must_be_new(populated: Store, make_record: MakeRecord) -> None:
    assert (
        populated.save(
            make_record("pt-003"), author="ana", reason="new", expected_version=0
        ).version
        == 1
    )
    with pytest.raises(VersionConflictError, match="already exists"):
        populated.save(make_record("pt-001", age=1), author="a", reason="r", expected_version=0)
    with pytest.raises(VersionConflictError, match="is not in the store"):
        populated.save(make_record("pt-009"), author="a", reason="r", expected_version=3)
    assert populated.count() == 3


def test_a_batch_can_edit_many_existing_records_at_once(
    store: Store, make_record: MakeRecord
) -> None:
    store.save_many([make_record(f"pt-{i}", age=i) for i in range(5)], author="a", reason="v1")
    results = store.save_many(
        [make_record(f"pt-{i}", age=i + 50) for i in range(5)], author="b", reason="v2"
    )
    assert [(r.version, r.unchanged) for r in results] == [(2, False)] * 5
    assert [r.summary["age_years"] for r in store.list()] == [50, 51, 52, 53, 54]
    assert [store.get(f"pt-{i}", 1).summary["age_years"] for i in range(5)] == [0, 1, 2, 3, 4]


def _wait_until_a_lock_is_awaited(store: Store) -> None:
    deadline = time.monotonic() + 20
    with store.engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            if waiting.scalar_one():
                return
            watcher.rollback()
            time.sleep(0.02)
    raise AssertionError("the second save never waited for the first writer")


@pytest.mark.postgres
def test_two_writers_creating_the_same_id_at_once_conflict(
    pg_database_url: str, make_record: MakeRecord
) -> None:
    """Another writer's uncommitted new record: our save waits, then is refused, not merged."""
    with Store(pg_database_url) as store:
        other = store.engine.connect()
        other_transaction = other.begin()
        other.execute(
            records.insert().values(
                id="pt-001",
                kind="case",
                status="final",
                current_version=1,
                content_hash="0" * 64,
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
                summary={},
                search_text="pt-001",
            )
        )
        outcome: list[BaseException | SaveResult] = []

        def save() -> None:
            try:
                outcome.append(store.save(make_record("pt-001"), author="b", reason="r"))
            except BaseException as e:
                outcome.append(e)

        writer = threading.Thread(target=save)
        writer.start()
        _wait_until_a_lock_is_awaited(store)
        other_transaction.commit()
        other.close()
        writer.join(timeout=30)

        (result,) = outcome
        assert isinstance(result, VersionConflictError)
        assert "at the same moment" in str(result)
        assert store.count() == 1
