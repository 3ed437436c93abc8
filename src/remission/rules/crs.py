"""CRS grading by the ASTCT 2019 consensus.

Source: Lee DW, Santomasso BD, et al. ASTCT consensus grading for cytokine release syndrome and
neurologic toxicity associated with immune effector cells. Biol Blood Marrow Transplant
2019;25:625-638, the CRS grading table and its footnotes (project digest:
``shared/reference/clinical-criteria.md`` sections 0 and 1.1).

Every threshold lives once, in ``criteria/astct2019_crs.yaml``, loaded and validated here as
:data:`CRS_CRITERIA`. The functions are pure: no I/O after import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from remission.model.assessment import (
    OXYGEN_DEVICES,
    VASOPRESSOR_AGENTS,
    CRSAssessment,
    GradeResult,
)
from remission.rules.criteria import load_criteria

__all__ = [
    "CRS_CRITERIA",
    "CRSCriteria",
    "agent_label",
    "grade_crs",
    "hypotension_tier",
    "hypoxia_tier",
    "load_crs_criteria",
]

CRITERIA_FILE = "astct2019_crs.yaml"

AgentRole = Literal["counted", "not_counted_toward_multiple", "inotrope_not_counted"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeverRule(_Strict):
    threshold_c: float = Field(ge=37.0, le=40.0)
    alone_grade: int = Field(ge=1, le=1)


class HypotensionRule(_Strict):
    without_vasopressors_grade: int = Field(ge=1, le=4)
    one_vasopressor_grade: int = Field(ge=1, le=4)
    multiple_vasopressors_grade: int = Field(ge=1, le=4)
    agents: dict[str, AgentRole]

    @model_validator(mode="after")
    def _complete(self) -> HypotensionRule:
        if set(self.agents) != set(VASOPRESSOR_AGENTS):
            raise ValueError(
                f"agents must classify exactly the vocabulary {sorted(VASOPRESSOR_AGENTS)}, "
                f"got {sorted(self.agents)}"
            )
        if not (
            self.without_vasopressors_grade
            < self.one_vasopressor_grade
            < self.multiple_vasopressors_grade
        ):
            raise ValueError("hypotension grades must rise with the support needed")
        return self


class DeviceRule(_Strict):
    label: str
    grade: int = Field(ge=0, le=4)
    flow_decides: bool


class HypoxiaRule(_Strict):
    low_flow_max_l_min: float = Field(gt=0)
    low_flow_grade: int = Field(ge=1, le=4)
    high_flow_grade: int = Field(ge=1, le=4)
    devices: dict[str, DeviceRule]

    @model_validator(mode="after")
    def _complete(self) -> HypoxiaRule:
        if set(self.devices) != set(OXYGEN_DEVICES):
            raise ValueError(
                f"devices must give a tier for exactly {sorted(OXYGEN_DEVICES)}, "
                f"got {sorted(self.devices)}"
            )
        if self.low_flow_grade >= self.high_flow_grade:
            raise ValueError("high-flow must grade above low-flow")
        return self


class CRSCriteria(_Strict):
    """The ASTCT 2019 CRS grading table as data (see ``criteria/astct2019_crs.yaml``)."""

    scale: Literal["ASTCT 2019"]
    source: str
    fever: FeverRule
    hypotension: HypotensionRule
    hypoxia: HypoxiaRule
    death_grade: int = Field(ge=5, le=5)


def load_crs_criteria(path: str | Path | None = None) -> CRSCriteria:
    """Load and validate the CRS criteria file (the packaged one unless ``path`` is given).

    Raises :class:`~remission.exceptions.VocabularyError` when the file is malformed.
    """
    return load_criteria(CRSCriteria, CRITERIA_FILE, "CRS criteria", path)


#: The packaged ASTCT 2019 CRS criteria.
CRS_CRITERIA: CRSCriteria = load_crs_criteria()


def agent_label(agent: str) -> str:
    """A display name for a canonical agent ("angiotensin_ii" -> "angiotensin II")."""
    return agent.replace("_ii", " II").replace("_", " ")


def _g(grade: int) -> str:
    return f"→ grade {grade}"


def hypotension_tier(
    vasopressors: list[str],
    hypotension: bool = False,
    fluids_only: bool = False,
    criteria: CRSCriteria = CRS_CRITERIA,
) -> tuple[int, str | None, list[str]]:
    """The grade the hypotension findings set, the driver text and notes.

    ASTCT 2019, CRS grading table: no vasopressor needed -> 2; one vasopressor with or without
    vasopressin -> 3; multiple vasopressors, vasopressin excluded from the count -> 4 (dose is
    not considered). Vasopressin alone is one vasopressor (3). Inotropes are not counted.
    ``vasopressors`` are canonical agent names (see ``VASOPRESSOR_AGENTS``).
    """
    rule = criteria.hypotension
    notes: list[str] = []
    agents = list(dict.fromkeys(vasopressors))
    counted = [v for v in agents if rule.agents[v] == "counted"]
    vasopressin = [v for v in agents if rule.agents[v] == "not_counted_toward_multiple"]
    for inotrope in (v for v in agents if rule.agents[v] == "inotrope_not_counted"):
        notes.append(
            f"{agent_label(inotrope)} recorded: an inotrope, not a vasopressor, so not counted "
            f"for the hypotension tier (cardiac dysfunction is organ toxicity, graded with CTCAE)"
        )
    if vasopressin and counted:
        notes.append("vasopressin recorded: it never counts toward multiple vasopressors")
    with_vp = " with vasopressin" if vasopressin else ""
    if len(counted) >= 2:
        g = rule.multiple_vasopressors_grade
        names = ", ".join(agent_label(v) for v in counted)
        extra = "; vasopressin not counted" if vasopressin else ""
        text: str | None = f"multiple vasopressors ({names}{extra}) {_g(g)}"
    elif len(counted) == 1:
        g = rule.one_vasopressor_grade
        text = f"one vasopressor ({agent_label(counted[0])}{with_vp}) {_g(g)}"
    elif vasopressin:
        g = rule.one_vasopressor_grade
        text = f"vasopressin alone (one vasopressor) {_g(g)}"
    elif fluids_only:
        g = rule.without_vasopressors_grade
        text = f"hypotension managed with fluids only, no vasopressor {_g(g)}"
    elif hypotension:
        g = rule.without_vasopressors_grade
        text = f"hypotension not requiring vasopressors {_g(g)}"
    else:
        return 0, None, notes
    if (counted or vasopressin) and not hypotension:
        notes.append("vasopressors recorded: hypotension needing them is implied")
    return g, text, notes


def hypoxia_tier(
    device: str, flow_l_min: float | None = None, criteria: CRSCriteria = CRS_CRITERIA
) -> tuple[int, str | None, list[str]]:
    """The grade the oxygen support sets, the driver text and notes.

    ASTCT 2019, CRS grading table and footnotes: low-flow nasal cannula (<= 6 L/min) or
    blow-by -> 2; high-flow nasal cannula (> 6 L/min), facemask, non-rebreather, Venturi mask
    -> 3; positive pressure (CPAP, BiPAP, intubation with mechanical ventilation) -> 4.
    For nasal cannulae the recorded flow decides low- vs high-flow; without a flow the device
    name decides (nasal cannula = low-flow, high-flow nasal cannula = high-flow).
    """
    rule = criteria.hypoxia
    dev = rule.devices[device]
    limit = rule.low_flow_max_l_min
    notes: list[str] = []
    if device == "none":
        return 0, None, notes
    if not dev.flow_decides:
        if device == "blow_by" and flow_l_min is not None and flow_l_min > limit:
            notes.append(f"blow-by counts as low-flow whatever the flow ({flow_l_min:g} L/min)")
        return dev.grade, f"{dev.label} {_g(dev.grade)}", notes
    if flow_l_min is None:
        if dev.grade <= rule.low_flow_grade:
            notes.append(
                f"{dev.label} without a recorded flow is taken as low-flow (≤ {limit:g} L/min); "
                f"above {limit:g} L/min it would be high-flow, grade {rule.high_flow_grade}"
            )
        return dev.grade, f"{dev.label}, flow not recorded {_g(dev.grade)}", notes
    if flow_l_min == 0:
        notes.append(f"{dev.label} at 0 L/min: no oxygen flowing, no hypoxia tier")
        return 0, None, notes
    if flow_l_min <= limit:
        g = rule.low_flow_grade
        if dev.grade > g:
            notes.append(
                f"{dev.label} at {flow_l_min:g} L/min is low-flow by the ASTCT definition "
                f"(≤ {limit:g} L/min): the flow decides, not the device"
            )
        return (
            g,
            f"{dev.label} at {flow_l_min:g} L/min (≤ {limit:g} L/min: low-flow) {_g(g)}",
            notes,
        )
    g = rule.high_flow_grade
    return g, f"{dev.label} at {flow_l_min:g} L/min (> {limit:g} L/min: high-flow) {_g(g)}", notes


def grade_crs(a: CRSAssessment, criteria: CRSCriteria = CRS_CRITERIA) -> GradeResult:
    """Grade one CRS assessment by ASTCT 2019 (CRS grading table and footnotes).

    - Fever >= 38.0 deg C not attributable to another cause is required at onset; once CRS is
      established and antipyretics or anti-cytokine therapy were given
      (``fever_masked_after_crs``) fever is no longer required.
    - Grade = the worse of the hypotension tier and the hypoxia tier; fever alone = 1.
    - Hypotension or hypoxia without a qualifying fever (and no masking) is not CRS: grade 0,
      with a note saying why.
    - ``temperature_c`` None (no temperature recorded) with no other-cause attribution and no
      masking: not assessable (grade None), never 0.
    - Organ toxicity is recorded in notes and never changes the grade; death due to CRS = 5.
    """
    notes: list[str] = [
        f"organ toxicity recorded: {organ} CTCAE grade {g} (graded separately with CTCAE; "
        f"does not change the CRS grade)"
        for organ, g in a.organ_toxicity_ctcae.items()
    ]
    if a.death_due_to_crs:
        return GradeResult(
            syndrome="crs",
            grade=criteria.death_grade,
            drivers=[f"death due to CRS {_g(criteria.death_grade)}"],
            notes=notes,
        )
    hypo_g, hypo_text, hypo_notes = hypotension_tier(
        a.vasopressors, a.hypotension, a.fluids_only, criteria
    )
    oxy_g, oxy_text, oxy_notes = hypoxia_tier(a.oxygen.device, a.oxygen.flow_l_min, criteria)
    notes.extend(hypo_notes + oxy_notes)
    support = max(hypo_g, oxy_g)
    tiers = [(hypo_g, hypo_text), (oxy_g, oxy_text)]
    support_drivers = [t for g, t in tiers if t and g == support]
    lesser = [t for g, t in tiers if t and 0 < g < support]

    threshold = criteria.fever.threshold_c
    alone = criteria.fever.alone_grade
    t = a.temperature_c
    febrile = t is not None and t >= threshold

    def graded(entry_note: str | None, alone_driver: str) -> GradeResult:
        extra = [entry_note] if entry_note else []
        extra += [f"also recorded, not the worse tier: {x}" for x in lesser]
        if support > alone:
            return GradeResult(
                syndrome="crs", grade=support, drivers=support_drivers, notes=extra + notes
            )
        return GradeResult(syndrome="crs", grade=alone, drivers=[alone_driver], notes=notes)

    if a.fever_masked_after_crs:
        masked = (
            "fever not required: CRS was established before antipyretics or anti-cytokine "
            "therapy (tocilizumab, corticosteroids) were given, so hypotension and hypoxia set "
            "the grade"
        )
        if a.fever_other_cause:
            notes.append(
                "fever_other_cause is recorded too; under the masking rule no fever is needed"
            )
        temp = f" (temperature {t:.1f} °C)" if t is not None else ""
        return graded(
            masked,
            f"CRS established, fever masked by treatment{temp}, no hypotension or hypoxia "
            f"{_g(alone)}",
        )
    if febrile and not a.fever_other_cause:
        assert t is not None
        entry = f"fever {t:.1f} °C (≥ {threshold:.1f} °C), no other cause"
        return graded(
            f"entry criterion met: {entry}",
            f"{entry}, no hypotension or hypoxia {_g(alone)}",
        )

    # No qualifying fever, no masking.
    findings = "; ".join(support_drivers + lesser)
    if t is None and not a.fever_other_cause:
        reason = (
            f"no temperature recorded: fever ≥ {threshold:.1f} °C not attributable to another "
            f"cause is the entry criterion of CRS"
        )
        if support:
            reason += (
                f". With a qualifying fever the findings ({findings}) would give grade "
                f"{support}; without one they are not CRS"
            )
        reason += (
            ". Record the highest temperature, or set fever_other_cause, or set "
            "fever_masked_after_crs if CRS was established and then treated"
        )
        return GradeResult(syndrome="crs", grade=None, reason=reason, notes=notes)
    if a.fever_other_cause:
        temp = f" ({t:.1f} °C)" if t is not None else ""
        why = f"fever attributed to another cause{temp}"
    else:
        assert t is not None
        why = f"temperature {t:.1f} °C, below {threshold:.1f} °C"
    if support:
        notes.insert(
            0,
            f"{findings}: recorded without a qualifying fever, so not CRS by the ASTCT "
            f"definition (fever is required at onset); if CRS was established and the fever "
            f"was then masked by antipyretics or anti-cytokine therapy, set "
            f"fever_masked_after_crs",
        )
    return GradeResult(
        syndrome="crs",
        grade=0,
        drivers=[f"{why}: no qualifying fever {_g(0)} (not CRS)"],
        notes=notes,
    )
