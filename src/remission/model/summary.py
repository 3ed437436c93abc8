"""CaseSummary: the flat per-patient row (DESIGN.md table), and its cohort-level counterpart.

It is both what analyses read and what text extraction targets. Unknown is ``None`` (an empty list
for lists), never a guess. The derivation from a Case lives in :mod:`remission.rules.summary`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CaseSummary", "CohortSummary", "IndexTherapySummary", "SummarySite"]

SummarySite = Literal["cns", "testis", "skin", "lymph_node", "soft_tissue", "bone", "other"]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class IndexTherapySummary(_Row):
    therapy_class: Literal[
        "car_t", "bispecific", "antibody_drug_conjugate", "tki", "chemotherapy", "hsct", "other"
    ] = Field(alias="class")
    agent: str | None = None
    target: Literal["CD19", "CD22", "CD19/CD22"] | None = None
    cell_source: Literal["autologous", "donor_derived"] | None = None
    costimulatory: list[Literal["CD28", "4-1BB"]] = Field(default_factory=list)
    courses: int | None = None


class CaseSummary(_Row):
    """One patient as one row. Field meanings follow DESIGN.md, "CaseSummary"."""

    age_years: float | None = None
    sex: Literal["male", "female"] | None = None
    diagnosis: Literal["B-ALL", "T-ALL", "other"] | None = None
    ph_positive: bool | None = None
    bcr_abl_transcript: Literal["p210", "p190"] | None = None
    abl_kinase_mutations: list[str] = Field(default_factory=list)
    relapse_count: int | None = None
    refractory: bool | None = None
    prior_hsct: bool | None = None
    extramedullary_sites: list[SummarySite] = Field(default_factory=list)
    cns_involvement: bool | None = None
    index_therapies: list[IndexTherapySummary] = Field(default_factory=list)
    response: Literal["CR", "CRi", "PR", "NR"] | None = None
    mrd_negative: bool | None = None
    crs_max_grade: int | None = Field(None, ge=0, le=5)
    icans_max_grade: int | None = Field(None, ge=0, le=5)
    gvhd: bool | None = None
    relapse_after: bool | None = None
    alive_at_last_follow_up: bool | None = None
    bridged_to_hsct: bool | None = None
    follow_up_months: float | None = None


class CohortSummary(_Row):
    """A cohort-level document's summary (DESIGN.md, last paragraph of "CaseSummary")."""

    n_patients: int
    median_age_years: float | None = None
    n_complete_response: int | None = None
    n_mrd_negative: int | None = None
    n_bridged_to_hsct: int | None = None
    n_crs_any: int | None = None
    n_crs_grade3plus: int | None = None
    n_icans_any: int | None = None
