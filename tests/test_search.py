"""Case filters: every filter keeps exactly the documents whose current summary matches, unknown
never matches, synonyms of an agent are one agent, and saves made by anyone are seen at once."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import event

from remission.api import import_files
from remission.examples import example_paths
from remission.search import (
    CHECK_EVERY,
    CaseFilter,
    documents_matching,
    matching_ids,
    search_cases,
)
from remission.store import RecordIn, Store


def _record(id: str, **summary: Any) -> RecordIn:
    return RecordIn(id=id, kind="case", document={"id": id}, summary=summary)


@pytest.fixture
def small(store: Store) -> Store:
    store.save_many(
        [
            _record(
                "a",
                ph_positive=True,
                crs_max_grade=3,
                cns_involvement=True,
                extramedullary_sites=["cns", "testis"],
                index_therapies=[{"class": "car_t", "agent": "tisagenlecleucel", "target": "CD19"}],
                response="CR",
                age_years=12.0,
            ),
            _record(
                "b",
                ph_positive=False,
                crs_max_grade=1,
                cns_involvement=False,
                index_therapies=[{"class": "bispecific", "agent": "blinatumomab"}],
                response="NR",
                age_years=40.0,
            ),
            _record("c", ph_positive=None, crs_max_grade=None, index_therapies=[]),
        ],
        author="t",
        reason="test",
    )
    return store


def _ids(store: Store, **filters: Any) -> list[str]:
    return [r.id for r in search_cases(store, CaseFilter(**filters)).items]


def test_no_filter_lists_everything_in_id_order(small: Store) -> None:
    page = search_cases(small)
    assert page.total == 3 and [r.id for r in page.items] == ["a", "b", "c"]


def test_each_filter_keeps_only_matching_known_values(small: Store) -> None:
    assert _ids(small, ph_positive=True) == ["a"]
    assert _ids(small, ph_positive=False) == ["b"]
    assert _ids(small, crs_min_grade=2) == ["a"]
    assert _ids(small, crs_min_grade=0) == ["a", "b"]  # unknown grade never matches
    assert _ids(small, cns_involvement=True) == ["a"]
    assert _ids(small, extramedullary_site="testis") == ["a"]
    assert _ids(small, therapy_class="bispecific") == ["b"]
    assert _ids(small, target="CD19") == ["a"]
    assert _ids(small, response="CR") == ["a"]
    assert _ids(small, age_min=18) == ["b"]
    assert _ids(small, ph_positive=True, therapy_class="bispecific") == []


def test_an_agent_is_found_by_any_of_its_names(small: Store) -> None:
    assert _ids(small, agent="tisagenlecleucel") == ["a"]
    assert _ids(small, agent="Kymriah") == ["a"]
    assert _ids(small, agent="blina") == ["b"]


def test_free_text_needs_every_word(small: Store) -> None:
    assert _ids(small, q="tisagenlecleucel") == ["a"]
    assert _ids(small, q="TISAGENLECLEUCEL cd19") == ["a"]
    assert _ids(small, q="tisagenlecleucel blinatumomab") == []


def test_sorting_puts_unknown_values_last(small: Store) -> None:
    assert _ids(small, sort="age") == ["a", "b", "c"]
    assert _ids(small, sort="-age") == ["b", "a", "c"]
    assert _ids(small, sort="-id") == ["c", "b", "a"]


def test_paging_keeps_the_total(small: Store) -> None:
    page = search_cases(small, CaseFilter(limit=1, offset=1))
    assert page.total == 3 and [r.id for r in page.items] == ["b"]


def test_a_save_through_another_store_is_seen_by_the_next_search(
    small: Store, store_url: str
) -> None:
    assert _ids(small, response="CR") == ["a"]
    with Store(store_url) as other:  # another Store of this process: seen at once
        other.save(_record("b", response="CR"), author="u", reason="edit")
        other.save(_record("d", response="CR"), author="u", reason="new")
    assert _ids(small, response="CR") == ["a", "b", "d"]
    assert search_cases(small).items[1].version == 2


def test_bad_filter_values_are_refused() -> None:
    for bad in ({"crs_min_grade": 6}, {"response": "great"}, {"limit": 0}, {"colour": "red"}):
        with pytest.raises(ValidationError):
            CaseFilter(**bad)


def test_the_filter_describes_itself() -> None:
    assert CaseFilter().describe() == "all stored documents" and CaseFilter().is_empty()
    text = CaseFilter(ph_positive=True, crs_min_grade=3).describe()
    assert "ph positive: True" in text and "crs min grade: 3" in text


def test_documents_matching_reads_the_filtered_cases(store: Store) -> None:
    import_files(store, example_paths(), reason="seeds")
    docs = documents_matching(store, CaseFilter(cns_involvement=True))
    expected = list(matching_ids(store, CaseFilter(cns_involvement=True)))
    assert docs and [d.id for d in docs] == expected


@settings(max_examples=40, deadline=None)
@given(
    grades=st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=1, max_size=12),
    minimum=st.integers(0, 5),
)
def test_grade_filter_agrees_with_a_plain_count(
    grades: list[int | None], minimum: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = f"sqlite:///{tmp_path_factory.mktemp('search') / 's.sqlite'}"
    with Store(url) as store:
        store.save_many(
            [_record(f"p{i:02d}", crs_max_grade=g) for i, g in enumerate(grades)],
            author="t",
            reason="t",
        )
        found = search_cases(store, CaseFilter(crs_min_grade=minimum, limit=500))
        assert found.total == sum(1 for g in grades if g is not None and g >= minimum)


def _statements(store: Store, action: Any) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_change_check_is_made_at_most_twice_a_second_without_writes(small: Store) -> None:
    _ids(small)
    assert _statements(small, lambda: _ids(small, response="CR")) == 0
    time.sleep(CHECK_EVERY + 0.05)
    assert _statements(small, lambda: _ids(small, response="CR")) >= 1


def test_a_save_by_another_process_is_seen_within_the_check_interval(
    small: Store, store_url: str
) -> None:
    assert _ids(small, response="CR") == ["a"]
    script = (
        "import sys\n"
        "from remission.store import RecordIn, Store\n"
        "with Store(sys.argv[1]) as s:\n"
        "    s.save(RecordIn(id='e', kind='case', document={'id': 'e'},"
        " summary={'response': 'CR'}), author='u', reason='new')\n"
    )
    subprocess.run([sys.executable, "-c", script, store_url], check=True, timeout=120)
    time.sleep(CHECK_EVERY + 0.05)
    assert _ids(small, response="CR") == ["a", "e"]
