"""Grades stated in other scales, kept as stated, and their ASTCT 2019 equivalent when the
stated facts determine it.

There is no lossless mapping between CRS or neurotoxicity scales (Pennisi et al., Blood Adv
2020;4:676-686: the scales agreed on the *presence* of CRS in 99 % of patients but on the same
grade in 25 %). So a :class:`StatedGrade` keeps its scale and grade exactly as written, with
optional structured facts (vasopressors, oxygen, neurological findings), and :func:`to_astct`
translates only where those facts, together with what the stated grade allows, leave a single
ASTCT 2019 grade (project digest: ``shared/reference/clinical-criteria.md`` section 2.4).
Otherwise the translation is indeterminate and says what is missing.

The per-scale bounds live once, in ``criteria/scales.yaml``; scale names and their synonyms
are the model's vocabulary (:data:`remission.model.terms.GradeScale`).
"""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from remission.model.assessment import (
    Consciousness,
    DeviceName,
    IcpEdema,
    Motor,
    Seizure,
    VasopressorName,
)
from remission.model.terms import GradeScale, ScaleField
from remission.rules.criteria import load_criteria
from remission.rules.crs import CRS_CRITERIA, agent_label, hypoxia_tier
from remission.rules.icans import (
    UNAROUSABLE,
    DomainGrade,
    capd_domain,
    consciousness_domain,
    finding_domain,
    ice_domain,
)

__all__ = [
    "SCALE_CRITERIA",
    "CRSFacts",
    "ICANSFacts",
    "ScaleCriteria",
    "StatedGrade",
    "Translation",
    "load_scale_criteria",
    "scales_for",
    "to_astct",
]

CRITERIA_FILE = "scales.yaml"
ASTCT = "ASTCT 2019"
UNSPECIFIED = "unspecified"
_KNOWN_SCALES: tuple[str, ...] = get_args(GradeScale)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------
# The criteria file
# --------------------------------------------------------------------------------------------


class GradeBounds(_Strict):
    hypotension_max: int = Field(ge=1, le=4)
    hypoxia_max: int = Field(ge=1, le=4)
    means: str


class CRSScaleRule(_Strict):
    source: str
    grades: dict[int, GradeBounds]

    @model_validator(mode="after")
    def _grades_1_to_4(self) -> CRSScaleRule:
        if set(self.grades) != {1, 2, 3, 4}:
            raise ValueError(f"grades must be exactly 1-4, got {sorted(self.grades)}")
        return self


class NeuroScaleRule(_Strict):
    source: str
    note: str


class ScaleCriteria(_Strict):
    """How far a grade in an older scale bounds the ASTCT grade (``criteria/scales.yaml``)."""

    crs: dict[str, CRSScaleRule]
    icans: dict[str, NeuroScaleRule]

    @model_validator(mode="after")
    def _known_names(self) -> ScaleCriteria:
        for name in (*self.crs, *self.icans):
            if name not in _KNOWN_SCALES or name in (ASTCT, UNSPECIFIED):
                raise ValueError(
                    f"{name!r} is not an older scale of the vocabulary {list(_KNOWN_SCALES)}"
                )
        return self


def load_scale_criteria(path: str | Path | None = None) -> ScaleCriteria:
    """Load and validate the scales file (the packaged one unless ``path`` is given)."""
    return load_criteria(ScaleCriteria, CRITERIA_FILE, "scale criteria", path)


#: The packaged scale bounds.
SCALE_CRITERIA: ScaleCriteria = load_scale_criteria()


def scales_for(syndrome: Literal["crs", "icans"]) -> tuple[str, ...]:
    """The scales a stated grade of this syndrome may be in (canonical names)."""
    older = SCALE_CRITERIA.crs if syndrome == "crs" else SCALE_CRITERIA.icans
    return (ASTCT, *older, UNSPECIFIED)


# --------------------------------------------------------------------------------------------
# Stated grades and facts
# --------------------------------------------------------------------------------------------


class CRSFacts(_Strict):
    """What a report states about a CRS episode besides its grade; None = not stated."""

    syndrome: Literal["crs"] = "crs"
    fever: bool | None = None
    hypotension: bool | None = None
    vasopressor_count: int | None = Field(
        None, ge=0, le=10, description="Vasopressors given, vasopressin not counted; 0 = none."
    )
    vasopressor_agents: list[VasopressorName] | None = None
    high_dose_vasopressor: bool | None = None
    oxygen_device: DeviceName | None = None
    oxygen_flow_l_min: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    fio2: float | None = Field(None, ge=0.21, le=1.0, allow_inf_nan=False)
    mechanical_ventilation: bool | None = None
    organ_toxicity_only: bool | None = Field(
        None,
        description="The stated grade rests on organ toxicity alone: no hypotension, no hypoxia.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> CRSFacts:
        counted, vasopressin = self.pressors()
        if (
            self.vasopressor_agents is not None
            and self.vasopressor_count is not None
            and len(counted) != self.vasopressor_count
        ):
            raise ValueError(
                f"vasopressor_count is {self.vasopressor_count} but vasopressor_agents name "
                f"{len(counted)} vasopressors other than vasopressin"
            )
        any_pressor = (
            bool(counted)
            or vasopressin
            or bool(self.vasopressor_count)
            or bool(self.high_dose_vasopressor)
        )
        if self.hypotension is False and any_pressor:
            raise ValueError("hypotension is false but vasopressors are stated")
        if self.high_dose_vasopressor and self.vasopressor_count == 0 and not vasopressin:
            raise ValueError("high_dose_vasopressor is true but vasopressor_count is 0")
        if self.mechanical_ventilation is False and (
            self.oxygen_device == "invasive_mechanical_ventilation"
        ):
            raise ValueError("mechanical_ventilation is false but the device is ventilation")
        if self.organ_toxicity_only:
            support = (
                any_pressor
                or self.hypotension
                or self.mechanical_ventilation
                or (self.oxygen_device not in (None, "none"))
                or (self.fio2 is not None and self.fio2 > 0.21)
            )
            if support:
                raise ValueError(
                    "organ_toxicity_only means no hypotension and no hypoxia, but vasopressors, "
                    "hypotension or oxygen are stated"
                )
        return self

    def pressors(self) -> tuple[list[str], bool]:
        """Counted vasopressors (vasopressin and inotropes apart) and whether vasopressin was
        given, from ``vasopressor_agents`` when stated."""
        roles = CRS_CRITERIA.hypotension.agents
        agents = self.vasopressor_agents or []
        counted = [a for a in dict.fromkeys(agents) if roles[a] == "counted"]
        vasopressin = any(roles[a] == "not_counted_toward_multiple" for a in agents)
        return counted, vasopressin


class ICANSFacts(_Strict):
    """What a report states about a neurotoxicity episode besides its grade; None = not stated.

    ``cartox10_score`` is kept but never converted: CARTOX-10 and ICE have different items.
    """

    syndrome: Literal["icans"] = "icans"
    ice_score: int | None = Field(None, ge=0, le=10)
    capd_score: int | None = Field(None, ge=0, le=32)
    cartox10_score: int | None = Field(None, ge=0, le=10)
    consciousness: Consciousness | None = None
    consciousness_other_cause: bool = False
    seizure: Seizure | None = None
    motor: Motor | None = None
    icp_edema: IcpEdema | None = None

    @model_validator(mode="after")
    def _one_test(self) -> ICANSFacts:
        if self.ice_score is not None and self.capd_score is not None:
            raise ValueError("state the ICE score (age >= 12) or the CAPD score (< 12), not both")
        return self


Facts = Annotated[CRSFacts | ICANSFacts, Field(discriminator="syndrome")]


class StatedGrade(_Strict):
    """A toxicity grade exactly as a source states it, in its scale, with optional facts.

    ``scale`` accepts the usual spellings ("Lee", "NCI 2014", "UPenn", "CHOP", "CTCAE 4.03") and
    stores the canonical name; ``grade`` 0 means stated absent.
    """

    syndrome: Literal["crs", "icans"]
    scale: ScaleField
    grade: int = Field(ge=0, le=5)
    facts: Facts | None = None

    @model_validator(mode="before")
    @classmethod
    def _facts_syndrome(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("facts"), dict):
            facts = data["facts"]
            if "syndrome" not in facts and data.get("syndrome") in ("crs", "icans"):
                data = {**data, "facts": {"syndrome": data["syndrome"], **facts}}
        return data

    @model_validator(mode="after")
    def _scale_fits(self) -> StatedGrade:
        allowed = scales_for(self.syndrome)
        if self.scale not in allowed:
            raise ValueError(
                f"scale {self.scale!r} does not grade {self.syndrome.upper()}; scales for "
                f"{self.syndrome.upper()}: {', '.join(allowed)}"
            )
        if self.facts is not None and self.facts.syndrome != self.syndrome:
            raise ValueError(f"facts for {self.facts.syndrome} given with a {self.syndrome} grade")
        return self


class Translation(_Strict):
    """The ASTCT 2019 equivalent of a stated grade.

    ``grade`` is set only when ``determinate``; ``possible`` lists the ASTCT grades the stated
    grade and facts still allow (one when determinate). When the facts go beyond what the
    stated grade allows, the translation is not determinate, ``possible`` lists what the facts
    alone allow and ``reason`` says to check the source.
    """

    grade: int | None = Field(ge=0, le=5)
    determinate: bool
    reason: str
    possible: tuple[int, ...]

    @model_validator(mode="after")
    def _coherent(self) -> Translation:
        if self.determinate != (self.grade is not None):
            raise ValueError("a translation has a grade exactly when it is determinate")
        if self.determinate and self.possible != (self.grade,):
            raise ValueError("a determinate translation has exactly one possible grade")
        return self


# --------------------------------------------------------------------------------------------
# Translation
# --------------------------------------------------------------------------------------------

Range = tuple[int, int]


def _hypotension_range(f: CRSFacts) -> tuple[Range, str | None]:
    counted, vasopressin = f.pressors()
    n = len(counted) if f.vasopressor_agents is not None else f.vasopressor_count
    vp = " plus vasopressin (not counted)" if vasopressin and n else ""
    if n is not None and n >= 2:
        names = f" ({', '.join(agent_label(a) for a in counted)})" if counted else ""
        return (4, 4), f"{n} vasopressors{names}{vp} (ASTCT hypotension tier 4)"
    if n == 1:
        name = f" ({agent_label(counted[0])})" if counted else ""
        return (3, 3), f"one vasopressor{name}{vp} (ASTCT hypotension tier 3)"
    if vasopressin:
        return (3, 3), "vasopressin alone, one vasopressor (ASTCT hypotension tier 3)"
    if n == 0:
        if f.hypotension:
            return (2, 2), "hypotension without vasopressors (ASTCT hypotension tier 2)"
        if f.hypotension is False:
            return (1, 1), "no hypotension"
        return (1, 2), "no vasopressor"
    if f.high_dose_vasopressor:
        return (3, 4), None
    if f.hypotension is False:
        return (1, 1), "no hypotension"
    if f.hypotension:
        return (2, 4), None
    return (1, 4), None


def _hypoxia_range(f: CRSFacts) -> tuple[Range, str | None]:
    if f.mechanical_ventilation:
        return (4, 4), "mechanical ventilation (ASTCT hypoxia tier 4)"
    if f.oxygen_device is not None:
        g, text, _ = hypoxia_tier(f.oxygen_device, f.oxygen_flow_l_min)
        if text is None:
            return (1, 1), "no supplemental oxygen"
        tier = max(g, 1)
        return (tier, tier), f"{text.rsplit(' → ', 1)[0]} (ASTCT hypoxia tier {tier})"
    if f.fio2 is not None:
        if f.fio2 <= 0.21:
            return (1, 1), "room air (FiO2 0.21)"
        return (2, 4), None
    return (1, 4), None


def _possible(h: Range, o: Range) -> tuple[int, ...]:
    return tuple(
        sorted({max(1, x, y) for x, y in product(range(h[0], h[1] + 1), range(o[0], o[1] + 1))})
    )


def _or(grades: tuple[int, ...]) -> str:
    words = [str(g) for g in grades]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _crs(stated: StatedGrade, criteria: ScaleCriteria) -> Translation:
    f = stated.facts if isinstance(stated.facts, CRSFacts) else CRSFacts()
    label = f"{stated.scale} grade {stated.grade}"
    rule = criteria.crs.get(stated.scale)
    if rule is not None:
        bounds = rule.grades[stated.grade]
        cap_h, cap_o = bounds.hypotension_max, bounds.hypoxia_max
        label += f" ({bounds.means})"
    else:
        cap_h = cap_o = 4
        label += " (scale not stated: the grade itself bounds nothing)"

    hyp_text: str | None
    oxy_text: str | None
    if f.organ_toxicity_only:
        hyp, hyp_text = (1, 1), "no hypotension"
        oxy, oxy_text = (1, 1), "no hypoxia"
        said = ["the grade rests on organ toxicity alone, which ASTCT grades separately"]
    else:
        hyp, hyp_text = _hypotension_range(f)
        oxy, oxy_text = _hypoxia_range(f)
        said = [t for t in (hyp_text, oxy_text) if t]
    if f.high_dose_vasopressor:
        said.append("high dose (ASTCT ignores dose)")
    if f.fio2 is not None and f.fio2 > 0.21:
        said.append(f"FiO2 {f.fio2:.2f} (ASTCT grades by device and flow, not FiO2)")

    stated_text = "; ".join(said) if said else "no vasopressor or oxygen facts"
    if hyp[0] > cap_h or oxy[0] > cap_o:
        possible = _possible(hyp, oxy)
        return Translation(
            grade=None,
            determinate=False,
            possible=possible,
            reason=f"{label}: the stated facts ({stated_text}) go beyond what that grade "
            f"allows; check the source. From the facts alone: ASTCT {_or(possible)}",
        )
    hyp = (hyp[0], min(hyp[1], cap_h))
    oxy = (oxy[0], min(oxy[1], cap_o))
    possible = _possible(hyp, oxy)
    if f.fever is False:
        possible = (0, *possible)
        return Translation(
            grade=None,
            determinate=False,
            possible=possible,
            reason=f"{label}; stated: no fever. ASTCT requires fever ≥ 38.0 °C at onset, so "
            f"this is not CRS by ASTCT (0) unless the fever was masked by treatment given after "
            f"CRS was established (then ASTCT {_or(possible[1:])})",
        )
    if len(possible) == 1:
        return Translation(
            grade=possible[0],
            determinate=True,
            possible=possible,
            reason=f"{label}; stated: {stated_text}. ASTCT 2019 grade {possible[0]} "
            f"(the worse of the hypotension and hypoxia tiers; fever alone is 1)",
        )
    missing = []
    top = possible[-1]
    if hyp[0] != hyp[1] and hyp[1] >= top and hyp[1] > oxy[0]:
        missing.append("the vasopressors (how many, vasopressin apart) or their absence")
    if oxy[0] != oxy[1] and oxy[1] >= top and oxy[1] > hyp[0]:
        missing.append("the oxygen support (device, and flow for a nasal cannula)")
    return Translation(
        grade=None,
        determinate=False,
        possible=possible,
        reason=f"{label}; stated: {stated_text}. Could be ASTCT {_or(possible)}: state "
        f"{' and '.join(missing) or 'more facts'} to decide",
    )


def _icans(stated: StatedGrade, criteria: ScaleCriteria) -> Translation:
    f = stated.facts if isinstance(stated.facts, ICANSFacts) else ICANSFacts()
    label = f"{stated.scale} grade {stated.grade}"
    rule = criteria.icans.get(stated.scale)
    extra = f" ({rule.note})" if rule is not None else " (scale not stated)"
    level = f.consciousness
    other = f.consciousness_other_cause
    unarousable = level == UNAROUSABLE and not other
    unknown_all = (0, 4)

    domains: list[tuple[str, Range, str | None]] = []

    def add(name: str, d: DomainGrade | None, unknown: Range = unknown_all) -> None:
        if d is None:
            domains.append((name, unknown, None))
        else:
            domains.append((name, (d.low, d.high), d.driver))

    awake_known = level is not None and not unarousable
    enc_unknown = (0, 3) if awake_known else unknown_all
    counted_level = "normal" if (other or level is None) else level
    if f.ice_score is not None:
        add("ICE", ice_domain(f.ice_score, unarousable))
    elif f.capd_score is not None:
        add("CAPD", capd_domain(f.capd_score, counted_level, unarousable))
    elif unarousable:
        add("ICE/CAPD", ice_domain(None, True))
    else:
        add("ICE or CAPD", None, enc_unknown)
    add("consciousness", consciousness_domain(level, other) if level is not None else None)
    add("seizure", finding_domain("seizure", f.seizure) if f.seizure is not None else None)
    add("motor findings", finding_domain("motor", f.motor) if f.motor is not None else None)
    add(
        "raised ICP / cerebral edema",
        finding_domain("icp_edema", f.icp_edema) if f.icp_edema is not None else None,
    )
    low = max(r[0] for _, r, _ in domains)
    high = max(r[1] for _, r, _ in domains)
    found = [t for _, r, t in domains if t and r[0] == low and r[0] > 0]
    note = (
        f"; CARTOX-10 score {f.cartox10_score} is not the ICE (different items) and is not "
        f"converted"
        if f.cartox10_score is not None
        else ""
    )
    if low == high:
        why = "; ".join(found) if found else "no ICANS finding in any domain"
        return Translation(
            grade=low,
            determinate=True,
            possible=(low,),
            reason=f"{label}{extra}: stated {why}. ASTCT 2019 grade {low} (worst domain){note}",
        )
    missing = [name for name, r, _ in domains if r[0] != r[1] and r[1] > low]
    possible = tuple(range(low, high + 1))
    return Translation(
        grade=None,
        determinate=False,
        possible=possible,
        reason=f"{label}{extra}. Could be ASTCT {_or(possible)}: state {', '.join(missing)} "
        f"to decide{note}",
    )


def to_astct(stated: StatedGrade, criteria: ScaleCriteria = SCALE_CRITERIA) -> Translation:
    """The ASTCT 2019 grade of a stated grade, when the stated facts determine it.

    Rules (clinical-criteria.md section 2.4; ASTCT 2019 CRS and ICANS tables):
    grade 0 (stated absent) is 0 and grade 5 (death) is 5 in every scale; an ASTCT 2019 grade
    is kept as stated; otherwise the facts (vasopressors, oxygen device and flow, neurological
    domain findings), bounded by what the stated grade allows in its scale
    (``criteria/scales.yaml``), must leave exactly one ASTCT grade, else the translation is
    indeterminate and names what is missing.
    """
    g = stated.grade
    name = stated.syndrome.upper()
    if g == 0:
        return Translation(
            grade=0,
            determinate=True,
            possible=(0,),
            reason=f"{stated.scale} grade 0: {name} stated absent, absent in every scale",
        )
    if g == 5:
        return Translation(
            grade=5,
            determinate=True,
            possible=(5,),
            reason=f"{stated.scale} grade 5: death due to {name}, grade 5 in every scale",
        )
    if stated.scale == ASTCT:
        return Translation(
            grade=g,
            determinate=True,
            possible=(g,),
            reason=f"stated in ASTCT 2019 grade {g}: kept as stated",
        )
    if stated.syndrome == "crs":
        return _crs(stated, criteria)
    return _icans(stated, criteria)
