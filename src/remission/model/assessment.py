"""One bedside toxicity assessment (CRS or ICANS) at one time, and the grade computed from it.

This vocabulary is both the case-file format for daily observations and the JSON contract of
the bedside calculator (``remission grade --json``). Anything omitted means *not present /
normal*, with two deliberate exceptions where "not recorded" is not the same as "normal":

- ``CRSAssessment.temperature_c`` omitted means *no temperature recorded*; fever is the entry
  criterion of CRS, so the grading says "not assessable" rather than guessing;
- ``ICANSAssessment.ice_score`` / ``capd_score`` omitted means *the test was not done*.

The grading itself lives in :mod:`remission.rules`; this module only describes and validates
what was observed. It imports nothing of remission except :mod:`remission.exceptions`.

Vocabularies (agents, oxygen devices, neurological findings) accept the usual synonyms and store
one canonical term, so text, YAML, JSON and FHIR meet in one term.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from remission.exceptions import GradingInputError, Problem

__all__ = [
    "CAPD_ITEMS",
    "CONSCIOUSNESS_LEVELS",
    "ICANS_DOMAIN_PHRASES",
    "ICANS_DOMAIN_TERMS",
    "ICANS_RECORDED_FINDINGS",
    "ICE_ITEM_MAXIMA",
    "ICP_EDEMA_FINDINGS",
    "MOTOR_FINDINGS",
    "OXYGEN_DEVICES",
    "OXYGEN_DEVICE_SYNONYMS",
    "SEIZURE_FINDINGS",
    "VASOPRESSOR_AGENTS",
    "CRSAssessment",
    "CapdItems",
    "Consciousness",
    "DeviceName",
    "GradeResult",
    "ICANSAssessment",
    "IceItems",
    "IcpEdema",
    "Motor",
    "OxygenDevice",
    "OxygenSupport",
    "Seizure",
    "Syndrome",
    "ToxicityAssessment",
    "VasopressorName",
    "normalize_oxygen_device",
    "normalize_vasopressor",
    "parse_assessment",
    "parse_assessments",
    "validation_problems",
]

Syndrome = Literal["crs", "icans"]

# --------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------

#: Vasoactive agents a CRS assessment may list, canonical name -> accepted synonyms.
#: Which of them count toward the ASTCT hypotension tier is a grading rule, kept with the other
#: CRS thresholds in ``remission/rules/criteria/astct2019_crs.yaml`` (vasopressin never counts
#: toward "multiple"; dobutamine and milrinone are inotropes, not vasopressors).
VASOPRESSOR_AGENTS: dict[str, tuple[str, ...]] = {
    "norepinephrine": ("noradrenaline", "norepi", "levarterenol", "levophed"),
    "epinephrine": ("adrenaline", "epi"),
    "phenylephrine": ("neosynephrine", "neo-synephrine"),
    "dopamine": (),
    "vasopressin": ("arginine vasopressin", "avp", "argipressin"),
    "angiotensin_ii": ("angiotensin ii", "angiotensin 2", "giapreza"),
    "dobutamine": (),
    "milrinone": (),
}

OxygenDevice = Literal[
    "none",
    "nasal_cannula",
    "blow_by",
    "high_flow_nasal_cannula",
    "simple_facemask",
    "non_rebreather",
    "venturi_mask",
    "cpap",
    "bipap",
    "invasive_mechanical_ventilation",
]
OXYGEN_DEVICES: tuple[str, ...] = get_args(OxygenDevice)

#: Accepted spellings of the oxygen devices (compared without case, spaces or punctuation).
OXYGEN_DEVICE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "none": ("room air", "ra", "no oxygen", "no supplemental oxygen"),
    "nasal_cannula": ("nc", "low-flow nasal cannula", "lfnc", "nasal prongs", "nasal cannulae"),
    "blow_by": ("blow-by", "blowby", "blow by oxygen"),
    "high_flow_nasal_cannula": (
        "hfnc",
        "high-flow nasal cannula",
        "hfno",
        "high-flow nasal oxygen",
        "optiflow",
    ),
    "simple_facemask": ("facemask", "face mask", "simple face mask", "simple mask"),
    "non_rebreather": ("nrb", "non-rebreather mask", "nonrebreather", "nrbm", "reservoir mask"),
    "venturi_mask": ("venturi", "venti mask", "venti-mask"),
    "cpap": ("continuous positive airway pressure",),
    "bipap": ("bilevel positive airway pressure", "bilevel", "bpap", "bi-level"),
    "invasive_mechanical_ventilation": (
        "mechanical ventilation",
        "intubated",
        "intubation",
        "intubation and mechanical ventilation",
        "ventilator",
        "imv",
    ),
}

Consciousness = Literal[
    "normal",
    "depressed_awakens_spontaneously",
    "awakens_to_voice",
    "awakens_only_to_tactile",
    "vigorous_stimuli_or_unarousable",
]
CONSCIOUSNESS_LEVELS: tuple[str, ...] = get_args(Consciousness)

Seizure = Literal[
    "none",
    "rapidly_resolving_clinical",
    "nonconvulsive_eeg_resolved_with_intervention",
    "prolonged_over_5_min",
    "repetitive_without_return_to_baseline",
]
SEIZURE_FINDINGS: tuple[str, ...] = get_args(Seizure)

Motor = Literal["none", "deep_focal_weakness"]
MOTOR_FINDINGS: tuple[str, ...] = get_args(Motor)

IcpEdema = Literal[
    "none",
    "focal_edema",
    "diffuse_edema",
    "decerebrate_or_decorticate_posturing",
    "cn6_palsy",
    "papilledema",
    "cushing_triad",
]
ICP_EDEMA_FINDINGS: tuple[str, ...] = get_args(IcpEdema)

#: Neurological findings recorded with an ICANS assessment that never grade ICANS (ASTCT 2019,
#: ICANS table footnotes: tremor and myoclonus are graded with CTCAE; intracranial haemorrhage,
#: with or without associated edema, is not an ICANS feature). canonical -> synonyms.
#: Other free-text findings are kept as written (lower case, spaces as underscores).
ICANS_RECORDED_FINDINGS: dict[str, tuple[str, ...]] = {
    "tremor": ("tremors",),
    "myoclonus": ("myoclonic jerks", "myoclonia"),
    "headache": ("headaches", "cephalalgia"),
    "intracranial_hemorrhage": (
        "intracranial haemorrhage",
        "ich",
        "intracerebral hemorrhage",
        "intracerebral haemorrhage",
        "brain hemorrhage",
        "brain haemorrhage",
        "subdural hematoma",
        "subdural haematoma",
        "subarachnoid hemorrhage",
        "subarachnoid haemorrhage",
    ),
}

#: Words that name a *grading* ICANS domain. They are refused in ``other_findings`` (where they
#: would be silently ignored) and the user is sent to the field that grades them. A term matches
#: the start of a word ("oedema" in "cerebral oedema", not "angioedema"; "coma", not "glaucoma");
#: terms in ``ICANS_DOMAIN_PHRASES`` match the text with spaces and punctuation removed.
ICANS_DOMAIN_TERMS: dict[str, str] = {
    "seizure": "seizure",
    "convulsi": "seizure",
    "nonconvulsi": "seizure",
    "epilepticus": "seizure",
    "edema": "icp_edema",
    "oedema": "icp_edema",
    "papill": "icp_edema",
    "posturing": "icp_edema",
    "decerebrat": "icp_edema",
    "decorticat": "icp_edema",
    "cushing": "icp_edema",
    "abducens": "icp_edema",
    "hemiparesis": "motor",
    "paraparesis": "motor",
    "hemiplegi": "motor",
    "paraplegi": "motor",
    "coma": "consciousness",
    "stupor": "consciousness",
    "unarousable": "consciousness",
    "obtunded": "consciousness",
}
ICANS_DOMAIN_PHRASES: dict[str, str] = {
    "cn6": "icp_edema",
    "cnvi": "icp_edema",
    "sixthnerve": "icp_edema",
    "cranialnervevi": "icp_edema",
    "cranialnerve6": "icp_edema",
}

#: ICE items (ASTCT 2019, ICE score table) and the most points each can give; total 10.
ICE_ITEM_MAXIMA: dict[str, int] = {
    "orientation": 4,
    "naming": 3,
    "commands": 1,
    "writing": 1,
    "attention": 1,
}

#: The eight CAPD items (Cornell Assessment of Pediatric Delirium), each scored 0-4 *as points*
#: (the first four are reverse-scored by the rater: "always" = 0 ... "never" = 4); total 0-32.
CAPD_ITEMS: tuple[str, ...] = (
    "eye_contact",
    "purposeful_actions",
    "aware_of_surroundings",
    "communicates_needs",
    "restless",
    "inconsolable",
    "underactive",
    "slow_to_respond",
)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _synonym_index(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, synonyms in table.items():
        for name in (canonical, canonical.replace("_", " "), *synonyms):
            index[_key(name)] = canonical
    return index


_VASOPRESSOR_INDEX = _synonym_index(VASOPRESSOR_AGENTS)
_DEVICE_INDEX = _synonym_index(OXYGEN_DEVICE_SYNONYMS)
_FINDING_INDEX = _synonym_index(ICANS_RECORDED_FINDINGS)
_VASOPRESSOR_NAMES = [n for c, syn in VASOPRESSOR_AGENTS.items() for n in (c, *syn)]
_DOMAIN_VALUES: dict[str, tuple[str, ...]] = {
    "seizure": SEIZURE_FINDINGS,
    "icp_edema": ICP_EDEMA_FINDINGS,
    "motor": MOTOR_FINDINGS,
    "consciousness": CONSCIOUSNESS_LEVELS,
}


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    options = list(choices)
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not close and len(value) >= 3:
        # "flow" -> "flow_l_min", "temperature" -> "temperature_c"
        starts = [o for o in options if o.lower().startswith(value.lower())]
        close = starts if len(starts) == 1 else []
    return f" (did you mean '{close[0]}'?)" if close else ""


def normalize_vasopressor(value: Any) -> str:
    """The canonical name of a vasoactive agent ("Noradrenaline" -> "norepinephrine").

    Raises ``ValueError`` naming every known agent when the name is not recognised.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected the name of a vasopressor, got {value!r}")
    found = _VASOPRESSOR_INDEX.get(_key(value))
    if found is None:
        known = ", ".join(
            f"{name} ({', '.join(syn)})" if syn else name
            for name, syn in VASOPRESSOR_AGENTS.items()
        )
        hint = _did_you_mean(value.lower(), _VASOPRESSOR_NAMES)
        raise ValueError(f"unknown vasopressor {value!r}{hint}; known agents: {known}")
    return found


def normalize_oxygen_device(value: Any) -> Any:
    """The canonical oxygen device for a usual spelling ("HFNC", "room air", "NRB").

    Unknown strings are returned unchanged, so validation reports them with the allowed values.
    """
    if isinstance(value, str):
        return _DEVICE_INDEX.get(_key(value), value)
    return value


def _custom(message: str) -> PydanticCustomError:
    return PydanticCustomError("remission", message)


def _vasopressor(value: Any) -> str:
    try:
        return normalize_vasopressor(value)
    except ValueError as exc:
        raise _custom(str(exc)) from None


def _other_finding(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _custom(f"expected a finding as text (e.g. tremor), got {value!r}")
    key = _key(value)
    words = re.findall(r"[a-z0-9]+", value.lower())
    hits = [
        *(t for term, t in ICANS_DOMAIN_TERMS.items() if any(w.startswith(term) for w in words)),
        *(t for term, t in ICANS_DOMAIN_PHRASES.items() if term in key),
    ]
    if hits:
        target = hits[0]
        raise _custom(
            f"{value.strip()!r} grades ICANS: record it in '{target}' (allowed values: "
            f"{', '.join(_DOMAIN_VALUES[target])}), not in other_findings"
        )
    canonical = _FINDING_INDEX.get(key)
    if canonical is not None:
        return canonical
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


VasopressorName = Annotated[str, BeforeValidator(_vasopressor)]
DeviceName = Annotated[OxygenDevice, BeforeValidator(normalize_oxygen_device)]
OtherFinding = Annotated[str, BeforeValidator(_other_finding)]
OrganName = Annotated[str, Field(min_length=1)]
CtcaeGrade = Annotated[int, Field(ge=1, le=5)]


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OxygenSupport(_Frozen):
    """The oxygen support in use. ``flow_l_min`` matters for nasal cannulae only (ASTCT 2019
    defines low-flow as <= 6 L/min and high-flow as > 6 L/min)."""

    device: DeviceName = "none"
    flow_l_min: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)

    @field_validator("flow_l_min")
    @classmethod
    def _flow_needs_device(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is not None and v > 0 and info.data.get("device") == "none":
            raise _custom(
                f"a flow of {v:g} L/min is recorded but the device is 'none': name the device "
                f"(allowed values: {', '.join(OXYGEN_DEVICES)})"
            )
        return v


class CRSAssessment(_Frozen):
    """CRS findings at one time (the worst in the period the assessment covers).

    Fields follow the ASTCT 2019 CRS grading table: fever (with its attribution and the
    masking rule), hypotension by the support it needs, hypoxia by the oxygen device.
    """

    syndrome: Literal["crs"] = "crs"
    temperature_c: float | None = Field(
        None,
        description="Highest temperature in deg C; omitted = no temperature recorded (CRS is "
        "then not assessable unless fever is masked or the fever has another cause).",
    )
    fever_other_cause: bool = Field(
        False, description="Fever attributed to another cause (e.g. a documented infection)."
    )
    fever_masked_after_crs: bool = Field(
        False,
        description="CRS was already established and antipyretics or anti-cytokine therapy "
        "(tocilizumab, corticosteroids) were then given: fever is no longer required.",
    )
    hypotension: bool = False
    fluids_only: bool = Field(
        False, description="Hypotension managed with fluids alone (implies hypotension)."
    )
    vasopressors: list[VasopressorName] = Field(
        default_factory=list,
        description="Vasoactive agents given for hypotension (synonyms accepted; duplicates "
        "merged).",
    )
    oxygen: OxygenSupport = Field(default_factory=OxygenSupport)
    organ_toxicity_ctcae: dict[OrganName, CtcaeGrade] = Field(
        default_factory=dict,
        description="Organ toxicities with their CTCAE grade; recorded, never change the CRS "
        "grade.",
    )
    death_due_to_crs: bool = False

    @field_validator("temperature_c", mode="before")
    @classmethod
    def _temperature_is_number(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise _custom("expected a temperature in deg C (a number), got a true/false value")
        return v

    @field_validator("temperature_c")
    @classmethod
    def _temperature_plausible(cls, v: float | None) -> float | None:
        if v is None:
            return v
        if math.isnan(v) or math.isinf(v):
            raise _custom("expected a finite temperature in deg C")
        if 95.0 <= v <= 113.0:
            raise _custom(
                f"{v:g} looks like deg F ({v:g} F = {(v - 32) * 5 / 9:.1f} C); give the "
                f"temperature in deg C (plausible range 25-45)"
            )
        if not 25.0 <= v <= 45.0:
            raise _custom(f"{v:g} deg C is outside the plausible range 25-45 deg C")
        return v

    @field_validator("vasopressors")
    @classmethod
    def _pressors(cls, v: list[str], info: ValidationInfo) -> list[str]:
        unique = list(dict.fromkeys(v))
        if unique and info.data.get("fluids_only"):
            raise _custom(
                f"fluids_only is true but vasopressors are listed ({', '.join(unique)}): "
                f"give one or the other"
            )
        return unique


class IceItems(_Frozen):
    """The ICE score item by item (ASTCT 2019, ICE score table)."""

    orientation: int = Field(ge=0, le=4, description="Year, month, city, hospital: 1 each.")
    naming: int = Field(ge=0, le=3, description="Names 3 objects: 1 each.")
    commands: int = Field(ge=0, le=1, description="Follows simple commands.")
    writing: int = Field(ge=0, le=1, description="Writes a standard sentence.")
    attention: int = Field(ge=0, le=1, description="Counts backwards from 100 by 10.")

    @property
    def total(self) -> int:
        return self.orientation + self.naming + self.commands + self.writing + self.attention


class CapdItems(_Frozen):
    """The eight CAPD items, each as points 0-4 (reverse scoring of the first four already
    applied by the rater)."""

    eye_contact: int = Field(ge=0, le=4)
    purposeful_actions: int = Field(ge=0, le=4)
    aware_of_surroundings: int = Field(ge=0, le=4)
    communicates_needs: int = Field(ge=0, le=4)
    restless: int = Field(ge=0, le=4)
    inconsolable: int = Field(ge=0, le=4)
    underactive: int = Field(ge=0, le=4)
    slow_to_respond: int = Field(ge=0, le=4)

    @property
    def total(self) -> int:
        return sum(getattr(self, name) for name in CAPD_ITEMS)


class ICANSAssessment(_Frozen):
    """ICANS findings at one time, in the five ASTCT 2019 domains plus recorded extras.

    ``age_years`` is required for grading (ICE at age >= 12, CAPD below 12); it may be omitted
    here so that a case file can supply it from the patient's record before grading.
    """

    syndrome: Literal["icans"] = "icans"
    age_years: float | None = Field(None, ge=0, le=130, allow_inf_nan=False)
    ice_score: int | None = Field(
        None, ge=0, le=10, description="ICE 0-10; omitted = not done (could not be performed)."
    )
    ice_items: IceItems | None = None
    capd_score: int | None = Field(
        None, ge=0, le=32, description="CAPD 0-32 (children < 12 y); omitted = not done."
    )
    capd_items: CapdItems | None = None
    consciousness: Consciousness = "normal"
    consciousness_other_cause: bool = Field(
        False,
        description="Depressed consciousness explained by something else (e.g. sedating drugs).",
    )
    seizure: Seizure = "none"
    motor: Motor = "none"
    icp_edema: IcpEdema = "none"
    other_findings: list[OtherFinding] = Field(
        default_factory=list,
        description="Recorded, never grade ICANS: tremor, myoclonus, headache, intracranial "
        "haemorrhage, free text.",
    )
    death_due_to_icans: bool = False

    @field_validator("ice_items")
    @classmethod
    def _ice_agrees(cls, v: IceItems | None, info: ValidationInfo) -> IceItems | None:
        score = info.data.get("ice_score")
        if v is not None and score is not None and v.total != score:
            raise _custom(
                f"the ICE items add up to {v.total} but ice_score is {score}: correct one of them"
            )
        return v

    @field_validator("capd_items")
    @classmethod
    def _capd_agrees(cls, v: CapdItems | None, info: ValidationInfo) -> CapdItems | None:
        score = info.data.get("capd_score")
        if v is not None and score is not None and v.total != score:
            raise _custom(
                f"the CAPD items add up to {v.total} but capd_score is {score}: correct one of them"
            )
        return v

    @field_validator("other_findings")
    @classmethod
    def _unique_findings(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))

    @property
    def ice_total(self) -> int | None:
        """The ICE score, from ``ice_score`` or the sum of ``ice_items``; None if not done."""
        if self.ice_score is not None:
            return self.ice_score
        return self.ice_items.total if self.ice_items is not None else None

    @property
    def capd_total(self) -> int | None:
        """The CAPD score, from ``capd_score`` or the sum of ``capd_items``; None if not done."""
        if self.capd_score is not None:
            return self.capd_score
        return self.capd_items.total if self.capd_items is not None else None


#: Either assessment, told apart by ``syndrome``.
ToxicityAssessment = Annotated[CRSAssessment | ICANSAssessment, Field(discriminator="syndrome")]


class GradeResult(_Frozen):
    """A grade computed from one assessment, with what set it.

    ``grade`` None means *not assessable* (never the same as 0); ``reason`` then says why and
    ``at_least`` gives the grade the recorded findings already establish, if above 0.
    ``drivers`` are the inputs that set the grade; ``notes`` are findings recorded but not
    grading (tremor, organ toxicity, vasopressin not counted, fever with another cause...).
    """

    syndrome: Syndrome
    grade: int | None = Field(ge=0, le=5)
    drivers: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    scale: Literal["ASTCT 2019"] = "ASTCT 2019"
    reason: str | None = None
    at_least: int | None = Field(None, ge=1, le=4)

    @model_validator(mode="after")
    def _reason_iff_not_assessable(self) -> GradeResult:
        if self.grade is None and not self.reason:
            raise ValueError("a grade that is not assessable needs a reason")
        if self.grade is not None and (self.reason is not None or self.at_least is not None):
            raise ValueError("reason and at_least are only for a grade that is not assessable")
        return self


# --------------------------------------------------------------------------------------------
# Parsing lists of assessments, collecting every problem
# --------------------------------------------------------------------------------------------

_MODELS: dict[str, type[_Frozen]] = {"crs": CRSAssessment, "icans": ICANSAssessment}

_NESTED: dict[tuple[type[BaseModel], str], type[BaseModel]] = {
    (CRSAssessment, "oxygen"): OxygenSupport,
    (ICANSAssessment, "ice_items"): IceItems,
    (ICANSAssessment, "capd_items"): CapdItems,
}


def _model_at(model: type[BaseModel], path: Sequence[Any]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in path:
        if current is None:
            return None
        current = _NESTED.get((current, part)) if isinstance(part, str) else None
    return current


def _format_loc(prefix: str, loc: Sequence[Any]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _allowed(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def _message(err: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "remission":
        return str(err.get("msg", ""))
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        parent = _model_at(model, loc[:-1])
        hint = ""
        if parent is not None:
            hint = _did_you_mean(name, parent.model_fields)
            known = ", ".join(parent.model_fields)
            return f"unknown field '{name}'{hint}; known fields: {known}"
        return f"unknown field '{name}'"
    if kind == "missing":
        name = str(loc[-1]) if loc else ""
        return f"required field '{name}' is missing"
    if kind == "literal_error":
        allowed = _allowed(str(ctx.get("expected", "")))
        hint = _did_you_mean(str(value), allowed) if isinstance(value, str) else ""
        return f"{value!r} is not allowed{hint}; allowed values: {', '.join(allowed)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected an object with named fields, got {type(value).__name__}"
    msg = str(err.get("msg", "invalid value"))
    return f"{msg} (got {value!r})" if value is not None else msg


def validation_problems(
    error: ValidationError,
    model: type[BaseModel],
    *,
    where: str | None = None,
    prefix: str = "",
    line: int | None = None,
) -> list[Problem]:
    """Every error of a pydantic ``ValidationError`` as a located :class:`Problem`.

    ``prefix`` is prepended to the field path (``"[2]"`` gives ``"[2].oxygen.device"``).
    Unknown fields get the closest known field name suggested.
    """
    problems = []
    for err in error.errors():
        loc = tuple(err.get("loc", ()))
        problems.append(
            Problem(
                message=_message(err, model),
                where=where,
                line=line,
                field=_format_loc(prefix, loc) or None,
            )
        )
    return problems


def _parse_one(
    item: Any, *, where: str, prefix: str
) -> tuple[CRSAssessment | ICANSAssessment | None, list[Problem]]:
    allowed = ", ".join(_MODELS)
    if isinstance(item, BaseModel) and isinstance(item, CRSAssessment | ICANSAssessment):
        return item, []
    if not isinstance(item, Mapping):
        return None, [
            Problem(
                f"each assessment must be an object with a 'syndrome' ({allowed}), "
                f"got {type(item).__name__}",
                where=where,
                field=prefix or None,
            )
        ]
    data = dict(item)
    syndrome = data.get("syndrome")
    field = _format_loc(prefix, ("syndrome",))
    if syndrome is None:
        return None, [
            Problem(
                f"required field 'syndrome' is missing; allowed values: {allowed}",
                where=where,
                field=field,
            )
        ]
    if isinstance(syndrome, str) and syndrome.strip().lower() in _MODELS:
        syndrome = syndrome.strip().lower()
        data["syndrome"] = syndrome
    else:
        hint = _did_you_mean(syndrome.lower(), _MODELS) if isinstance(syndrome, str) else ""
        return None, [
            Problem(
                f"{syndrome!r} is not allowed{hint}; allowed values: {allowed}",
                where=where,
                field=field,
            )
        ]
    model = _MODELS[syndrome]
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        return None, validation_problems(exc, model, where=where, prefix=prefix)
    assert isinstance(parsed, CRSAssessment | ICANSAssessment)
    return parsed, []


def parse_assessment(
    item: Any, where: str = "<stdin>", field_prefix: str = ""
) -> CRSAssessment | ICANSAssessment:
    """One assessment from a mapping; raises :class:`GradingInputError` with every problem.

    ``field_prefix`` is prepended to each problem's field (``"[2]"`` -> ``"[2].oxygen.device"``).
    """
    parsed, problems = _parse_one(item, where=where, prefix=field_prefix)
    if problems or parsed is None:
        raise GradingInputError(problems)
    return parsed


def parse_assessments(items: Any, where: str = "<stdin>") -> list[CRSAssessment | ICANSAssessment]:
    """A list of assessments from a list of mappings (e.g. a JSON array).

    Collects every problem of every item (``field="[2].oxygen.device"``) before raising one
    :class:`GradingInputError`; nothing is returned unless every item is valid.
    """
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise GradingInputError(
            Problem(
                f"expected a list (JSON array) of assessments, got {type(items).__name__}; "
                f"wrap a single assessment in [ ]",
                where=where,
            )
        )
    parsed: list[CRSAssessment | ICANSAssessment] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        one, found = _parse_one(item, where=where, prefix=f"[{i}]")
        problems.extend(found)
        if one is not None:
            parsed.append(one)
    if problems:
        raise GradingInputError(problems)
    return parsed
