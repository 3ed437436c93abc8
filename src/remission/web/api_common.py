"""Shared pieces of the JSON API routes (:mod:`remission.web.api`): reading a case from a request
body (JSON or YAML, the CLI's validation and messages), the error shapes, JSON-safe values."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request, status

from remission.casefile import Document, document_from_data, parse_document_text
from remission.casefile import _decode as decode_case_bytes
from remission.cli._common import jsonable
from remission.exceptions import CaseFileError, Problem
from remission.web.api_models import ProblemsOut
from remission.web.deps import get_settings

__all__ = [
    "DOCUMENT_BODY",
    "ERROR_RESPONSES",
    "JSON_TYPES",
    "YAML_TYPES",
    "Responses",
    "jsonable",
    "media_type",
    "read_document",
]

JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
BODY_WHERE = "<request body>"

Responses = dict[int | str, dict[str, Any]]
"""The type of a route's ``responses=`` (status code -> OpenAPI description)."""

ERROR_RESPONSES: Responses = {
    401: {"model": ProblemsOut, "description": "Not signed in"},
    403: {"model": ProblemsOut, "description": "Role too weak, or CSRF token missing or wrong"},
    422: {"model": ProblemsOut, "description": "Input that cannot be accepted; nothing stored"},
}

DOCUMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A case file: JSON (the document as an object) or YAML text, as on the "
        "command line; validated with the same messages as `remission validate`.",
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_document(request: Request) -> Document:
    """The validated document in a request body (JSON or YAML); :class:`CaseFileError` with every
    problem, 413 when over the size limit, 415 for another content type."""
    kind = media_type(request)
    if kind not in JSON_TYPES | YAML_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the case as application/json or application/yaml, not {kind or 'no type'!r}",
        )
    limit = get_settings(request).max_file_bytes
    raw = await request.body()
    if len(raw) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the case is {len(raw) / 1e6:.1f} MB; a case is limited to {limit / 1e6:g} MB",
        )
    if not raw.strip():
        raise CaseFileError(Problem("the request has no case in its body", BODY_WHERE))
    text = decode_case_bytes(raw, BODY_WHERE)
    if kind in YAML_TYPES:
        return parse_document_text(text, BODY_WHERE)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseFileError(
            Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", BODY_WHERE, exc.lineno)
        ) from None
    except RecursionError:
        raise CaseFileError(Problem("the JSON nests too deeply", BODY_WHERE)) from None
    return document_from_data(data, BODY_WHERE)
