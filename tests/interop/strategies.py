"""Small random cases for property tests: dates at every precision, offsets, undated events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from remission.casefile import document_from_data
from remission.exceptions import CaseFileError
from remission.model import Case


@st.composite
def times(draw: st.DrawFn, ref: str | None) -> Any:
    """A time: a full, month or year date, an offset from ``ref``, or nothing."""
    kinds = ["day", "month", "year", "none"] + (["offset"] * 2 if ref else [])
    kind = draw(st.sampled_from(kinds))
    day = draw(st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2024, 12, 31)))
    if kind == "day":
        return day.isoformat()
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "year":
        return day.year
    if kind == "offset":
        return f"{ref}+{draw(st.integers(0, 400))}d"
    return None


@st.composite
def random_cases(draw: st.DrawFn) -> Case | None:
    """A course with a diagnosis, one or two CAR-T infusions, a toxicity, an assessment and a
    follow-up, dated at random precisions; None when the draw is chronologically impossible."""
    timeline: list[dict[str, Any]] = []
    cars = draw(st.integers(1, 2))
    for n in range(1, cars + 1):
        car: dict[str, Any] = {"id": f"car{n}", "type": "car_t_infusion"}
        when = draw(times(None))
        if when is not None:
            car["date"] = when
        timeline.append(car)
        timeline.append(
            {
                "id": f"crs{n}",
                "type": "toxicity",
                "syndrome": "crs",
                "after": f"car{n}",
                "onset": f"car{n}+{draw(st.integers(0, 10))}d",
                "grade": {"grade": draw(st.integers(0, 4)), "scale": "ASTCT 2019"},
            }
        )
        timeline.append(
            {
                "id": f"d28-{n}",
                "type": "disease_assessment",
                "date": f"car{n}+28d",
                "assesses": f"car{n}",
                "response": draw(st.sampled_from(["CR", "CRi", "NR", "PR"])),
            }
        )
    fu = {"id": "fu1", "type": "follow_up", "alive": draw(st.booleans())}
    when = draw(times(f"car{cars}"))
    if when is not None:
        fu["date"] = when
    timeline.append(fu)
    data: dict[str, Any] = {
        "schema_version": 1,
        "kind": "case",
        "id": "random-1",
        "patient": {"age": {"value": draw(st.integers(1, 99)), "at": "car1"}},
        "diagnosis": {"date": draw(times(None))} if draw(st.booleans()) else {},
        "timeline": timeline,
        "complete_history": draw(st.booleans()),
    }
    if not data["diagnosis"].get("date"):
        data["diagnosis"] = {}
    try:
        doc = document_from_data(data, "random.yaml")
    except CaseFileError:
        return None
    assert isinstance(doc, Case)
    return doc
