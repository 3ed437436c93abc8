"""Case files: YAML in, validated documents out, and back to YAML.

Every problem is reported with the file, the line and the field, in words a clinician understands
("timeline[3] (relapse 'rel2').sites[0], line 41: 'testicle' is not a known disease site; did you
mean 'testis'?"), and all problems of all files are gathered before anything is stored.

Reading is strict on purpose: duplicate keys in a mapping (which YAML would silently resolve to
the last one) are errors; dates stay text so that ``2016-11`` and ``2016-11-05`` read alike; files
over a size limit, with NUL bytes or not in UTF-8 are refused with the position of the first bad
byte.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from remission.exceptions import CaseFileError, DuplicateIdError, Problem
from remission.model import Case, CaseConsistencyError, CohortAggregate
from remission.model.events import EVENT_LABELS, EVENT_TYPES

__all__ = [
    "MAX_FILE_BYTES",
    "Document",
    "LoadedFile",
    "document_from_data",
    "dump_document",
    "duplicate_id_problems",
    "load_file",
    "load_files",
    "parse_document_text",
]

#: Case files larger than this are refused before parsing (a full course with daily assessments
#: and dense observation series is well under 1 MB).
MAX_FILE_BYTES = 5_000_000

Document = Case | CohortAggregate


# --- YAML reading --------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps, refusing duplicate mapping keys."""


_StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_CLoaderBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastStrictLoader(_CLoaderBase):
    """The same rules on the C parser, for speed on large imports."""


_FastStrictLoader.yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """Build a mapping in one pass, refusing a key that appears twice."""
    if not isinstance(node, yaml.MappingNode):
        raise _DuplicateKey(
            None, None, f"expected a block of fields, found {node.id}", node.start_mark
        )
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, typing.Hashable):
            raise _DuplicateKey(None, None, "a mapping key must be plain text", key_node.start_mark)
        if key in mapping:
            raise _DuplicateKey(
                None,
                None,
                f"the key {key!r} appears twice in the same block (first on line {lines[key] + 1})",
                key_node.start_mark,
            )
        lines[key] = key_node.start_mark.line
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


for _loader in (_StrictLoader, _FastStrictLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _decode(raw: bytes, where: str) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CaseFileError(Problem("the file is saved as UTF-16; save it as UTF-8 text", where, 1))
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        raise CaseFileError(
            Problem(
                "this is a binary file, not a YAML case file (it contains a NUL byte)", where, line
            )
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CaseFileError(
            Problem(
                f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}); "
                "save it as UTF-8",
                where,
                line,
            )
        ) from None
    return text.removeprefix("\ufeff")


_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]+", re.MULTILINE)


def _refuse_aliases(text: str, where: str) -> None:
    """Anchors and aliases (&name / *name) are refused: a few lines could expand to gigabytes."""
    if "*" not in text or not _ALIAS.search(text):
        return
    try:
        for event in yaml.parse(text, Loader=_CLoaderBase):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                raise CaseFileError(
                    Problem(
                        "YAML anchors and aliases (&name, *name) are not allowed in case files; "
                        "write the values out",
                        where,
                        line,
                    )
                )
    except yaml.YAMLError:
        return  # the parse proper reports it


def _yaml_load(text: str, where: str) -> Any:
    _refuse_aliases(text, where)
    try:
        return yaml.load(text, Loader=_FastStrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        if exc.context and not isinstance(exc, _DuplicateKey):
            what = f"{exc.context}, {what}"
        raise CaseFileError(Problem(f"this is not valid YAML: {what}", where, line)) from None
    except yaml.YAMLError as exc:
        raise CaseFileError(Problem(f"this is not valid YAML: {exc}", where)) from None
    except RecursionError:
        raise CaseFileError(Problem("the YAML nests too deeply to be a case file", where)) from None


# --- locating problems ---------------------------------------------------------------------------


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_StrictLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def _node_line(text: str | yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest existing parent).

    ``text`` may be the composed node tree, so that many problems of one file cost one parse.
    """
    node = _compose(text) if isinstance(text, str) else text
    if node is None:
        return None
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            hit = None
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    hit = (k, v)
                    break
            if hit is None:
                continue  # a discriminator tag or model name pydantic put in the path
            node = hit[1]
            best = hit[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return best
            node = node.value[part]
            best = node.start_mark.line + 1
        else:
            return best
    return best


def _unwrap(tp: Any) -> list[Any]:
    """Model classes reachable from an annotation (through Optional, tuple, list, Annotated)."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    if origin in (Union, types.UnionType, tuple, list, typing.Union):
        out: list[Any] = []
        for arg in get_args(tp):
            if arg is not Ellipsis:
                out.extend(_unwrap(arg))
        return out
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return []


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class whose field set applies at ``loc`` (for 'did you mean' suggestions)."""
    current: list[type[BaseModel]] = [root]
    for part in loc:
        if isinstance(part, int):
            continue
        if part in EVENT_TYPES and any(c.__name__ == "Case" for c in current) is False:
            current = [EVENT_TYPES[part]]
            continue
        nxt: list[type[BaseModel]] = []
        for model in current:
            field = model.model_fields.get(part)
            if field is not None:
                nxt.extend(_unwrap(field.annotation))
        if not nxt:
            if part in EVENT_TYPES:
                current = [EVENT_TYPES[part]]
                continue
            return current[0] if len(current) == 1 else None
        current = nxt
    return current[0] if len(current) == 1 else None


def _display_path(loc: Sequence[str | int], data: Any) -> str:
    """``timeline[3] (relapse 'rel2').sites[0]``: the path with the event named."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, dict):
            out += f".{part}" if out else str(part)  # a key YAML read as a number
            node = None
            continue
        if isinstance(part, int):
            out += f"[{part}]"
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, dict) and "type" in node and "id" in node:
                    kind = str(node["type"])
                    label = EVENT_LABELS.get(kind, kind.replace("_", " "))
                    out += f" ({label} {str(node['id'])!r})"
            else:
                node = None
        else:
            if isinstance(node, dict) and part not in node and part in EVENT_TYPES:
                continue
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(document)"


_FRIENDLY = {
    "missing": "is required",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a block of fields",
    "model_type": "must be a block of fields",
    "model_attributes_type": "must be a block of fields",
    "finite_number": "must be a finite number",
}


def _message(err: Any, root: type[BaseModel]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = err["loc"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        model = _model_at(root, loc[:-1])
        known = list(model.model_fields) if model is not None else []
        aliases = [f.alias for f in model.model_fields.values() if f.alias] if model else []
        close = difflib.get_close_matches(name, known + aliases, n=1, cutoff=0.5)
        msg = f"unknown field {name!r}"
        if close:
            msg += f"; did you mean {close[0]!r}?"
        elif known:
            msg += f"; known fields here: {', '.join(known)}"
        return msg
    if "Keys should be strings" in str(err.get("msg", "")):
        return "a field name must be text; quote it (a bare 1 or yes is read as a number or true/false)"
    if kind == "literal_error" and err.get("input") is None:
        return f"is empty; use one of: {ctx.get('expected', '')}"
    if kind == "literal_error":
        return f"{err['input']!r} is not allowed; use one of: {ctx.get('expected', '')}"
    if kind == "union_tag_invalid":
        return (
            f"{ctx.get('tag')!r} is not an event type; use one of: {', '.join(sorted(EVENT_TYPES))}"
        )
    if kind == "union_tag_not_found":
        return f"needs a '{ctx.get('discriminator', 'type').strip(chr(39))}' ({', '.join(sorted(EVENT_TYPES))})"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sym = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than_equal": "<=",
            "less_than": "<",
        }[kind]
        bound = next(iter(ctx.values()), "")
        return f"{err['input']!r} is out of range: it must be {sym} {bound}"
    if kind == "string_pattern_mismatch":
        return (
            f"{err['input']!r} is not a valid id: use letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    if kind == "assertion_error":
        return str(err["msg"]).removeprefix("Assertion failed, ")
    return _FRIENDLY.get(kind, err["msg"])


def _parse_path(path: str) -> tuple[str | int, ...]:
    out: list[str | int] = []
    for chunk in path.replace("]", "").split("."):
        for i, piece in enumerate(chunk.split("[")):
            if piece == "":
                continue
            out.append(int(piece) if i > 0 else piece)
    return tuple(out)


def _problems(
    exc: ValidationError, data: Any, text: str | None, where: str, root: type[BaseModel]
) -> list[Problem]:
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    # an item that failed makes pydantic also call its list "too short": drop that echo
    failed_locs = [tuple(e["loc"]) for e in errors if e["type"] != "too_short"]

    def _inside_item(loc: tuple[Any, ...]) -> bool:
        return any(
            len(f) > len(loc) and f[: len(loc)] == loc and isinstance(f[len(loc)], int)
            for f in failed_locs
        )

    tree = _compose(text) if text is not None else None
    for err in errors:
        if err["type"] == "too_short" and _inside_item(tuple(err["loc"])):
            continue  # an item failed validation; "must not be empty" would only confuse
        error_obj = (err.get("ctx") or {}).get("error")
        if isinstance(error_obj, CaseConsistencyError):
            base = tuple(err["loc"])
            for path, msg in error_obj.problems:
                loc = base + _parse_path(path)
                line = _node_line(tree, loc)
                problems.append(Problem(msg, where, line, _display_path(loc, data)))
            continue
        loc = tuple(err["loc"])
        line = _node_line(tree, loc)
        problems.append(Problem(_message(err, root), where, line, _display_path(loc, data)))
    return problems


# --- documents -----------------------------------------------------------------------------------


def document_from_data(data: Any, where: str = "<input>", text: str | None = None) -> Document:
    """Validate parsed data as a Case (``kind: case``, the default) or a cohort aggregate."""
    if not isinstance(data, dict):
        got = "empty" if data is None else f"a {type(data).__name__}"
        raise CaseFileError(
            Problem(
                f"a case file must be a block of fields (id, patient, timeline, ...); this is {got}",
                where,
                1,
            )
        )
    kind = data.get("kind", "case")
    model: type[BaseModel]
    if kind == "case":
        model = Case
    elif kind == "cohort":
        model = CohortAggregate
    else:
        raise CaseFileError(
            Problem(
                f"kind {kind!r} is not known; use 'case' or 'cohort'",
                where,
                _node_line(text, ("kind",)) if text else None,
                "kind",
            )
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CaseFileError(_problems(exc, data, text, where, model)) from None
    except RecursionError:
        raise CaseFileError(Problem("the document nests too deeply", where)) from None


def parse_document_text(text: str, where: str = "<input>") -> Document:
    """Parse and validate the text of one case file."""
    return document_from_data(_yaml_load(text, where), where, text)


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    document: Document
    text: str
    source: str = ""  # the path as the user gave it, for messages


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    if n >= 1000:
        return f"{n / 1e3:.1f} kB"
    return f"{n} bytes"


def load_file(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> LoadedFile:
    """Read, parse and validate one case file; :class:`CaseFileError` on any problem."""
    p = Path(path)
    where = str(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise CaseFileError(Problem("this is a folder, not a case file", where))
        if size > max_bytes:
            raise CaseFileError(
                Problem(
                    f"the file is {_size(size)}; case files are limited to {_size(max_bytes)}",
                    where,
                )
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise CaseFileError(Problem("no such file", where)) from None
    except PermissionError:
        raise CaseFileError(Problem("the file cannot be read (permission denied)", where)) from None
    except OSError as exc:
        raise CaseFileError(Problem(f"the file cannot be read: {exc.strerror}", where)) from None
    text = _decode(raw, where)
    return LoadedFile(p, parse_document_text(text, where), text, where)


def duplicate_id_problems(entries: Sequence[tuple[str, str]]) -> list[Problem]:
    """One problem per file whose document id an earlier file in ``entries`` already uses.

    ``entries`` are ``(file, document id)`` pairs in import order; the line of the repeated
    ``id`` is read back from the file (only for the few files at fault).
    """
    seen: dict[str, str] = {}
    out: list[Problem] = []
    for source, doc_id in entries:
        if doc_id not in seen:
            seen[doc_id] = source
            continue
        try:
            line = _node_line(Path(source).read_text(encoding="utf-8"), ("id",))
        except (OSError, UnicodeDecodeError):
            line = None
        out.append(
            Problem(f"case id {doc_id!r} is also used by {seen[doc_id]}", source, line, "id")
        )
    return out


def load_files(paths: Iterable[str | Path], *, max_bytes: int = MAX_FILE_BYTES) -> list[LoadedFile]:
    """Load several files, gathering the problems of all of them before failing.

    Also refuses two files that carry the same document id: an import is one consistent set.
    """
    loaded: list[LoadedFile] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded.append(load_file(path, max_bytes=max_bytes))
        except CaseFileError as exc:
            problems.extend(exc.problems)
    dup = duplicate_id_problems([(item.source, item.document.id) for item in loaded])
    if problems:
        raise CaseFileError(problems + dup)
    if dup:
        raise DuplicateIdError(dup)
    return loaded


def _whole_numbers(value: Any) -> Any:
    """28.0 -> 28 for readability; the schema reads both back to the same float."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v) for v in value]
    return value


_DumperBase: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_DumperBase):
    """Block-style YAML with multi-line text as literal blocks (libyaml's emitter when present)."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_document(doc: Document) -> str:
    """YAML text of a document that re-imports to an identical document."""
    data = doc.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data = _whole_numbers({"schema_version": doc.schema_version, "kind": doc.kind, **data})
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
