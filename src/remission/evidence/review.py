"""Review of a draft: accept, edit or reject each extracted value, then finalise (issue 6, item 3).

Every decision is kept on the value (status, reviewer, time, note, and the extractor's proposal
when edited), and an edit or a rejection changes the case itself: the draft's summary is changed
at that field and its timeline rebuilt from it (:mod:`remission.evidence.draft`), so what the draft
says is always what its accepted values say. A finalised draft is an ordinary case
(``status: final``) that keeps its extraction block as the record of how it was made.

Field paths (:mod:`remission.model.evidence`): a summary field (``crs_max_grade``), an element of a
list field (``extramedullary_sites[1]``), an index-therapy row or one of its attributes
(``index_therapies[0]``, ``index_therapies[0].agent``). Values on other paths (timeline event
attributes) can be accepted; to change them, edit the case file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from remission.evidence.draft import assemble_case, hints_from_case
from remission.exceptions import DraftPendingError, Problem, ReviewError
from remission.model import Case, CaseSummary, ExtractedValue, Extraction
from remission.rules.summary import summarize

__all__ = ["ACTIONS", "Action", "accept_all", "decide", "finalize", "pending_fields"]

Action = Literal["accept", "edit", "reject"]
ACTIONS: tuple[str, ...] = ("accept", "edit", "reject")
_STATUS = {"accept": "accepted", "edit": "edited", "reject": "rejected"}
_PATH = re.compile(r"^(?P<root>[a-z_]+)(?:\[(?P<key>[^\]]+)\])?(?:\.(?P<attr>[a-z_]+))?$")
_ROWS = "index_therapies"


@dataclass(frozen=True)
class _Path:
    root: str
    index: int | None
    attr: str | None

    @property
    def in_summary(self) -> bool:
        return self.root in CaseSummary.model_fields or self.root == _ROWS


def _parse(field: str) -> _Path | None:
    m = _PATH.match(field)
    if m is None or m.group("root") not in CaseSummary.model_fields:
        return None
    key = m.group("key")
    if key is not None and not key.isdigit():
        return None
    return _Path(m.group("root"), int(key) if key is not None else None, m.group("attr"))


def _where(case: Case) -> str:
    return f"draft {case.id!r}"


def _check_draft(case: Case) -> Extraction:
    if case.status != "draft" or case.extraction is None:
        raise ReviewError(
            Problem(
                "only drafts are reviewed: this case is final"
                if case.status != "draft"
                else "this draft has no extracted values to review",
                _where(case),
            )
        )
    return case.extraction


def _check_reviewer(reviewer: str, case: Case) -> str:
    reviewer = (reviewer or "").strip()
    if not reviewer or len(reviewer) > 200:
        raise ReviewError(Problem("a reviewer (1-200 characters) is required", _where(case)))
    return reviewer


def pending_fields(case: Case) -> list[str]:
    """The fields of a draft whose values nobody has decided on yet."""
    if case.extraction is None:
        return []
    return [v.field for v in case.extraction.values if v.status == "pending"]


def _rejected_rows(values: Sequence[ExtractedValue]) -> set[int]:
    out = set()
    for v in values:
        p = _parse(v.field)
        if (
            p is not None
            and p.root == _ROWS
            and p.index is not None
            and p.attr in (None, "class")
            and v.status == "rejected"
        ):
            out.add(p.index)
    return out


def _row_position(values: Sequence[ExtractedValue], index: int) -> int | None:
    """Where the extractor's row ``index`` now stands, rows rejected before it taken out."""
    removed = _rejected_rows(values)
    if index in removed:
        return None
    return index - sum(1 for k in removed if k < index)


def _default(root: str) -> Any:
    return [] if isinstance(CaseSummary.model_fields[root].default_factory, type) else None


def _changed_summary(
    current: dict[str, Any],
    path: _Path,
    before: Sequence[ExtractedValue],
    after: Sequence[ExtractedValue],
    old: Any,
    new: Any,
    action: Action,
    case: Case,
    field: str,
) -> dict[str, Any]:
    """The draft's summary with one decision applied (a copy)."""
    data = {k: (list(v) if isinstance(v, list) else v) for k, v in current.items()}
    data[_ROWS] = [dict(r) for r in data[_ROWS]]
    root = path.root
    if path.index is None:
        data[root] = _default(root) if action == "reject" else new
        return data
    if root != _ROWS:
        items = list(data[root])
        if old in items:
            items.remove(old)
        if action != "reject" and new not in items:
            items.append(new)
        data[root] = items
        return data
    rows = data[_ROWS]
    was = _row_position(before, path.index)
    now = _row_position(after, path.index)
    if path.attr is None or path.attr == "class":
        if was is not None and was < len(rows):
            if action == "reject":
                rows.pop(was)
            elif path.attr is None:
                rows[was] = new if isinstance(new, dict) else rows[was]
            else:
                rows[was]["class"] = new
        elif action != "reject" and now is not None:
            row = new if isinstance(new, dict) else {"class": new}
            rows.insert(min(now, len(rows)), row)
        return data
    if (was is None or was >= len(rows)) and action != "edit":
        return data  # a decision on part of a rejected row changes nothing
    if was is None or was >= len(rows):
        raise ReviewError(
            Problem(
                "this therapy row was rejected; accept its class (or the row) first",
                _where(case),
                field=field,
            )
        )
    rows[was][path.attr] = (
        ([] if path.attr == "costimulatory" else None) if action == "reject" else new
    )
    return data


def decide(
    case: Case,
    field: str,
    action: Action,
    *,
    value: Any = None,
    reviewer: str,
    note: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Record a reviewer's decision on one extracted value and change the draft to match.

    ``accept`` keeps the value (or restores one rejected before); ``edit`` replaces it with
    ``value`` (the extractor's proposal is kept in ``extracted``); ``reject`` removes it from the
    case. Raises :class:`ReviewError` (the draft unchanged) for an unknown field, an action not in
    :data:`ACTIONS`, or an edited value the summary does not accept.
    """
    extraction = _check_draft(case)
    reviewer = _check_reviewer(reviewer, case)
    if action not in ACTIONS:
        raise ReviewError(
            Problem(f"unknown action {action!r}; use accept, edit or reject", _where(case))
        )
    matches = [i for i, v in enumerate(extraction.values) if v.field == field]
    if not matches:
        known = ", ".join(v.field for v in extraction.values) or "none"
        raise ReviewError(
            Problem(f"this draft has no value {field!r} (its values: {known})", _where(case))
        )
    if action == "edit" and value is None:
        raise ReviewError(
            Problem(
                "an edit needs the new value (to remove a value, reject it)",
                _where(case),
                field=field,
            )
        )
    when = now or datetime.now(UTC)
    values = list(extraction.values)
    first = values[matches[0]]
    old = first.value
    new = value if action == "edit" else first.value
    for i in matches:
        v = values[i]
        update: dict[str, Any] = {
            "status": _STATUS[action],
            "reviewer": reviewer,
            "reviewed_at": when,
            "note": note,
        }
        if action == "edit":
            update["value"] = value
            update["extracted"] = v.extracted if v.status == "edited" else v.value
        values[i] = v.model_copy(update=update)
    new_extraction = extraction.model_copy(update={"values": tuple(values)})
    base = {
        **case.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            exclude={"patient", "diagnosis", "index", "timeline", "notes", "extraction"},
        ),
        "extraction": new_extraction,
    }
    path = _parse(field)
    if path is None:
        if action != "accept":
            raise ReviewError(
                Problem(
                    "this value is not a summary field; accept it here and change it in the case "
                    "file",
                    _where(case),
                    field=field,
                )
            )
        return _with(case, extraction=new_extraction)
    current = summarize(case).model_dump(by_alias=True)
    data = _changed_summary(current, path, extraction.values, values, old, new, action, case, field)
    try:
        summary = CaseSummary.model_validate(data)
    except ValidationError as exc:
        messages = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ReviewError(
            Problem(f"the value {value!r} is not accepted ({messages})", _where(case), field=field)
        ) from None
    return assemble_case(base, summary, hints_from_case(case))


def accept_all(case: Case, *, reviewer: str, note: str | None = None) -> Case:
    """Accept every value still pending (the ones already decided keep their decision)."""
    for field in dict.fromkeys(pending_fields(case)):
        case = decide(case, field, "accept", reviewer=reviewer, note=note)
    return case


def finalize(case: Case, *, reviewer: str, now: datetime | None = None) -> Case:
    """The reviewed draft as a final case, or :class:`DraftPendingError` listing pending values.

    The extraction block stays with the case (text, evidence and every decision); the case
    imports and analyses like any other.
    """
    _check_draft(case)
    reviewer = _check_reviewer(reviewer, case)
    pending = pending_fields(case)
    if pending:
        raise DraftPendingError(
            [
                Problem("still pending review: accept, edit or reject it", _where(case), field=f)
                for f in pending
            ]
        )
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    line = f"Reviewed and finalised by {reviewer} on {when}."
    notes = f"{case.notes}\n{line}" if case.notes else line
    return _with(case, status="final", notes=notes[-20_000:])


def _with(case: Case, **changes: Any) -> Case:
    """A validated copy of the case with some top-level fields changed."""
    data = case.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key, value in changes.items():
        data[key] = (
            value.model_dump(mode="json", exclude_none=True)
            if hasattr(value, "model_dump")
            else value
        )
    return Case.model_validate(data)
