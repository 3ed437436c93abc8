"""The report data kept beside a version: saved and read back as given, optional, derived data
that never makes a save count as a change, and checked like the document."""

from __future__ import annotations

import pytest

from remission.exceptions import StoreError
from remission.store import RecordIn, Store

from .conftest import MakeRecord

REPORT = {"stamp": "remission test", "patient_line": "female, 34 years", "episodes": [{"n": 1}]}


def _with_report(rec: RecordIn, report: object) -> RecordIn:
    return RecordIn(rec.id, rec.kind, rec.document, rec.summary, rec.status, report)  # type: ignore[arg-type]


def test_a_report_comes_back_as_it_was_saved(store: Store, make_record: MakeRecord) -> None:
    store.save(_with_report(make_record("pt-1"), REPORT), author="ana", reason="import")
    assert store.get("pt-1").report == REPORT


def test_a_record_saved_without_report_has_none(store: Store, make_record: MakeRecord) -> None:
    store.save(make_record("pt-2"), author="ana", reason="import")
    assert store.get("pt-2").report is None


def test_each_version_keeps_its_own_report(store: Store, make_record: MakeRecord) -> None:
    store.save(_with_report(make_record("pt-3", age=30), {"v": 1}), author="a", reason="r")
    store.save(_with_report(make_record("pt-3", age=31), {"v": 2}), author="a", reason="r")
    assert store.get("pt-3", 1).report == {"v": 1}
    assert store.get("pt-3").report == {"v": 2}


def test_a_new_report_alone_is_not_a_change(store: Store, make_record: MakeRecord) -> None:
    """The report is derived from the document: the same document is the same version."""
    store.save(_with_report(make_record("pt-4"), {"v": 1}), author="a", reason="r")
    result = store.save(_with_report(make_record("pt-4"), {"v": 2}), author="a", reason="r")
    assert result.unchanged and result.version == 1
    assert store.get("pt-4").report == {"v": 1}


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (["not", "a", "dict"], "the report must be a dict or None, not list"),
        ({"when": object()}, "the report is not JSON-serialisable"),
        ({"x": float("nan")}, "the report is not JSON-serialisable"),
    ],
)
def test_a_bad_report_is_refused_and_nothing_is_saved(
    store: Store, make_record: MakeRecord, report: object, message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.save(_with_report(make_record("pt-5"), report), author="a", reason="r")
    assert store.ids("case") == []


def test_report_data_can_be_replaced_in_place_without_a_new_version(
    store: Store, make_record: MakeRecord
) -> None:
    store.save(_with_report(make_record("pt-6", age=30), {"v": 1}), author="a", reason="r")
    store.save(_with_report(make_record("pt-6", age=31), {"v": 2}), author="a", reason="r")
    before = store.history("pt-6")
    assert store.reports() == {"pt-6": (2, {"v": 2})}
    assert store.set_reports({("pt-6", 1): {"v": "1b"}, ("pt-6", 2): {"v": "2b"}}) == 2
    assert store.history("pt-6") == before  # no version, same authors and times
    assert store.get("pt-6", 1).report == {"v": "1b"} and store.get("pt-6").report == {"v": "2b"}
    assert store.get("pt-6").document == make_record("pt-6", age=31).document


def test_replacing_report_data_refuses_what_is_not_json_and_changes_nothing(
    store: Store, make_record: MakeRecord
) -> None:
    store.save(_with_report(make_record("pt-7"), {"v": 1}), author="a", reason="r")
    with pytest.raises(StoreError, match="not JSON-serialisable"):
        store.set_reports({("pt-7", 1): {"v": 2}, ("pt-8", 1): {"x": float("inf")}})
    with pytest.raises(StoreError, match="must be a dict"):
        store.set_reports({("pt-7", 1): ["v"]})  # type: ignore[dict-item]
    assert store.get("pt-7").report == {"v": 1}
    assert store.set_reports({}) == 0
