"""Extraction and review in the JSON API: report text in, drafts with evidence out, then a
reviewer's decision on each value, and finalising (the same functions as `remission extract` and
`remission review`, :mod:`remission.evidence.api`).

Every decision is saved as a new version of the draft with the signed-in user as author and
``review: <action> <field>`` as reason; ``expected_version`` guards against overwriting another
reviewer's decision (409).
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from remission.evidence.api import (
    MAX_TEXT_BYTES,
    ReportText,
    accept_all_values,
    drafts_for,
    extract_texts,
    finalize_draft,
    get_extractor,
    review_value,
    save_drafts,
    text_warnings,
)
from remission.evidence.evaluate import Extractor
from remission.evidence.review import pending_fields
from remission.model import Case
from remission.web.api_common import Responses
from remission.web.api_models import ProblemsOut
from remission.web.deps import ApiEditor, ApiUser, StoreDep, require_role

__all__ = ["router"]

router = APIRouter(tags=["extraction"])

DraftId = Annotated[str, Path(min_length=1, max_length=200, description="Draft case id.")]
REVIEW_ERRORS: Responses = {
    404: {"model": ProblemsOut, "description": "No such draft"},
    409: {"model": ProblemsOut, "description": "Someone else reviewed it since"},
}


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_BYTES, description="The report text.")
    file: str | None = Field(
        None, max_length=200, description="A label for the text (its file name)."
    )
    id_prefix: str | None = Field(
        None,
        max_length=60,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Draft ids start so.",
    )
    save: bool = Field(False, description="Store the drafts (editors only).")


class DraftOut(BaseModel):
    id: str
    kind: Literal["case", "cohort"]
    version: int | None = Field(None, description="The stored version, when saved.")
    pending: list[str] = Field(default_factory=list, description="Fields not yet reviewed.")


class ExtractOut(BaseModel):
    result: dict[str, Any] = Field(
        description="The ExtractionResult, as `remission extract --json` prints it."
    )
    drafts: list[DraftOut]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=200, description="e.g. crs_max_grade")
    action: Literal["accept", "edit", "reject"]
    value: Any = Field(None, description="The corrected value (edit only).")
    note: str | None = Field(None, max_length=2000)
    expected_version: int | None = Field(None, ge=1, description="The version reviewed.")


class VersionCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expected_version: int | None = Field(None, ge=1, description="The version reviewed.")


class ReviewOut(BaseModel):
    id: str
    version: int
    status: Literal["draft", "final"]
    pending: list[str]


@cache
def _extractor() -> Extractor:
    """The rule-based extractor, built once per process (it loads its rules and spaCy)."""
    return get_extractor("rules")


def _extract(request: ExtractRequest) -> tuple[dict[str, Any], list[Any]]:
    label = request.file or "<web form>"
    report = ReportText(label, request.text, tuple(text_warnings(request.text)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        item = extract_texts([report], _extractor())[0]
    return item.result.to_json(), drafts_for(item, id_prefix=request.id_prefix)


@router.post("/extract", response_model=ExtractOut)
async def extract(request: ExtractRequest, store: StoreDep, user: ApiUser) -> ExtractOut:
    """Extract a report text: the summary values and events, each with the words it came from;
    with ``save`` (editors), the drafts are stored for review."""
    if request.save:
        require_role(user, "editor")
    result, drafts = await to_thread.run_sync(_extract, request)
    versions: dict[str, int] = {}
    if request.save and drafts:
        report = await to_thread.run_sync(lambda: save_drafts(store, drafts, author=user.username))
        versions = {o.id: o.version for o in report.outcomes}
    return ExtractOut(
        result=result,
        drafts=[
            DraftOut(
                id=d.id,
                kind=d.kind,
                version=versions.get(d.id),
                pending=pending_fields(d) if isinstance(d, Case) else [],
            )
            for d in drafts
        ],
    )


def _review_out(case: Case, version: int) -> ReviewOut:
    return ReviewOut(id=case.id, version=version, status=case.status, pending=pending_fields(case))


@router.post("/drafts/{draft_id}/review", response_model=ReviewOut, responses=REVIEW_ERRORS)
def review(draft_id: DraftId, decision: Decision, store: StoreDep, user: ApiEditor) -> ReviewOut:
    """Accept, edit or reject one extracted value of a stored draft (a new version)."""
    case, saved = review_value(
        store,
        draft_id,
        decision.field,
        decision.action,
        value=decision.value,
        reviewer=user.username,
        expected_version=decision.expected_version,
        note=decision.note,
    )
    return _review_out(case, saved.version)


@router.post("/drafts/{draft_id}/accept-all", response_model=ReviewOut, responses=REVIEW_ERRORS)
def accept_all(
    draft_id: DraftId, check: VersionCheck, store: StoreDep, user: ApiEditor
) -> ReviewOut:
    """Accept every value not yet decided (one new version)."""
    case, saved = accept_all_values(
        store, draft_id, reviewer=user.username, expected_version=check.expected_version
    )
    return _review_out(case, saved.version)


@router.post("/drafts/{draft_id}/finalize", response_model=ReviewOut, responses=REVIEW_ERRORS)
def finalize(draft_id: DraftId, check: VersionCheck, store: StoreDep, user: ApiEditor) -> ReviewOut:
    """Make a fully reviewed draft a final case (it then counts in cohort analyses)."""
    case, saved = finalize_draft(
        store, draft_id, reviewer=user.username, expected_version=check.expected_version
    )
    return _review_out(case, saved.version)
