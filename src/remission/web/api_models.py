"""The JSON shapes of the API (its OpenAPI document is generated from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from remission.exceptions import Problem
from remission.model import CaseSummary, CohortSummary
from remission.store import Kind, Status
from remission.store.users import Role

__all__ = [
    "AccountOut",
    "AuditEventOut",
    "CaseOut",
    "CaseRowOut",
    "DiffOut",
    "FieldChangeOut",
    "ImportOut",
    "ImportOutcomeOut",
    "KineticsOut",
    "NewAccount",
    "PasswordChange",
    "ProblemOut",
    "ProblemsOut",
    "RoleChange",
    "SavedOut",
    "SearchPageOut",
    "SeriesKineticsOut",
    "ValidationOut",
    "VersionOut",
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProblemOut(_Out):
    """One thing wrong with an input: the same words as the command line's messages."""

    message: str
    where: str | None = None
    line: int | None = None
    field: str | None = None
    text: str = Field(
        description="The whole message as the CLI prints it (where:line: field: ...)."
    )

    @classmethod
    def of(cls, p: Problem) -> ProblemOut:
        return cls(message=p.message, where=p.where, line=p.line, field=p.field, text=str(p))


class ProblemsOut(_Out):
    """An error answer (4xx): ``detail`` in words; ``problems`` lists each one, located."""

    detail: str
    problems: list[ProblemOut] = Field(default_factory=list)


class CaseRowOut(_Out):
    id: str
    kind: Kind
    status: Status
    version: int
    updated_at: datetime
    summary: CaseSummary | CohortSummary


class SearchPageOut(_Out):
    total: int = Field(description="Matching documents in all (not only this page).")
    offset: int
    limit: int
    filter: str = Field(description="The filters in words.")
    items: list[CaseRowOut]


class CaseOut(_Out):
    id: str
    kind: Kind
    status: Status
    version: int = Field(description="The version shown.")
    current_version: int = Field(
        description="The newest version: send it as expected_version with an edit."
    )
    author: str
    reason: str
    saved_at: datetime
    document: dict[str, Any]
    summary: CaseSummary | CohortSummary


class SavedOut(_Out):
    id: str
    version: int
    action: Literal["created", "updated", "unchanged"]


class VersionOut(_Out):
    version: int
    status: Status
    author: str
    reason: str
    saved_at: datetime
    content_hash: str


class FieldChangeOut(_Out):
    path: str = Field(description="Dotted path of the changed value (timeline[2].grade.grade).")
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


class DiffOut(_Out):
    id: str
    from_version: int
    to_version: int
    changes: list[FieldChangeOut]
    unified: str = Field(description="Unified diff of the two versions' YAML.")


class ValidationOut(_Out):
    valid: bool
    id: str | None = None
    kind: Kind | None = None
    summary: CaseSummary | CohortSummary | None = None
    problems: list[ProblemOut] = Field(default_factory=list)


class ImportOutcomeOut(_Out):
    id: str
    file: str
    version: int
    action: Literal["created", "updated", "unchanged"]


class ImportOut(_Out):
    created: int
    updated: int
    unchanged: int
    outcomes: list[ImportOutcomeOut]


class SeriesKineticsOut(_Out):
    series_id: str
    analyte: str
    unit: str
    nca: dict[str, Any] | None = None
    fit: dict[str, Any] | None = None
    notes: list[str] = Field(default_factory=list)


class KineticsOut(_Out):
    id: str
    series: list[SeriesKineticsOut]


class AccountOut(_Out):
    username: str
    role: Role
    created_at: datetime
    password_changed_at: datetime


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    role: Role = "viewer"
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=1024)


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class AuditEventOut(_Out):
    at: datetime
    event: str
    username: str | None
    client: str | None
    detail: str
