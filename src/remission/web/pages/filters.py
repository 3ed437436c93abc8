"""The case filter form of the list and cohort pages, built from :class:`remission.search.CaseFilter`.

The form's inputs are the filter's own fields (their allowed values read from the model), so
the list page, the cohort page, the JSON API and the CLI filter by one definition. Query strings
are read back into a CaseFilter; a bad value is reported in words, never guessed.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin
from urllib.parse import urlencode

from pydantic import ValidationError

from remission.search import CaseFilter

__all__ = [
    "FILTER_LABELS",
    "FilterField",
    "describe_filters",
    "filter_fields",
    "filter_query",
    "parse_filter",
]

#: Words shown beside each filter (the field names are the query-string names).
FILTER_LABELS: dict[str, str] = {
    "q": "Search",
    "kind": "Kind",
    "status": "Status",
    "diagnosis": "Diagnosis",
    "ph_positive": "Ph-positive",
    "therapy_class": "Index therapy class",
    "agent": "Agent or product",
    "target": "Target",
    "cell_source": "Cell source",
    "response": "Best response",
    "mrd_negative": "MRD negative",
    "crs_min_grade": "CRS grade at least",
    "icans_min_grade": "ICANS grade at least",
    "cns_involvement": "CNS involvement",
    "extramedullary_site": "Extramedullary site",
    "prior_hsct": "HSCT before",
    "bridged_to_hsct": "Bridged to HSCT",
    "relapse_after": "Relapse after",
    "alive": "Alive at last follow-up",
    "age_min": "Age from (years)",
    "age_max": "Age to (years)",
    "sort": "Sort by",
}

#: Filters shown in the form (paging is handled by the pager links).
FORM_FIELDS = tuple(n for n in CaseFilter.model_fields if n not in ("q", "limit", "offset"))

#: The filters the issue names first (diagnosis features, therapy, response, toxicity grade,
#: CNS); the others sit under "More filters".
MAIN_FIELDS = frozenset(
    {
        "diagnosis",
        "ph_positive",
        "therapy_class",
        "agent",
        "response",
        "crs_min_grade",
        "icans_min_grade",
        "cns_involvement",
        "extramedullary_site",
        "status",
    }
)


@dataclass(frozen=True)
class FilterField:
    """One input of the filter form."""

    name: str
    label: str
    widget: Literal["select", "number", "text"]
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for selects
    value: str = ""

    @property
    def main(self) -> bool:
        """Shown at once (else under "More filters")."""
        return self.name in MAIN_FIELDS


def _plain(annotation: Any) -> list[Any]:
    """The types of an annotation with ``None`` removed (``X | None`` -> [X])."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [a for a in get_args(annotation) if a is not type(None)]
    return [annotation]


def _field(name: str, value: str) -> FilterField:
    info = CaseFilter.model_fields[name]
    label = FILTER_LABELS.get(name, name.replace("_", " "))
    kinds = _plain(info.annotation)
    kind = kinds[0] if len(kinds) == 1 else None
    any_option = ("", "any") if name != "sort" else None
    if get_origin(kind) is Literal:
        options = tuple((str(v), str(v).replace("_", " ")) for v in get_args(kind))
        return FilterField(
            name, label, "select", ((any_option,) if any_option else ()) + options, value
        )
    if kind is bool:
        return FilterField(
            name, label, "select", (("", "any"), ("true", "yes"), ("false", "no")), value
        )
    if kind is int and name.endswith("_grade"):
        options = tuple((str(g), f"≥ {g}") for g in range(1, 6))
        return FilterField(name, label, "select", (("", "any"), *options), value)
    if kind in (int, float):
        return FilterField(name, label, "number", (), value)
    return FilterField(name, label, "text", (), value)


def filter_fields(values: Mapping[str, str]) -> list[FilterField]:
    """The form's inputs with the values currently chosen."""
    return [_field(name, values.get(name, "")) for name in FORM_FIELDS]


def describe_filters(values: Mapping[str, str]) -> str:
    """The chosen filters in the form's words ("Ph-positive: yes; CRS grade at least: ≥ 3")."""
    parts = [f"search “{values['q']}”"] if values.get("q") else []
    for f in filter_fields(values):
        if f.value and f.name != "sort":
            shown = dict(f.options).get(f.value, f.value) if f.options else f.value
            parts.append(f"{f.label}: {shown}")
    return "; ".join(parts)


def parse_filter(
    params: Mapping[str, str], *, limit: int | None = None
) -> tuple[CaseFilter, dict[str, str], list[str]]:
    """A CaseFilter from query parameters: (filter, the values as given, problems in words).

    Empty inputs mean "any". A bad value drops that one filter and is reported, so the page
    still shows something and says what was ignored.
    """
    given = {
        k: v.strip()
        for k, v in params.items()
        if k in CaseFilter.model_fields and isinstance(v, str) and v.strip()
    }
    data: dict[str, Any] = dict(given)
    if limit is not None:
        data["limit"] = limit
    problems: list[str] = []
    try:
        return CaseFilter.model_validate(data), given, problems
    except ValidationError as exc:
        bad: set[str] = set()
        for err in exc.errors():
            name = str(err["loc"][0]) if err.get("loc") else "?"
            bad.add(name)
            shown = str(err.get("input", ""))[:60]
            problems.append(
                f"{FILTER_LABELS.get(name, name)}: {shown!r} is not accepted ({err['msg']}); "
                "this filter was ignored"
            )
        kept = {k: v for k, v in data.items() if k not in bad}
        try:
            return (
                CaseFilter.model_validate(kept),
                {k: v for k, v in given.items() if k not in bad},
                problems,
            )
        except ValidationError:
            return CaseFilter(), {}, problems


def filter_query(values: Mapping[str, str], **changes: Any) -> str:
    """The query string of the current filters with some values changed (for pager links)."""
    merged = {k: v for k, v in values.items() if v not in (None, "")}
    for k, v in changes.items():
        if v in (None, ""):
            merged.pop(k, None)
        else:
            merged[k] = str(v)
    return urlencode(merged)
