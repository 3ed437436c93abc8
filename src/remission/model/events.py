"""The typed events of a patient's course.

A case's timeline is a list of these, each with an ``id`` other events and observations may count
from (``car1+28d``). The CAR-T infusion and each blinatumomab course are the spine: responses,
toxicity episodes and observation series hang off them (DESIGN.md, "The infusion is the spine").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from remission.model.base import Frozen, Identifier, ShortText, Text
from remission.model.terms import (
    Agent,
    CarTProduct,
    CellSource,
    Costimulatory,
    DonorType,
    ResponseCode,
    ScaleField,
    Site,
    Target,
)
from remission.model.time import TimePoint
from remission.model.vocab import load_vocabulary

__all__ = [
    "HSCT",
    "MRD",
    "CSFFindings",
    "CarTInfusion",
    "Conditioning",
    "Death",
    "DiseaseAssessment",
    "Donor",
    "Dose",
    "Event",
    "ExtramedullaryFinding",
    "FollowUp",
    "Imaging",
    "Lymphodepletion",
    "OtherEvent",
    "Relapse",
    "StatedGrade",
    "Therapy",
    "ToxicityEpisode",
]


class _EventBase(Frozen):
    id: Identifier = Field(description="Unique within the case; other times may count from it.")
    note: Text | None = None


class Dose(Frozen):
    """A dose as stated: value and unit (``cells/kg``, ``cells``, ``ug/day``, ``mg/m2``, ``Gy``)."""

    value: float = Field(gt=0)
    unit: ShortText


# --- therapies ---------------------------------------------------------------------------------

TherapyIntent = Literal[
    "induction",
    "consolidation",
    "maintenance",
    "salvage",
    "bridging",
    "lymphodepletion",
    "conditioning",
    "cns_prophylaxis",
    "cns_directed",
    "gvhd_prophylaxis",
    "gvhd_treatment",
    "toxicity_management",
    "other",
]


class Therapy(_EventBase):
    """A line, course or cycle of drug therapy or radiotherapy.

    One event may stand for several courses (``courses: 5``) or one cycle (``cycle: 2``); agents
    given together are listed together. The class of each agent (chemotherapy, TKI, bispecific,
    antibody-drug conjugate, ...) comes from the agents vocabulary.
    """

    type: Literal["therapy"]
    start: TimePoint | None = None
    end: TimePoint | None = None
    agents: tuple[Agent, ...] = Field((), description="Agents given (vocabulary 'agents').")
    protocol: ShortText | None = Field(
        None, description="Named protocol, e.g. ALL-2009, hyper-CVAD."
    )
    intent: TherapyIntent | None = None
    line: int | None = Field(None, ge=1, le=20, description="Line of therapy, if stated.")
    courses: int | None = Field(
        None, ge=1, le=100, description="Number of courses or cycles given."
    )
    cycle: int | None = Field(
        None, ge=1, le=100, description="Cycle number when one event is one cycle."
    )
    route: (
        Literal["iv", "oral", "intrathecal", "subcutaneous", "intramuscular", "external_beam"]
        | None
    ) = None
    dose: Dose | None = None
    radiation_site: Site | None = None
    added_to: Identifier | None = Field(
        None, description="Id of a therapy this one was added to (asciminib added to ponatinib)."
    )

    @model_validator(mode="after")
    def _something_given(self) -> Therapy:
        if not self.agents and not self.protocol:
            raise ValueError("a therapy needs at least one agent or a protocol name")
        return self

    @property
    def agent_classes(self) -> tuple[str, ...]:
        vocab = load_vocabulary("agents")
        return tuple(str(vocab.get(a).attributes.get("class", "other")) for a in self.agents)


class Lymphodepletion(Frozen):
    agents: tuple[Agent, ...] = ()
    start: TimePoint | None = None
    note: Text | None = None


class Donor(Frozen):
    """Who donated cells: for a donor-derived CAR-T or an allogeneic transplant."""

    relation: (
        Literal[
            "sibling",
            "brother",
            "sister",
            "parent",
            "mother",
            "father",
            "child",
            "son",
            "daughter",
            "other_relative",
            "unrelated",
            "cord",
            "unknown",
        ]
        | None
    ) = None
    type: DonorType | None = None
    sex: Literal["male", "female"] | None = None
    hla_match: ShortText | None = Field(None, description="As stated, e.g. '10/10', '5/10'.")
    same_as: Identifier | None = Field(
        None,
        description="Id of another event with the same donor (the HSCT after a donor-derived CAR-T).",
    )


class CarTInfusion(_EventBase):
    """One CAR-T infusion: day 0 of its own episode. A second infusion is a reinfusion.

    A named product fixes its target, costimulatory domain and cell source (tisagenlecleucel is
    CD19, 4-1BB, autologous); a contradiction with the product is an error, an omission is filled
    from the product. "CD28 or 4-1BB" in a report fixes neither: list both under
    ``costimulatory_either``.
    """

    type: Literal["car_t_infusion"]
    date: TimePoint | None = None
    product: CarTProduct = "investigational"
    construct_name: ShortText | None = Field(None, description="Construct or trial product name.")
    target: Target | None = None
    costimulatory: tuple[Costimulatory, ...] = ()
    costimulatory_either: tuple[Costimulatory, ...] = Field(
        (), description="Domains stated as alternatives ('CD28 or 4-1BB'): none is assigned."
    )
    generation: int | None = Field(None, ge=1, le=5)
    cell_source: CellSource | None = None
    donor: Donor | None = None
    dose: Dose | None = None
    fractions: int | None = Field(None, ge=1, le=10, description="Split dose: number of fractions.")
    lymphodepletion: Lymphodepletion | None = None
    trial: ShortText | None = Field(None, description="Trial registration, e.g. NCT02349698.")

    @model_validator(mode="before")
    @classmethod
    def _fill_from_product(cls, data: object) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("product"), str):
            return data
        term = load_vocabulary("car_t_products").lookup(data["product"])
        if term is None or term.id == "investigational":
            return data
        fixed = term.attributes
        data = dict(data)
        for key in ("target", "cell_source"):
            if key in fixed:
                given = data.get(key)
                if given is None:
                    data[key] = fixed[key]
                elif given != fixed[key]:
                    raise ValueError(f"{term.label} is {fixed[key]} ({key}), not {given}")
        if "costimulatory" in fixed:
            given = data.get("costimulatory")
            if isinstance(given, str):
                given = [given]
            if not given:
                data["costimulatory"] = list(fixed["costimulatory"])
            elif not isinstance(given, list | tuple) or not all(isinstance(g, str) for g in given):
                pass  # malformed: field validation reports it with its location
            elif list(given) != list(fixed["costimulatory"]):
                raise ValueError(
                    f"{term.label} has costimulatory domain {', '.join(fixed['costimulatory'])}, "
                    f"not {', '.join(given)}"
                )
        return data

    @model_validator(mode="after")
    def _donor_consistent(self) -> CarTInfusion:
        if self.donor is not None and self.cell_source == "autologous":
            raise ValueError("an autologous CAR-T has no donor; set cell_source: donor_derived")
        overlap = set(self.costimulatory) & set(self.costimulatory_either)
        if overlap:
            raise ValueError("a domain cannot be both assigned and stated as an alternative")
        return self


# --- transplant --------------------------------------------------------------------------------


class Conditioning(Frozen):
    intensity: Literal["myeloablative", "reduced_intensity", "nonmyeloablative"] | None = None
    agents: tuple[Agent, ...] = ()
    tbi_gy: float | None = Field(None, ge=0, le=20)
    note: Text | None = None


class HSCT(_EventBase):
    """A haematopoietic stem-cell transplant (allogeneic unless stated autologous)."""

    type: Literal["hsct"]
    date: TimePoint | None = None
    kind: Literal["allogeneic", "autologous"] = "allogeneic"
    donor_type: DonorType | None = None
    donor: Donor | None = None
    graft_source: Literal["bone_marrow", "peripheral_blood", "cord_blood"] | None = None
    conditioning: Conditioning | None = None

    @model_validator(mode="after")
    def _auto_has_no_donor(self) -> HSCT:
        if self.kind == "autologous" and (self.donor is not None or self.donor_type is not None):
            raise ValueError("an autologous transplant has no donor")
        return self


# --- disease -----------------------------------------------------------------------------------


class Relapse(_EventBase):
    """A relapse (or the first documentation of refractory disease at a site).

    ``number`` is the ordinal the report gives ("4th relapse" → 4). ``molecular`` marks a relapse
    seen only by MRD or fusion transcripts, with marrow blasts below 5 %.
    """

    type: Literal["relapse"]
    date: TimePoint | None = None
    number: int | None = Field(None, ge=1, le=20)
    sites: tuple[Site, ...] = Field((), description="Sites involved; empty when not stated.")
    marrow_blasts_pct: float | None = Field(None, ge=0, le=100)
    cd19: Literal["positive", "negative", "dim", "partial"] | None = None
    cd22: Literal["positive", "negative", "dim", "partial"] | None = None
    molecular: bool = False
    kinase_mutations: tuple[ShortText, ...] = Field(
        (), description="ABL1 kinase-domain mutations found at this relapse (T315I)."
    )
    genetics: tuple[ShortText, ...] = Field(
        (), description="Other genetic findings at this relapse."
    )
    refractory: bool | None = Field(
        None, description="Refractory to the salvage therapy given for it."
    )
    lineage_switch: bool = False
    cns_status: Literal["CNS1", "CNS2", "CNS3"] | None = None
    extent: ShortText | None = Field(
        None, description="As stated: 'massive extramedullary component'."
    )


class MRD(Frozen):
    """Measurable residual disease: a fraction of cells (1e-4 = 0.01 %), or detected/undetected.

    ``value`` is a fraction, never a percentage. ``detectable: false`` with no value means "MRD
    negative" as reported, at the method's sensitivity if given.
    """

    value: float | None = Field(None, ge=0, le=1)
    detectable: bool | None = None
    method: Literal["flow", "rq_pcr_ig_tr", "rt_qpcr_fusion", "ngs", "unspecified"] = "unspecified"
    sensitivity: float | None = Field(None, gt=0, le=0.1)
    sample: Literal["marrow", "blood"] = "marrow"

    @model_validator(mode="after")
    def _value_or_flag(self) -> MRD:
        if self.value is None and self.detectable is None:
            raise ValueError("MRD needs a value (a fraction) or detectable: true/false")
        if self.value is not None and self.value > 0 and self.detectable is False:
            raise ValueError("an MRD value above zero cannot be 'not detectable'")
        return self


class CSFFindings(Frozen):
    """Cerebrospinal fluid: counts per microlitre and whether blasts were seen on cytospin."""

    wbc_per_ul: float | None = Field(None, ge=0, le=1e6)
    rbc_per_ul: float | None = Field(None, ge=0, le=1e8)
    blasts_present: bool | None = None
    blood_wbc_per_ul: float | None = Field(None, ge=0, le=1e7)
    blood_rbc_per_ul: float | None = Field(None, ge=0, le=1e8)
    clinical_signs: bool = Field(
        False, description="Cranial nerve palsy, CNS mass, eye involvement."
    )
    cns_status_stated: Literal["CNS1", "CNS2", "CNS3"] | None = None


class ExtramedullaryFinding(Frozen):
    site: Site
    status: Literal["present", "reduced", "resolved", "absent", "new"]


class Imaging(Frozen):
    modality: Literal["PET/CT", "CT", "MRI", "ultrasound", "x-ray", "other"]
    result: Literal["positive", "reduced", "negative"]
    sites: tuple[Site, ...] = ()
    finding: Text | None = None


class DiseaseAssessment(_EventBase):
    """What was found at one assessment: marrow, MRD, CSF, imaging, and the response as stated.

    ``assesses`` names the therapy or infusion the assessment judges (its response), e.g. the
    day-28 marrow after ``car1``.
    """

    type: Literal["disease_assessment"]
    date: TimePoint | None = None
    assesses: Identifier | None = None
    response: ResponseCode | None = Field(None, description="Response as stated in the source.")
    marrow_blasts_pct: float | None = Field(None, ge=0, le=100)
    blood_blasts_pct: float | None = Field(None, ge=0, le=100)
    anc_10e9_l: float | None = Field(None, ge=0, le=500)
    platelets_10e9_l: float | None = Field(None, ge=0, le=5000)
    transfusion_independent: bool | None = None
    mrd: MRD | None = None
    csf: CSFFindings | None = None
    extramedullary: tuple[ExtramedullaryFinding, ...] = ()
    imaging: tuple[Imaging, ...] = ()
    car_t_detected: bool | None = Field(None, description="CAR-T cells detectable (persistence).")
    b_cell_aplasia: bool | None = None


# --- toxicity ----------------------------------------------------------------------------------


class StatedGrade(Frozen):
    """A grade as written, with its scale; ``0`` means stated absent ("no CRS")."""

    grade: int = Field(ge=0, le=5)
    scale: ScaleField = "unspecified"


class ToxicityEpisode(_EventBase):
    """An episode of CRS, ICANS, GVHD or another toxicity: onset, resolution, maximum grade.

    ``grade`` is the grade the source states, in its scale; "not assessed" is no grade at all,
    never 0. A grade computed from daily assessments is derived by the rules, not stored here.
    """

    type: Literal["toxicity"]
    syndrome: Literal[
        "crs", "icans", "gvhd", "iec_hs", "infection", "cytopenia", "tumour_lysis", "other"
    ]
    term: ShortText | None = Field(
        None, description="CTCAE term for 'other' (tremor, seizure, fever)."
    )
    after: Identifier | None = Field(
        None, description="The infusion or course the episode follows."
    )
    onset: TimePoint | None = None
    resolved: TimePoint | None = None
    grade: StatedGrade | None = None
    gvhd_kind: Literal["acute", "chronic", "overlap"] | None = None
    organs: tuple[ShortText, ...] = ()
    treatments: tuple[Agent, ...] = ()

    @model_validator(mode="after")
    def _term_for_other(self) -> ToxicityEpisode:
        if self.syndrome == "other" and not self.term:
            raise ValueError("a toxicity of syndrome 'other' needs a term (e.g. tremor, seizure)")
        if self.gvhd_kind is not None and self.syndrome != "gvhd":
            raise ValueError("gvhd_kind is only for syndrome: gvhd")
        return self


# --- outcome -----------------------------------------------------------------------------------


class Death(_EventBase):
    type: Literal["death"]
    date: TimePoint | None = None
    cause: Literal[
        "disease", "crs", "icans", "infection", "gvhd", "treatment_related", "other", "unknown"
    ] = "unknown"


class FollowUp(_EventBase):
    """A last-contact (or intermediate) follow-up: alive, and in what disease state."""

    type: Literal["follow_up"]
    date: TimePoint | None = None
    alive: bool = True
    disease_status: Literal["remission", "relapse", "refractory", "unknown"] = "unknown"
    car_t_persistence: bool | None = None
    b_cell_aplasia: bool | None = None


class OtherEvent(_EventBase):
    """Anything else worth placing on the timeline (a trial enrolment, a complication)."""

    type: Literal["other"]
    date: TimePoint | None = None
    label: ShortText


Event = Annotated[
    Therapy
    | CarTInfusion
    | HSCT
    | Relapse
    | DiseaseAssessment
    | ToxicityEpisode
    | Death
    | FollowUp
    | OtherEvent,
    Field(discriminator="type"),
]

#: How each event type is named in messages and tables.
EVENT_LABELS: dict[str, str] = {
    "therapy": "therapy",
    "car_t_infusion": "CAR-T infusion",
    "hsct": "HSCT",
    "relapse": "relapse",
    "disease_assessment": "disease assessment",
    "toxicity": "toxicity episode",
    "death": "death",
    "follow_up": "follow-up",
    "other": "event",
}

EVENT_TYPES: dict[str, type[_EventBase]] = {
    "therapy": Therapy,
    "car_t_infusion": CarTInfusion,
    "hsct": HSCT,
    "relapse": Relapse,
    "disease_assessment": DiseaseAssessment,
    "toxicity": ToxicityEpisode,
    "death": Death,
    "follow_up": FollowUp,
    "other": OtherEvent,
}


#: The field holding each event type's own time.
TIME_FIELD: dict[str, str] = {"therapy": "start", "toxicity": "onset"}


def event_time(event: _EventBase) -> object:
    """The time an event is placed at (its date, start or onset)."""
    return getattr(event, TIME_FIELD.get(getattr(event, "type", ""), "date"), None)


def field_value(event: _EventBase, name: str) -> Any:
    """An event's field, or None when its type has no such field (no slow attribute miss)."""
    return getattr(event, name) if name in type(event).model_fields else None
