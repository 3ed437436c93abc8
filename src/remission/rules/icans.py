"""ICANS grading by the ASTCT 2019 consensus, adult (ICE) and paediatric (CAPD) paths.

Source: Lee DW, Santomasso BD, et al. ASTCT consensus grading for cytokine release syndrome and
neurologic toxicity associated with immune effector cells. Biol Blood Marrow Transplant
2019;25:625-638: the ICE score, the ICANS grading table for adults and children >= 12 years
with its footnotes, and the table for children < 12 years based on the CAPD (project digest:
``shared/reference/clinical-criteria.md`` sections 0 and 1.2-1.5).

Every threshold lives once, in ``criteria/astct2019_icans.yaml``, loaded and validated here as
:data:`ICANS_CRITERIA`. The functions are pure: no I/O after import.

A domain that could not be assessed (ICE or CAPD not done in a patient who is not unarousable)
is carried as a *range* of possible grades; the overall grade is given only when the missing
domain cannot change it, otherwise it is None ("not assessable") with the reason and the grade
already established.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from remission.exceptions import GradingInputError, Problem
from remission.model.assessment import (
    CONSCIOUSNESS_LEVELS,
    ICANS_RECORDED_FINDINGS,
    ICP_EDEMA_FINDINGS,
    MOTOR_FINDINGS,
    SEIZURE_FINDINGS,
    GradeResult,
    ICANSAssessment,
)
from remission.rules.criteria import load_criteria

__all__ = [
    "ICANS_CRITERIA",
    "DomainGrade",
    "ICANSCriteria",
    "capd_domain",
    "consciousness_domain",
    "finding_domain",
    "grade_icans",
    "ice_domain",
    "load_icans_criteria",
]

CRITERIA_FILE = "astct2019_icans.yaml"

UNAROUSABLE = "vigorous_stimuli_or_unarousable"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Band(_Strict):
    min: int = Field(ge=0)
    max: int = Field(ge=0)
    grade: int = Field(ge=0, le=4)


def _check_bands(bands: list[Band], top: int, name: str) -> None:
    covered = sorted((b.min, b.max) for b in bands)
    expected = 0
    for lo, hi in covered:
        if lo != expected or hi < lo:
            raise ValueError(f"{name} bands must cover 0-{top} without gaps or overlaps")
        expected = hi + 1
    if expected != top + 1:
        raise ValueError(f"{name} bands must cover 0-{top} without gaps or overlaps")


class IceRule(_Strict):
    min_age_years: float = Field(gt=0, le=18)
    max_score: int = Field(ge=1)
    bands: list[Band]
    unarousable_grade: int = Field(ge=0, le=4)

    @model_validator(mode="after")
    def _complete(self) -> IceRule:
        _check_bands(self.bands, self.max_score, "ICE")
        ordered = sorted(self.bands, key=lambda b: b.min)
        if [b.grade for b in ordered] != sorted((b.grade for b in ordered), reverse=True):
            raise ValueError("ICE grades must not rise with the score")
        return self

    def band(self, score: int) -> Band:
        return next(b for b in self.bands if b.min <= score <= b.max)


class CapdRule(_Strict):
    max_score: int = Field(ge=1)
    bands: list[Band]
    low_band_to_voice_grade: int = Field(ge=0, le=4)
    unarousable_grade: int = Field(ge=0, le=4)

    @model_validator(mode="after")
    def _complete(self) -> CapdRule:
        _check_bands(self.bands, self.max_score, "CAPD")
        ordered = sorted(self.bands, key=lambda b: b.min)
        if [b.grade for b in ordered] != sorted(b.grade for b in ordered):
            raise ValueError("CAPD grades must not fall as the score rises")
        return self

    def band(self, score: int) -> Band:
        return next(b for b in self.bands if b.min <= score <= b.max)


def _exact_keys(table: dict[str, int], expected: tuple[str, ...], name: str) -> None:
    if set(table) != set(expected):
        raise ValueError(f"{name} must grade exactly {list(expected)}, got {sorted(table)}")
    if any(not 0 <= g <= 4 for g in table.values()):
        raise ValueError(f"{name} grades must be 0-4")


class ICANSCriteria(_Strict):
    """The ASTCT 2019 ICANS grading tables as data (see ``criteria/astct2019_icans.yaml``)."""

    scale: Literal["ASTCT 2019"]
    source: str
    ice: IceRule
    capd: CapdRule
    consciousness: dict[str, int]
    seizure: dict[str, int]
    motor: dict[str, int]
    icp_edema: dict[str, int]
    not_grading: dict[str, str]
    death_grade: int = Field(ge=5, le=5)

    @model_validator(mode="after")
    def _complete(self) -> ICANSCriteria:
        _exact_keys(self.consciousness, CONSCIOUSNESS_LEVELS, "consciousness")
        _exact_keys(self.seizure, SEIZURE_FINDINGS, "seizure")
        _exact_keys(self.motor, MOTOR_FINDINGS, "motor")
        _exact_keys(self.icp_edema, ICP_EDEMA_FINDINGS, "icp_edema")
        if set(self.not_grading) != set(ICANS_RECORDED_FINDINGS):
            raise ValueError(
                f"not_grading must explain exactly {sorted(ICANS_RECORDED_FINDINGS)}, "
                f"got {sorted(self.not_grading)}"
            )
        levels = [self.consciousness[level] for level in CONSCIOUSNESS_LEVELS]
        if levels != sorted(levels):
            raise ValueError("consciousness grades must rise as consciousness worsens")
        return self

    @property
    def awake_encephalopathy_max(self) -> int:
        """The most an ICE score can give in a patient who is not unarousable (3)."""
        return max(b.grade for b in self.ice.bands)


def load_icans_criteria(path: str | Path | None = None) -> ICANSCriteria:
    """Load and validate the ICANS criteria file (the packaged one unless ``path`` is given).

    Raises :class:`~remission.exceptions.VocabularyError` when the file is malformed.
    """
    return load_criteria(ICANSCriteria, CRITERIA_FILE, "ICANS criteria", path)


#: The packaged ASTCT 2019 ICANS criteria.
ICANS_CRITERIA: ICANSCriteria = load_icans_criteria()

_CONSCIOUSNESS_LABEL = {
    "normal": "normal consciousness",
    "depressed_awakens_spontaneously": "depressed consciousness, awakens spontaneously",
    "awakens_to_voice": "depressed consciousness, awakens to voice",
    "awakens_only_to_tactile": "depressed consciousness, awakens only to tactile stimulus",
    UNAROUSABLE: "unarousable or needs vigorous or repetitive tactile stimuli (stupor or coma)",
}
_FINDING_LABEL = {
    "rapidly_resolving_clinical": "clinical seizure that resolved rapidly",
    "nonconvulsive_eeg_resolved_with_intervention": (
        "non-convulsive seizures on EEG that resolved with intervention"
    ),
    "prolonged_over_5_min": "prolonged seizure (> 5 min)",
    "repetitive_without_return_to_baseline": (
        "repetitive seizures without return to baseline between them"
    ),
    "deep_focal_weakness": "deep focal motor weakness (hemiparesis or paraparesis)",
    "focal_edema": "focal/local edema on neuroimaging",
    "diffuse_edema": "diffuse cerebral edema on neuroimaging",
    "decerebrate_or_decorticate_posturing": "decerebrate or decorticate posturing",
    "cn6_palsy": "cranial nerve VI palsy",
    "papilledema": "papilledema",
    "cushing_triad": "Cushing's triad",
}


@dataclass(frozen=True)
class DomainGrade:
    """What one ICANS domain contributes: a grade range (``low == high`` when assessed)."""

    domain: str
    low: int
    high: int
    driver: str | None = None
    missing: str | None = None

    @property
    def assessed(self) -> bool:
        return self.low == self.high


def _g(grade: int) -> str:
    return f"→ grade {grade}"


def _band_text(name: str, score: int, lo: int, hi: int) -> str:
    span = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return f"{name} {score} ({span})"


def ice_domain(
    score: int | None, unarousable: bool, criteria: ICANSCriteria = ICANS_CRITERIA
) -> DomainGrade:
    """The encephalopathy domain by ICE (ASTCT 2019 ICANS table, age >= 12).

    ICE 7-9 -> 1, 3-6 -> 2, 0-2 -> 3 (an awake patient scoring 0 is 3), 0 because unarousable
    -> 4. ICE not done: 4 if unarousable, else not assessed (range 0-3).
    """
    rule = criteria.ice
    if score is None:
        if unarousable:
            g = rule.unarousable_grade
            return DomainGrade(
                "encephalopathy", g, g, f"ICE not possible, patient unarousable {_g(g)}"
            )
        return DomainGrade(
            "encephalopathy", 0, criteria.awake_encephalopathy_max, missing="ICE not done"
        )
    if score == 0 and unarousable:
        g = rule.unarousable_grade
        return DomainGrade("encephalopathy", g, g, f"ICE 0, patient unarousable {_g(g)}")
    band = rule.band(score)
    if band.grade == 0:
        return DomainGrade("encephalopathy", 0, 0)
    awake = " in a patient who is awake" if score == 0 else ""
    text = f"{_band_text('ICE', score, band.min, band.max)}{awake} {_g(band.grade)}"
    return DomainGrade("encephalopathy", band.grade, band.grade, text)


def capd_domain(
    score: int | None,
    consciousness: str,
    unarousable: bool,
    criteria: ICANSCriteria = ICANS_CRITERIA,
) -> DomainGrade:
    """The encephalopathy domain by CAPD (ASTCT 2019 table for children < 12 years).

    CAPD 1-8 -> 1 if the child awakens spontaneously (or is fully alert), 2 if it awakens only
    to voice; >= 9 -> 3; unable to perform because unarousable -> 4. CAPD 0 with normal
    consciousness -> no ICANS from this domain (interpretation). ``consciousness`` is the level
    counted for ICANS (``"normal"`` when depressed by another cause).
    """
    rule = criteria.capd
    if score is None:
        if unarousable:
            g = rule.unarousable_grade
            return DomainGrade(
                "encephalopathy", g, g, f"CAPD not possible, child unarousable {_g(g)}"
            )
        return DomainGrade(
            "encephalopathy", 0, criteria.awake_encephalopathy_max, missing="CAPD not done"
        )
    band = rule.band(score)
    if band.grade == 0:
        return DomainGrade("encephalopathy", 0, 0)
    lowest_positive = min(b.grade for b in rule.bands if b.grade > 0)
    if (
        band.grade == lowest_positive
        and criteria.consciousness[consciousness] >= (criteria.consciousness["awakens_to_voice"])
    ):
        g = rule.low_band_to_voice_grade
        text = (
            f"{_band_text('CAPD', score, band.min, band.max)} with the child awakening only to "
            f"voice or less {_g(g)}"
        )
        return DomainGrade("encephalopathy", g, g, text)
    text = f"{_band_text('CAPD', score, band.min, band.max)} {_g(band.grade)}"
    return DomainGrade("encephalopathy", band.grade, band.grade, text)


def consciousness_domain(
    level: str, other_cause: bool = False, criteria: ICANSCriteria = ICANS_CRITERIA
) -> DomainGrade:
    """Depressed level of consciousness (ASTCT 2019 ICANS table): awakens spontaneously -> 1,
    to voice -> 2, only to tactile stimulus -> 3, unarousable / vigorous stimuli -> 4; not
    counted when attributable to another cause (e.g. sedating drugs)."""
    g = 0 if other_cause else criteria.consciousness[level]
    if g == 0:
        return DomainGrade("consciousness", 0, 0)
    return DomainGrade("consciousness", g, g, f"{_CONSCIOUSNESS_LABEL[level]} {_g(g)}")


def finding_domain(
    domain: Literal["seizure", "motor", "icp_edema"],
    finding: str,
    criteria: ICANSCriteria = ICANS_CRITERIA,
) -> DomainGrade:
    """Seizure, motor findings or raised ICP / cerebral edema (ASTCT 2019 ICANS table)."""
    table: dict[str, int] = getattr(criteria, domain)
    g = table[finding]
    if g == 0:
        return DomainGrade(domain, 0, 0)
    return DomainGrade(domain, g, g, f"{_FINDING_LABEL[finding]} {_g(g)}")


def _other_findings_notes(a: ICANSAssessment, criteria: ICANSCriteria) -> list[str]:
    notes = []
    for finding in a.other_findings:
        explained = criteria.not_grading.get(finding)
        if explained is not None:
            notes.append(f"{finding.replace('_', ' ')} recorded: {explained}")
        else:
            notes.append(f"{finding.replace('_', ' ')} recorded: not an ICANS criterion")
    if "intracranial_hemorrhage" in a.other_findings and a.icp_edema != "none":
        notes.append(
            "edema is graded as recorded; if it is the haemorrhage's own edema it is excluded "
            "from ICANS (ASTCT 2019) and should not be recorded in icp_edema"
        )
    return notes


def grade_icans(a: ICANSAssessment, criteria: ICANSCriteria = ICANS_CRITERIA) -> GradeResult:
    """Grade one ICANS assessment by ASTCT 2019 (ICE score, ICANS grading tables for adults and
    children >= 12 years and for children < 12 years, and their footnotes).

    - Five domains: encephalopathy (ICE at age >= 12, CAPD below 12), depressed level of
      consciousness, seizure, motor findings, raised ICP / cerebral edema. The overall grade is
      the worst domain; depressed consciousness attributable to another cause is not counted.
    - Tremor, myoclonus, headache and intracranial haemorrhage are recorded in notes and never
      grade ICANS. Death due to ICANS = 5.
    - ICE/CAPD not done in a patient who is not unarousable: that domain is not assessed; the
      grade is given only if the other domains already reach what it could add (3), else None.

    Raises :class:`GradingInputError` (field ``age_years``) when the age is missing: it decides
    between the ICE and the CAPD path.
    """
    if a.age_years is None:
        raise GradingInputError(
            Problem(
                "the patient's age is required to grade ICANS: the ICE score is used from age "
                f"{criteria.ice.min_age_years:g}, the CAPD below it (ASTCT 2019)",
                field="age_years",
            )
        )
    notes = _other_findings_notes(a, criteria)
    if a.death_due_to_icans:
        return GradeResult(
            syndrome="icans",
            grade=criteria.death_grade,
            drivers=[f"death due to ICANS {_g(criteria.death_grade)}"],
            notes=notes,
        )
    level = a.consciousness
    other = a.consciousness_other_cause and level != "normal"
    if other:
        notes.append(
            f"{_CONSCIOUSNESS_LABEL[level]} attributed to another cause (e.g. sedation): "
            "not counted for ICANS"
        )
    unarousable = level == UNAROUSABLE and not other
    counted_level = "normal" if other else level

    enc = _encephalopathy(a, counted_level, unarousable, criteria, notes)
    if other and enc.assessed and enc.low > 0:
        notes.append(
            "the ICE/CAPD score is counted as recorded although consciousness is depressed by "
            "another cause; if that cause explains the score, it is not ICANS"
        )
    domains = [
        enc,
        consciousness_domain(level, other, criteria),
        finding_domain("seizure", a.seizure, criteria),
        finding_domain("motor", a.motor, criteria),
        finding_domain("icp_edema", a.icp_edema, criteria),
    ]
    low = max(d.low for d in domains)
    high = max(d.high for d in domains)
    missing = [d.missing for d in domains if d.missing]

    if low == high:
        if missing:
            notes.append(
                f"{' and '.join(missing)}: not needed, the other domains already give grade "
                f"{low}, the most it could add"
            )
        if low == 0:
            return GradeResult(
                syndrome="icans", grade=0, drivers=[_no_icans(a, criteria)], notes=notes
            )
        drivers = [d.driver for d in domains if d.low == low and d.driver]
        return GradeResult(syndrome="icans", grade=low, drivers=drivers, notes=notes)

    found = [d.driver for d in domains if d.driver and d.low == low]
    test = "ICE" if any("ICE" in m for m in missing) else "CAPD"
    reason = f"{' and '.join(missing)}, so the encephalopathy domain is not assessed"
    if low > 0:
        reason += f"; the other findings give grade {low} ({'; '.join(found)})"
    else:
        reason += "; nothing else recorded establishes ICANS"
    reason += f", and the {test} could raise it to {high}. Record the {test} score"
    if test == "ICE":
        reason += (
            "; if the patient was awake but could do none of it (e.g. global aphasia), record "
            "ice_score 0 (grade 3)"
        )
    return GradeResult(
        syndrome="icans",
        grade=None,
        reason=reason,
        at_least=low if low > 0 else None,
        notes=notes,
    )


def _encephalopathy(
    a: ICANSAssessment,
    counted_level: str,
    unarousable: bool,
    criteria: ICANSCriteria,
    notes: list[str],
) -> DomainGrade:
    assert a.age_years is not None
    age = a.age_years
    ice, capd = a.ice_total, a.capd_total
    cutoff = criteria.ice.min_age_years
    if age >= cutoff:
        if ice is not None:
            if capd is not None:
                notes.append(f"CAPD recorded too: from age {cutoff:g} the ICE score is used")
            return ice_domain(ice, unarousable, criteria)
        if capd is not None:
            notes.append(
                f"CAPD used at age {age:g} because no ICE score was recorded (ASTCT 2019 allows "
                "it for older patients with developmental delay)"
            )
            return capd_domain(capd, counted_level, unarousable, criteria)
        return ice_domain(None, unarousable, criteria)
    if ice is not None:
        notes.append(
            f"ICE {ice} recorded at age {age:g}: the ICE is not valid under {cutoff:g} years, "
            "so it is not counted; the CAPD is used"
        )
    return capd_domain(capd, counted_level, unarousable, criteria)


def _no_icans(a: ICANSAssessment, criteria: ICANSCriteria) -> str:
    assert a.age_years is not None
    parts = []
    if a.age_years >= criteria.ice.min_age_years and a.ice_total is not None:
        parts.append(f"ICE {a.ice_total}")
    elif a.capd_total is not None:
        parts.append(f"CAPD {a.capd_total}")
    if a.consciousness == "normal":
        parts.append("normal consciousness")
    else:
        parts.append("depressed consciousness attributed to another cause")
    parts.append("no seizure, motor or ICP/edema finding")
    return f"no ICANS finding ({', '.join(parts)}) {_g(0)}"
