"""Bundle files: size limit, UTF-8, strict JSON, and telling a Bundle from a YAML case file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from remission.exceptions import FhirBundleError, Problem

__all__ = [
    "MAX_BUNDLE_BYTES",
    "is_bundle_text",
    "looks_like_bundle",
    "parse_bundle_text",
    "read_bundle_text",
]

#: Bundle files larger than this are refused before parsing (a full course with dense series is
#: well under 1 MB of FHIR JSON).
MAX_BUNDLE_BYTES = 20_000_000


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one JSON object")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_bundle_text(text: str, where: str) -> Any:
    """Parse Bundle JSON strictly: duplicate keys, NaN and Infinity are refused with their line."""
    try:
        return json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise FhirBundleError(
            Problem(f"this is not valid JSON: {exc.msg} (column {exc.colno})", where, exc.lineno)
        ) from None
    except ValueError as exc:
        raise FhirBundleError(Problem(f"this is not valid FHIR JSON: {exc}", where)) from None
    except RecursionError:
        raise FhirBundleError(
            Problem("the JSON nests too deeply to be a FHIR Bundle", where)
        ) from None


def is_bundle_text(text: str) -> bool:
    """True when a file's text is a JSON object whose ``resourceType`` is ``Bundle``.

    Decided by content, not by the file name: a FHIR Bundle starts with ``{`` and names its
    resourceType near the top; anything else is read as a YAML case file.
    """
    head = text.lstrip("\ufeff \t\r\n")
    if not head.startswith("{"):
        return False
    return re.search(r'"resourceType"\s*:\s*"Bundle"', head[:4096]) is not None


def looks_like_bundle(path: str | Path) -> bool:
    """Whether a file holds a FHIR Bundle (by its first bytes; unreadable files say no)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return is_bundle_text(head.decode("utf-8", errors="ignore"))


def read_bundle_text(path: str | Path, *, max_bytes: int = MAX_BUNDLE_BYTES) -> str:
    """The text of a Bundle file, refused before parsing when too large, unreadable or not UTF-8."""
    p = Path(path)
    where = str(path)
    try:
        if p.is_dir():
            raise FhirBundleError(Problem("this is a folder, not a FHIR Bundle", where))
        size = p.stat().st_size
        if size > max_bytes:
            raise FhirBundleError(
                Problem(
                    f"the file is {size / 1e6:.1f} MB; FHIR Bundles are limited to {max_bytes / 1e6:.0f} MB",
                    where,
                )
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FhirBundleError(Problem("no such file", where)) from None
    except OSError as exc:
        raise FhirBundleError(Problem(f"the file cannot be read: {exc.strerror}", where)) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FhirBundleError(
            Problem(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})", where, line)
        ) from None
    return text
