"""What changed between two versions of a stored document: field by field, and as a YAML diff.

Generic over JSON documents (no clinical meaning): the version-history view of the pages and
``GET /api/cases/{id}/diff`` both use :func:`version_diff`.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from remission.api import export_document
from remission.exceptions import InputError
from remission.store import Store

__all__ = ["FieldChange", "VersionDiff", "field_changes", "version_diff"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True)
class VersionDiff:
    id: str
    from_version: int
    to_version: int
    changes: list[FieldChange]
    unified: str


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Every leaf-level difference between two JSON values, in document order. Lists of events
    are compared by position, except that items carrying an ``id`` are matched by it."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            sub = _join(path, key)
            if key not in after:
                out.append(FieldChange(sub, "removed", before=before[key]))
            elif key not in before:
                out.append(FieldChange(sub, "added", after=after[key]))
            else:
                out.extend(field_changes(before[key], after[key], sub))
        return out
    if isinstance(before, list) and isinstance(after, list):
        if _by_id(before) and _by_id(after):
            return _list_by_id(before, after, path)
        out = []
        for i in range(max(len(before), len(after))):
            sub = _join(path, i)
            if i >= len(after):
                out.append(FieldChange(sub, "removed", before=before[i]))
            elif i >= len(before):
                out.append(FieldChange(sub, "added", after=after[i]))
            else:
                out.extend(field_changes(before[i], after[i], sub))
        return out
    if before != after or type(before) is not type(after):
        return [FieldChange(path or "(document)", "changed", before=before, after=after)]
    return []


def _by_id(items: list[Any]) -> bool:
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    return (
        len(ids) == len(items)
        and all(isinstance(i, str) for i in ids)
        and len(set(ids)) == len(ids)
    )


def _list_by_id(before: list[Any], after: list[Any], path: str) -> list[FieldChange]:
    old = {item["id"]: (n, item) for n, item in enumerate(before)}
    new = {item["id"]: (n, item) for n, item in enumerate(after)}
    out: list[FieldChange] = []
    for key, (n, item) in old.items():
        if key not in new:
            out.append(FieldChange(f"{path}[{n}] ({key})", "removed", before=item))
    for key, (n, item) in new.items():
        if key not in old:
            out.append(FieldChange(f"{path}[{n}] ({key})", "added", after=item))
        else:
            out.extend(field_changes(old[key][1], item, f"{path}[{n}] ({key})"))
    return out


def _yaml(store: Store, doc_id: str, version: int, document: dict[str, Any]) -> str:
    """The version as its case file reads; as stored if it no longer validates."""
    try:
        return export_document(store, doc_id, version)
    except InputError:
        return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def version_diff(store: Store, doc_id: str, from_version: int, to_version: int) -> VersionDiff:
    """The changes from one stored version to another (any order; both must exist)."""
    before = store.get(doc_id, from_version)
    after = store.get(doc_id, to_version)
    changes = field_changes(before.document, after.document)
    old_yaml = _yaml(store, doc_id, from_version, before.document).splitlines(keepends=True)
    new_yaml = _yaml(store, doc_id, to_version, after.document).splitlines(keepends=True)
    unified = "".join(
        difflib.unified_diff(
            old_yaml,
            new_yaml,
            fromfile=f"{doc_id} version {from_version}",
            tofile=f"{doc_id} version {to_version}",
        )
    )
    return VersionDiff(doc_id, from_version, to_version, changes, unified)
