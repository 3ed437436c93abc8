"""Small documents for store tests (the store does not care what they mean)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from remission.store import Kind, RecordIn, Status

MakeRecord = Callable[..., RecordIn]


def _record(
    id: str,
    *,
    kind: Kind = "case",
    status: Status = "final",
    age: float | None = 34,
    agent: str = "tisagenlecleucel",
    note: str = "",
    **extra: Any,
) -> RecordIn:
    document: dict[str, Any] = {
        "id": id,
        "patient": {"age_years": age, "sex": "female"},
        "timeline": [
            {"type": "diagnosis", "date": "2016-11"},
            {"type": "car_t_infusion", "day": 0, "product": agent},
        ],
        "note": note,
        **extra,
    }
    summary: dict[str, Any] = {
        "age_years": age,
        "sex": "female",
        "index_therapies": [{"class": "car_t", "agent": agent, "target": "CD19"}],
        "crs_max_grade": 2,
        "mrd_negative": True,
    }
    return RecordIn(id=id, kind=kind, document=document, summary=summary, status=status)


@pytest.fixture
def make_record() -> MakeRecord:
    """``make_record("pt-1", age=7, note="...")``: a small case-like record."""
    return _record
