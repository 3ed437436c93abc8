"""Check a Bundle against the FHIR R4 (R4B) models of ``fhir.resources``.

``fhir.resources`` validates a Bundle's own elements but takes each entry's resource as given, so
every resource is validated with the model of its own ``resourceType`` as well. Problems are
located by entry index, resource type and id, and the JSON path of the element at fault.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from remission.exceptions import Problem

__all__ = ["bundle_problems", "entry_label", "resource_problems"]


def entry_label(index: int, resource: Any) -> str:
    """``entry[3] (Observation 5d1c...)``: how a problem names the entry it is about."""
    if isinstance(resource, Mapping):
        rtype = resource.get("resourceType", "resource")
        rid = resource.get("id")
        return (
            f"entry[{index}] ({rtype} {rid})"
            if isinstance(rid, str)
            else f"entry[{index}] ({rtype})"
        )
    return f"entry[{index}]"


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _errors(exc: ValidationError, where: str, prefix: str) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        path = _path(tuple(err.get("loc", ())))
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append(
            Problem(
                f"not valid FHIR R4: {msg}", where, None, f"{prefix}.{path}" if path else prefix
            )
        )
    return out


def resource_problems(resource: Mapping[str, Any], where: str, prefix: str) -> list[Problem]:
    """Problems of one resource against its FHIR R4 model (none when it is valid)."""
    from fhir.resources.R4B import get_fhir_model_class

    rtype = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(rtype))
    except (ValueError, KeyError):
        return [
            Problem(
                f"{rtype!r} is not a FHIR R4 resource type", where, None, f"{prefix}.resourceType"
            )
        ]
    try:
        model.model_validate(dict(resource))
    except ValidationError as exc:
        return _errors(exc, where, prefix)
    except (TypeError, ValueError, RecursionError) as exc:
        return [Problem(f"not valid FHIR R4: {exc}", where, None, prefix)]
    return []


def bundle_problems(
    bundle: Mapping[str, Any], where: str = "<bundle>", *, types: Collection[str] | None = None
) -> list[Problem]:
    """Every problem of a Bundle and of its entries' resources (only ``types``, if given)."""
    from fhir.resources.R4B.bundle import Bundle

    shell = {k: v for k, v in bundle.items() if k != "entry"}
    problems: list[Problem] = []
    try:
        Bundle.model_validate(shell)
    except ValidationError as exc:
        problems += _errors(exc, where, "Bundle")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        return [*problems, Problem("'entry' must be a list of entries", where, None, "entry")]
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            problems.append(Problem("the entry has no resource", where, None, f"entry[{i}]"))
            continue
        if types is not None and resource.get("resourceType") not in types:
            continue
        problems += resource_problems(resource, where, entry_label(i, resource))
    return problems
