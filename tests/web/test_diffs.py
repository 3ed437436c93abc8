"""Version diffs name every changed value by its path; events are matched by their id."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from remission.web.diffs import FieldChange, field_changes

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=15,
)


@given(json_values)
def test_a_value_has_no_changes_from_itself(value: Any) -> None:
    assert field_changes(value, value) == []


@given(st.dictionaries(st.text(min_size=1, max_size=4), json_values, min_size=1, max_size=4))
def test_adding_a_field_is_one_change(document: dict[str, Any]) -> None:
    changed = {**document, "a-new-key": 1}  # longer than any generated key
    assert field_changes(document, changed) == [FieldChange("a-new-key", "added", after=1)]


def test_a_changed_leaf_is_named_by_its_path() -> None:
    before = {"patient": {"sex": "male", "age": {"value": 28}}, "index": ["car1"]}
    after = {"patient": {"sex": "female", "age": {"value": 28}}, "index": ["car1", "car2"]}
    assert field_changes(before, after) == [
        FieldChange("patient.sex", "changed", "male", "female"),
        FieldChange("index[1]", "added", after="car2"),
    ]


def test_events_are_matched_by_id_not_position() -> None:
    before = {"timeline": [{"id": "dx", "date": "2016"}, {"id": "car1", "day": 0}]}
    after = {"timeline": [{"id": "rel1", "date": "2017"}, {"id": "dx", "date": "2016"},
                          {"id": "car1", "day": 0}]}  # fmt: skip
    assert field_changes(before, after) == [
        FieldChange("timeline[0] (rel1)", "added", after={"id": "rel1", "date": "2017"})
    ]


def test_a_type_change_is_a_change() -> None:
    assert field_changes({"grade": 1}, {"grade": True}) == [
        FieldChange("grade", "changed", 1, True)
    ]
