"""The JSON API under ``/api``: the operations of the command line, over HTTP.

Every route calls the Python API (:mod:`remission.api`, :mod:`remission.search`, the rules,
kinetics, cohort and report packages); nothing clinical is computed here. Errors answer with
the same words as the CLI: ``{"detail": ..., "problems": [{message, where, line, field, text}]}``
(422 for input that cannot be accepted, 404 for an unknown case or version, 409 for an edit of a
version that is no longer the newest, 413 for a body over the limits, 415 for a content type the
route does not read, 401 when not signed in, 403 for a missing CSRF token or too weak a role).

The OpenAPI document is ``/api/openapi.json`` (signed in, like everything else).
"""

from __future__ import annotations

from fastapi import APIRouter

from remission.web import api_admin, api_analysis, api_cases, api_extract, auth
from remission.web.api_common import ERROR_RESPONSES

__all__ = ["router"]

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)
router.include_router(auth.api_router)
router.include_router(api_cases.router)
router.include_router(api_analysis.router)
router.include_router(api_extract.router)
router.include_router(api_admin.router)
router.include_router(api_admin.audit_router)
