"""Any JSON-able document comes back exactly as it was saved: values, types and key order."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.store import RecordIn, Store

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=40,
)
json_objects = st.dictionaries(st.text(max_size=20), json_values, max_size=8)

_ids = itertools.count()


def _exact(value: Any) -> str:
    """Spelling that tells 1 from 1.0 and -0.0 from 0.0 and keeps key order."""
    return json.dumps(value, ensure_ascii=False)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one store, fresh id per example
)
@given(document=json_objects, summary=json_objects)
def test_documents_and_summaries_round_trip_exactly(
    store: Store, document: dict[str, Any], summary: dict[str, Any]
) -> None:
    record_id = f"rt-{next(_ids)}"
    store.save(RecordIn(record_id, "case", document, summary), author="h", reason="round trip")

    stored = store.get(record_id)
    assert stored.document == document
    assert _exact(stored.document) == _exact(document)
    assert _exact(stored.summary) == _exact(summary)
    (row,) = [r for r in store.list(search=record_id) if r.id == record_id]
    assert _exact(row.summary) == _exact(summary)
    assert store.save(
        RecordIn(record_id, "case", document, summary), author="h", reason="again"
    ).unchanged
