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

    age_years: float | None = Field(
        None,
        description="Age in years at the index therapy if stated there, else as stated (usually at diagnosis).",
    )
    sex: Literal["male", "female"] | None = Field(None, description="Sex as stated.")
    diagnosis: Literal["B-ALL", "T-ALL", "other"] | None = Field(
        None, description="B-ALL, T-ALL or other (mixed phenotype and others)."
    )
    ph_positive: bool | None = Field(
        None, description="Philadelphia chromosome (BCR::ABL1) positive."
    )
    bcr_abl_transcript: Literal["p210", "p190"] | None = Field(
        None, description="BCR::ABL1 transcript type, p210 or p190."
    )
    abl_kinase_mutations: list[str] = Field(
        default_factory=list,
        description="ABL1 kinase-domain mutations known by the index therapy (e.g. T315I).",
    )
    relapse_count: int | None = Field(
        None,
        description="Relapses up to and including the one the index therapy treats (stated ordinal, else relapses listed before it).",
    )
    refractory: bool | None = Field(
        None,
        description="Refractory disease stated (primary refractory, a refractory relapse, or no response to a therapy before the index therapy).",
    )
    prior_hsct: bool | None = Field(
        None, description="An allogeneic HSCT before the index therapy."
    )
    extramedullary_sites: list[SummarySite] = Field(
        default_factory=list,
        description="Extramedullary sites at the relapse the index therapy treats (eye and other named sites summarised as 'other').",
    )
    cns_involvement: bool | None = Field(
        None, description="CNS involvement at the relapse the index therapy treats."
    )
    index_therapies: list[IndexTherapySummary] = Field(
        default_factory=list,
        description="The therapies the case is about and whose outcome it reports, in order.",
    )
    response: Literal["CR", "CRi", "PR", "NR"] | None = Field(
        None, description="Best response to the index therapies (CRh/MLFS as CRi; SD/PD as NR)."
    )
    mrd_negative: bool | None = Field(
        None,
        description="MRD below the method's threshold (1e-4 flow/PCR, 1e-6 NGS) at an assessment of an index therapy.",
    )
    crs_max_grade: int | None = Field(
        None,
        ge=0,
        le=5,
        description="Worst CRS grade after the index therapies: stated grade (its own scale), else ASTCT 2019 computed from bedside assessments; 0 = stated absent.",
    )
    icans_max_grade: int | None = Field(
        None, ge=0, le=5, description="Worst ICANS grade after the index therapies, as for CRS."
    )
    gvhd: bool | None = Field(
        None, description="GVHD after the index therapy (false when stated absent)."
    )
    relapse_after: bool | None = Field(
        None, description="A relapse after responding to an index therapy."
    )
    alive_at_last_follow_up: bool | None = Field(
        None, description="Alive at the last follow-up (false after a recorded death)."
    )
    bridged_to_hsct: bool | None = Field(
        None,
        description="Allogeneic HSCT in the remission an index therapy achieved (not a salvage transplant).",
    )
    follow_up_months: float | None = Field(
        None,
        description="Months from the first index therapy to death or last follow-up (30.4375-day months).",
    )


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
