"""Case fields FHIR has no element for, carried as remission extensions, and read back.

A Case holds more than FHIR's core elements can say: a therapy's line and intent, a CAR-T
product's costimulatory domain, a relapse's number, a stated grade's scale, a time written as
``car1+28d``. Each such field travels as one extension whose URL names the model and the field
(``https://remission.dev/fhir/StructureDefinition/Therapy.line``); nested objects become complex
extensions whose parts are named by their field (FHIR's convention for complex extensions), and
lists repeat the extension in order. Only values that differ from the model's default are
written, so a Bundle stays as small as the case file it came from.

The same walk read backwards turns the extensions into the dictionary the model validates, so
what the exporter writes, the importer reads back exactly (``tests/interop/test_fhir_roundtrip``).

Times: a partial date keeps its precision in FHIR's own ``date``/``dateTime`` (``2014``,
``2016-11``, ``2017-03-05``); a time counted from another event (``car1+28d``) goes in the
``relative-time`` extension on the element itself (FHIR's primitive extension, ``_start``), beside
the calendar date it falls on when that date is known to the day.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Collection, Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, WithJsonSchema

from remission.interop.fhir.codes import load_codes
from remission.model.time import PartialDate, RelativeTime

__all__ = [
    "RELATIVE_TIME",
    "decode_fields",
    "ext_url",
    "field_extensions",
    "get_time",
    "put_time",
]


def ext_url(name: str) -> str:
    """The URL of a remission extension (``Therapy.line`` -> ``.../StructureDefinition/Therapy.line``)."""
    return load_codes().extension_url(name)


RELATIVE_TIME = "relative-time"
_EMPTY = "empty-text"


# --- field shapes -------------------------------------------------------------------------------


def _strip(tp: Any) -> tuple[Any, list[Any]]:
    """An annotation without ``Annotated`` and ``Optional``, and the metadata found on the way."""
    meta: list[Any] = []
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            args = get_args(tp)
            meta.extend(args[1:])
            tp = args[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp, meta


class _Shape:
    """What a field holds: a list of items, a mapping, a nested model, and which vocabulary."""

    def __init__(self, annotation: Any, metadata: list[Any]):
        tp, meta = _strip(annotation)
        meta = list(metadata) + meta
        self.is_list = get_origin(tp) in (tuple, list)
        self.is_dict = get_origin(tp) is dict
        item = tp
        if self.is_list:
            item, more = _strip(get_args(tp)[0])
            meta += more
        self.model: type[BaseModel] | None = (
            item if isinstance(item, type) and issubclass(item, BaseModel) else None
        )
        self.vocabulary: str | None = None
        for m in meta:
            if isinstance(m, WithJsonSchema) and isinstance(m.json_schema, dict):
                self.vocabulary = m.json_schema.get("x-vocabulary") or self.vocabulary


def _shape(model: type[BaseModel], name: str) -> _Shape:
    info = model.model_fields[name]
    return _Shape(info.annotation, list(info.metadata))


def _default(model: type[BaseModel], name: str) -> Any:
    info = model.model_fields[name]
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return info.default


# --- writing ------------------------------------------------------------------------------------


def _value(value: Any, vocabulary: str | None) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    if isinstance(value, PartialDate):
        return {"valueDateTime": str(value)}
    if isinstance(value, RelativeTime):
        return {"valueString": str(value)}
    if isinstance(value, str):
        if value == "":
            # FHIR strings cannot be empty; an empty note is kept as a marker.
            return {"extension": [{"url": _EMPTY, "valueBoolean": True}]}
        if vocabulary is not None:
            codes = load_codes()
            return {"valueCoding": codes.vocab_concept(vocabulary, value)["coding"][0]}
        return {"valueString": value}
    raise TypeError(f"cannot write {type(value).__name__} as an extension value")


def _encode(url: str, value: Any, shape: _Shape, skip: Collection[str]) -> list[dict[str, Any]]:
    if shape.is_list:
        item_shape = _Shape(None, [])
        item_shape.model, item_shape.vocabulary = shape.model, shape.vocabulary
        return [e for item in value for e in _encode(url, item, item_shape, skip)]
    if shape.is_dict:
        return [
            {
                "url": url,
                "extension": [
                    {"url": "key", **_value(k, None)},
                    {"url": "value", **_value(v, None)},
                ],
            }
            for k, v in value.items()
        ]
    if isinstance(value, BaseModel):
        parts = field_extensions(value, skip=skip, relative=True)
        return [{"url": url, "extension": parts} if parts else {"url": url, "valueBoolean": True}]
    return [{"url": url, **_value(value, shape.vocabulary)}]


def _below(skip: Collection[str], name: str) -> set[str]:
    return {s[len(name) + 1 :] for s in skip if s.startswith(name + ".")}


def field_extensions(
    model: BaseModel,
    *,
    skip: Collection[str] = (),
    only: Collection[str] | None = None,
    relative: bool = False,
    name: str | None = None,
) -> list[dict[str, Any]]:
    """Extensions for the fields of ``model`` that differ from their defaults.

    ``skip`` names fields (dotted for nested ones: ``crs.temperature_c``) written elsewhere as
    native FHIR elements; ``only`` limits the walk to some fields. ``relative`` gives the parts of
    a complex extension (URL = field name) instead of full extension URLs.
    """
    cls = type(model)
    prefix = "" if relative else ext_url(f"{name or cls.__name__}.")
    out: list[dict[str, Any]] = []
    for fname in cls.model_fields:
        if fname in skip or (only is not None and fname not in only):
            continue
        value = getattr(model, fname)
        if value is None or value == _default(cls, fname):
            continue
        out.extend(_encode(prefix + fname, value, _shape(cls, fname), _below(skip, fname)))
    return out


# --- reading ------------------------------------------------------------------------------------

_VALUE_KEYS = (
    "valueBoolean",
    "valueInteger",
    "valueDecimal",
    "valueDateTime",
    "valueDate",
    "valueString",
    "valueCode",
    "valueCoding",
)


def _read_value(ext: Mapping[str, Any]) -> Any:
    for key in _VALUE_KEYS:
        if key in ext:
            value = ext[key]
            if key == "valueCoding" and isinstance(value, Mapping):
                return value.get("code") or value.get("display")
            return value
    parts = ext.get("extension")
    if isinstance(parts, list) and any(
        isinstance(p, Mapping) and p.get("url") == _EMPTY for p in parts
    ):
        return ""
    return None


def _decode_one(ext: Mapping[str, Any], shape: _Shape) -> Any:
    if shape.model is not None:
        if ext.get("valueBoolean") is True:
            return {}
        parts = ext.get("extension")
        return decode_fields(parts if isinstance(parts, list) else [], shape.model, relative=True)
    if shape.is_dict:
        parts = {
            p.get("url"): _read_value(p) for p in ext.get("extension", []) if isinstance(p, Mapping)
        }
        return (parts.get("key"), parts.get("value"))
    return _read_value(ext)


def decode_fields(
    extensions: Any,
    model: type[BaseModel],
    *,
    relative: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    """The fields :func:`field_extensions` wrote, as the dictionary ``model`` validates.

    Extensions that are not remission fields of this model are left alone (a foreign system's
    own extensions are not an error).
    """
    if not isinstance(extensions, list):
        return {}
    prefix = "" if relative else ext_url(f"{name or model.__name__}.")
    found: dict[str, list[Any]] = {}
    for ext in extensions:
        if not isinstance(ext, Mapping) or not isinstance(ext.get("url"), str):
            continue
        url = ext["url"]
        if not url.startswith(prefix):
            continue
        fname = url[len(prefix) :]
        if fname not in model.model_fields:
            continue
        found.setdefault(fname, []).append(_decode_one(ext, _shape(model, fname)))
    out: dict[str, Any] = {}
    for fname, values in found.items():
        shape = _shape(model, fname)
        if shape.is_dict:
            out[fname] = {k: v for k, v in values}
        elif shape.is_list:
            out[fname] = values
        else:
            out[fname] = values[0]
    return out


# --- times --------------------------------------------------------------------------------------


def put_time(
    target: dict[str, Any],
    element: str,
    point: PartialDate | RelativeTime | None,
    exact: str | None = None,
) -> None:
    """Write a point in time into ``target[element]``.

    A partial date is the element's value at its precision; an offset (``car1+28d``) is a
    ``relative-time`` extension on the element (``_element``), with ``exact`` - the calendar day
    it falls on, when known to the day - as the element's value for systems that read only dates.
    """
    if point is None:
        return
    if isinstance(point, PartialDate):
        target[element] = str(point)
        return
    if exact is not None:
        target[element] = exact
    target["_" + element] = {
        "extension": [{"url": ext_url(RELATIVE_TIME), "valueString": str(point)}]
    }


def get_time(source: Mapping[str, Any], element: str) -> str | None:
    """A point in time as case-file text: the relative time if one was written, else the date.

    A full FHIR ``dateTime`` (``2021-10-12T08:30:00+02:00``) is read as its calendar day.
    """
    ext = source.get("_" + element)
    if isinstance(ext, Mapping):
        for e in ext.get("extension", []) or []:
            if isinstance(e, Mapping) and e.get("url") == ext_url(RELATIVE_TIME):
                value = e.get("valueString")
                if isinstance(value, str):
                    return value
    value = source.get(element)
    if isinstance(value, str):
        return value[:10]
    return None
