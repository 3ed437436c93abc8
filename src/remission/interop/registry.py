"""The registry-shaped summary: one row per CAR-T infusion with the fields the CIBMTR
cellular-therapy forms (4000, 4003, 4006, 4100; disease on 2402) and the EBMT Day-100 form ask
for, a data dictionary, and the required fields each row lacks.

The fields are data: ``registry_fields.yaml`` names each one with the form and section that asks
for it (as named in ``shared/reference/clinical-criteria.md`` section 5), whether it is required,
and how it is derived; the derivations below follow the project's rules (response, toxicity
episodes, outcomes) rather than restating them. Registries collect *cellular* therapy on these
forms, so only CAR-T infusions make rows: blinatumomab and other drugs appear as bridging or
prior therapy. Unknown stays empty, never a guess: a required field left empty is listed in the
missing-fields report with the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from remission.interop.deidentify import age_label
from remission.interop.output import prepare_folder
from remission.model import (
    HSCT,
    CarTInfusion,
    Case,
    Death,
    DiseaseAssessment,
    FollowUp,
    PartialDate,
    Relapse,
    Therapy,
    ToxicityEpisode,
    load_vocabulary,
)
from remission.model.events import field_value
from remission.model.time import DAYS_PER_YEAR, RelativeTime
from remission.rules.episodes import CaseGrading, Episode, grade_case
from remission.rules.mrd import mrd_negative
from remission.rules.outcomes import REMISSION_CLASSES, overall_survival
from remission.rules.relapse import cr_number
from remission.rules.response import RESPONSE_RANK, assess_response
from remission.rules.scales import ASTCT, to_astct
from remission.rules.scales import StatedGrade as ScaleGrade

__all__ = [
    "FORMS",
    "MissingField",
    "RegistryField",
    "RegistryTable",
    "registry_fields",
    "registry_files",
    "registry_markdown",
    "registry_rows",
    "write_registry",
]

#: The forms a field may name (clinical-criteria.md section 5).
FORMS: tuple[str, ...] = (
    "CIBMTR 2402",
    "CIBMTR 4000",
    "CIBMTR 4003",
    "CIBMTR 4006",
    "CIBMTR 4100",
    "EBMT registration",
    "EBMT Day-100",
)

#: Above this uncertainty (days) an age at infusion is not given: half a year.
AGE_UNCERTAINTY_DAYS = DAYS_PER_YEAR / 2


class RegistryField(BaseModel):
    """One column of the registry summary, as defined in ``registry_fields.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["string", "integer", "number", "boolean", "date"]
    forms: tuple[str, ...]
    section: str
    required: bool = False
    required_if: str | None = Field(
        None, description="'field' (required when that field has a value) or 'field=value'."
    )
    description: str
    derivation: str

    @model_validator(mode="after")
    def _forms_known(self) -> RegistryField:
        unknown = [f for f in self.forms if f not in FORMS]
        if unknown:
            raise ValueError(f"{self.name}: unknown form(s) {unknown}; known: {list(FORMS)}")
        if self.required and self.required_if:
            raise ValueError(f"{self.name}: required and required_if exclude each other")
        return self

    def is_required(self, row: dict[str, Any]) -> bool:
        if self.required:
            return True
        if not self.required_if:
            return False
        other, _, value = self.required_if.partition("=")
        have = row.get(other)
        if not value:
            return have not in (None, "")
        return _cell(have) == value

    def dictionary_row(self) -> dict[str, str]:
        required = (
            "yes" if self.required else (f"if {self.required_if}" if self.required_if else "no")
        )
        return {
            "field": self.name,
            "label": self.label,
            "type": self.type,
            "forms": "; ".join(self.forms),
            "section": self.section,
            "required": required,
            "description": self.description,
            "derivation": " ".join(self.derivation.split()),
        }


DICTIONARY_COLUMNS = (
    "field",
    "label",
    "type",
    "forms",
    "section",
    "required",
    "description",
    "derivation",
)
MISSING_COLUMNS = ("case_id", "infusion_id", "field", "forms", "section", "reason")


@lru_cache(maxsize=4)
def registry_fields(path: Path | None = None) -> tuple[RegistryField, ...]:
    """The fields of ``registry_fields.yaml`` (or another field file), validated: every entry
    complete with known forms, names unique, ``required_if`` naming an earlier field. A
    malformed file raises ``ValueError`` naming the entry."""
    if path is None:
        text = (
            resources.files("remission.interop").joinpath("registry_fields.yaml").read_text("utf-8")
        )
        where = "registry_fields.yaml"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise ValueError(f"{where}: needs a list 'fields'")
    fields: list[RegistryField] = []
    for i, entry in enumerate(data["fields"]):
        try:
            fields.append(RegistryField.model_validate(entry))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{where}: fields[{i}].{loc}: {first['msg']}") from None
    names: list[str] = []
    for f in fields:
        if f.name in names:
            raise ValueError(f"{where}: {f.name} is defined twice")
        if f.required_if and f.required_if.partition("=")[0] not in names:
            raise ValueError(f"{where}: {f.name}.required_if names no earlier field")
        names.append(f.name)
    return tuple(fields)


@dataclass(frozen=True)
class MissingField:
    """A required field a row lacks (``field`` empty: the case makes no row at all)."""

    case_id: str
    infusion_id: str
    field: str
    forms: str
    section: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in MISSING_COLUMNS}


@dataclass(frozen=True)
class RegistryTable:
    """Rows (one per CAR-T infusion, values as plain Python), the fields, and what is missing."""

    fields: tuple[RegistryField, ...]
    rows: tuple[dict[str, Any], ...]
    missing: tuple[MissingField, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def csv_rows(self) -> list[dict[str, str]]:
        """The rows as CSV cells: yes/no for booleans, numbers without trailing zeros."""
        return [{c: _cell(row.get(c)) for c in self.columns} for row in self.rows]

    def missing_for(self, case_id: str) -> list[MissingField]:
        return [m for m in self.missing if m.case_id == case_id]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return f"{round(value, 1):g}" if abs(value) < 1e5 else f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


# --------------------------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------------------------


@dataclass
class _Row:
    case: Case
    infusion: CarTInfusion
    values: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    imprecise: list[str] = field(default_factory=list)

    def put(self, name: str, value: Any, reason: str | None = None) -> None:
        self.values[name] = value
        if value is None and reason:
            self.reasons[name] = reason

    def day(self, name: str, point: Any) -> float | None:
        """Days from the infusion to ``point`` (an event id or a time), noting imprecision."""
        iv = self.case.interval(self.infusion.id, point) if point is not None else None
        if iv is None:
            self.reasons.setdefault(
                name, f"cannot be placed relative to {self.infusion.id} (different time axes)"
            )
            return None
        if not iv.exact:
            self.imprecise.append(f"{name} {iv.precision}")
        return round(iv.days, 1)


def _calendar(case: Case, point: Any) -> str | None:
    """The ISO date of a point when the case places it on exactly one calendar day."""
    if point is None:
        return None
    placed = case.locate(point)
    if placed is None or placed.axis is not None or not placed.exact:
        return None
    return dt.date.fromordinal(int(placed.lo)).isoformat()


def _stated_date(case: Case, point: Any) -> str | None:
    if isinstance(point, PartialDate):
        return str(point)
    return _calendar(case, point)


# --------------------------------------------------------------------------------------------
# Sections of a row
# --------------------------------------------------------------------------------------------


def _patient(r: _Row, number: int) -> None:
    case, inf = r.case, r.infusion
    r.put("case_id", case.id)
    r.put("infusion_id", inf.id)
    r.put("infusion_number", number)
    r.put("sex", case.patient.sex, "patient.sex is not recorded")
    age = case.patient.age
    if age is None:
        r.put("age_at_infusion_years", None, "patient.age is not recorded")
    else:
        iv = case.interval(age.at, inf.id)
        if iv is None or iv.uncertainty_days > AGE_UNCERTAINTY_DAYS:
            r.put(
                "age_at_infusion_years",
                None,
                f"the age is stated at {age.at} and the time from it to the infusion is not "
                "known within half a year",
            )
        else:
            r.put("age_at_infusion_years", age_label(round(age.years + iv.days / DAYS_PER_YEAR, 1)))
    dx = case.diagnosis
    r.put("primary_disease", dx.disease)
    r.put(
        "diagnosis_date",
        _stated_date(case, dx.date) if dx.date is not None else None,
        "the diagnosis has no calendar date",
    )
    r.put("ph_positive", dx.ph_positive)


def _product(r: _Row) -> None:
    inf = r.infusion
    term = load_vocabulary("car_t_products").get(inf.product)
    if inf.product == "investigational":
        name = "investigational" + (f" ({inf.construct_name})" if inf.construct_name else "")
    else:
        name = term.label
    r.put("product", name)
    commercial = bool(term.attributes.get("commercial")) and not inf.trial
    r.put("product_class", "commercial" if commercial else "investigational")
    r.put("car_target", inf.target, "the CAR target is not recorded and no named product fixes it")
    if inf.costimulatory:
        costim: str | None = ";".join(inf.costimulatory)
    elif inf.costimulatory_either:
        costim = " or ".join(inf.costimulatory_either) + " (not stated which)"
    else:
        costim = None
    r.put("costimulatory_domain", costim)
    r.put("cell_source", inf.cell_source, "the cell source is not recorded")
    r.put("trial", inf.trial)
    date = inf.date
    stated = _stated_date(r.case, date) if date is not None else None
    r.put(
        "infusion_date",
        stated,
        "the infusion has no calendar date"
        if date is None
        else f"{date} does not place the infusion on one calendar day",
    )
    precision: str | None = None
    if isinstance(date, PartialDate):
        precision = date.precision.value
    elif isinstance(date, RelativeTime) and stated is not None:
        precision = "day"
    r.put("infusion_date_precision", precision)
    r.put("cell_dose", inf.dose.value if inf.dose else None, "the cell dose is not recorded")
    r.put("cell_dose_unit", inf.dose.unit if inf.dose else None)
    r.put("dose_fractions", inf.fractions)
    ld = inf.lymphodepletion
    r.put("lymphodepletion_agents", list(ld.agents) if ld and ld.agents else None)


def _before(r: _Row, pos: dict[str, int]) -> None:
    case, inf = r.case, r.infusion
    before = list(case.timeline[: pos[inf.id]])
    complete = case.complete_history
    hsct = [ev for ev in before if isinstance(ev, HSCT)]
    r.put(
        "prior_hsct",
        True if hsct else (False if complete else None),
        "no transplant is listed before the infusion, and the case is not marked "
        "complete_history, so whether there was one is unknown",
    )
    earlier = [ev for ev in before if isinstance(ev, CarTInfusion)]
    r.put(
        "prior_car_t",
        True if earlier else (False if complete else None),
        "no earlier CAR-T infusion is listed, and the case is not marked complete_history",
    )
    relapses = [ev for ev in before if isinstance(ev, Relapse)]
    last_rel = relapses[-1] if relapses else None
    since = before[pos[last_rel.id] + 1 :] if last_rel else before
    # the last assessment with a response decides (a remission lost without a relapse event
    # listed is not a remission)
    responses = [
        call.response
        for ev in since
        if isinstance(ev, DiseaseAssessment)
        and (call := assess_response(case, ev.id)).response is not None
    ]
    remission = bool(responses) and responses[-1] in REMISSION_CLASSES
    status: str | None
    if last_rel is not None:
        crn = cr_number(case, last_rel.id)
        status = f"CR{crn.next_cr}" if remission else f"relapse {crn.relapse_number}"
        r.put("relapse_number_before", crn.relapse_number)
    else:
        r.put("relapse_number_before", 0 if complete else None)
        if remission:
            status = "CR1"
        elif case.diagnosis.primary_refractory:
            status = "primary induction failure"
        else:
            status = None
    r.put(
        "disease_status_before",
        status,
        "no relapse, remission or primary refractory diagnosis is recorded before the infusion",
    )
    blasts = [
        ev.marrow_blasts_pct
        for ev in before
        if isinstance(ev, Relapse | DiseaseAssessment) and ev.marrow_blasts_pct is not None
    ]
    r.put("marrow_blasts_before_pct", blasts[-1] if blasts else None)
    mrds = [ev.mrd for ev in before if isinstance(ev, DiseaseAssessment) and ev.mrd is not None]
    mrd_text: str | None = None
    if mrds:
        negative = mrd_negative(mrds[-1]).negative
        if negative is not None:
            mrd_text = "negative" if negative else "positive"
            if mrds[-1].value is not None:
                mrd_text += f" ({mrds[-1].value:g})"
    r.put("mrd_before", mrd_text)
    start = max([pos[ev.id] for ev in before if isinstance(ev, Relapse | CarTInfusion)], default=-1)
    bridging = [
        agent
        for ev in before[start + 1 :]
        if isinstance(ev, Therapy) and ev.intent == "bridging"
        for agent in ev.agents
    ]
    r.put(
        "bridging_therapy",
        list(dict.fromkeys(bridging)) if bridging else ("none" if complete else None),
    )


def _window(case: Case, inf: CarTInfusion, pos: dict[str, int]) -> list[Any]:
    """Events after the infusion and before the next CAR-T infusion."""
    out = []
    for ev in case.timeline[pos[inf.id] + 1 :]:
        if isinstance(ev, CarTInfusion):
            break
        out.append(ev)
    return out


def _response(r: _Row) -> None:
    case, inf = r.case, r.infusion
    calls = [
        (ev, assess_response(case, ev.id))
        for ev in case.timeline
        if isinstance(ev, DiseaseAssessment) and ev.assesses == inf.id
    ]
    known = [(ev, c) for ev, c in calls if c.response is not None]
    if not known:
        r.put(
            "best_response",
            None,
            "no disease assessment assesses this infusion"
            if not calls
            else "the assessments of this infusion give no response",
        )
        r.put("best_response_day", None)
    else:
        ev, call = max(known, key=lambda p: RESPONSE_RANK.get(p[1].response or "", 0))
        r.put("best_response", call.response)
        r.put("best_response_day", r.day("best_response_day", ev.id))
    negatives = [mrd_negative(ev.mrd).negative for ev, _ in calls if ev.mrd is not None]
    r.put(
        "mrd_negative_after",
        True
        if any(n is True for n in negatives)
        else (False if negatives and all(n is False for n in negatives) else None),
    )


def _stated_episodes(
    case: Case, inf: CarTInfusion, syndrome: str, pos: dict[str, int]
) -> list[ToxicityEpisode]:
    out = []
    for ev in case.timeline:
        if not isinstance(ev, ToxicityEpisode) or ev.syndrome != syndrome:
            continue
        if ev.after == inf.id:
            out.append(ev)
        elif ev.after is None:
            cars = [c for c in case.timeline[: pos[ev.id]] if isinstance(c, CarTInfusion)]
            if cars and cars[-1].id == inf.id:
                out.append(ev)
    return out


def _toxicity(
    r: _Row, syndrome: Literal["crs", "icans"], grading: CaseGrading | None, pos: dict[str, int]
) -> None:
    case, inf = r.case, r.infusion
    name = syndrome.upper()
    stated = _stated_episodes(case, inf, syndrome, pos)
    computed: list[Episode] = (
        [e for e in grading.episodes_for(syndrome) if e.follows == inf.id] if grading else []
    )
    computed_max = grading.max_grade(syndrome, follows=inf.id) if grading else None
    p = f"{syndrome}_"

    # occurred
    stated_yes = any(ev.grade is None or ev.grade.grade >= 1 for ev in stated)
    if stated_yes or computed or (computed_max or 0) >= 1:
        occurred: bool | None = True
    elif stated or computed_max == 0:
        occurred = False
    else:
        occurred = None
    r.put(
        f"{p}occurred",
        occurred,
        f"no {name} episode, grade or daily assessment is recorded for this infusion",
    )

    # onset and resolution: the stated episodes when there are any (the source's words), else
    # the episodes computed from the daily assessments
    onsets: list[tuple[float, Any]] = []
    ends: list[tuple[float, Any]] = []
    unresolved = False
    if stated:
        for ev in (e for e in stated if e.grade is None or e.grade.grade >= 1):
            on = case.interval(inf.id, ev.onset) if ev.onset is not None else None
            if on is not None:
                onsets.append((on.days, ev.onset))
            end = case.interval(inf.id, ev.resolved) if ev.resolved is not None else None
            if ev.resolved is None:
                unresolved = True
            elif end is not None:
                ends.append((end.days, ev.resolved))
    else:
        for e in computed:
            onsets.append((e.onset_day.days if e.onset_day else math.nan, e.onset_at))
            if e.resolution_at is None:
                unresolved = True
            else:
                ends.append(
                    (e.resolution_day.days if e.resolution_day else math.nan, e.resolution_at)
                )
    placed_onsets = [o for o in onsets if not math.isnan(o[0])]
    if occurred and placed_onsets:
        _, point = min(placed_onsets, key=lambda o: o[0])
        r.put(f"{p}onset_day", r.day(f"{p}onset_day", point))
        r.put(f"{p}onset_date", _calendar(case, point))
    else:
        why = (
            f"the {name} onset is not recorded or cannot be placed relative to the infusion"
            if occurred
            else None
        )
        r.put(f"{p}onset_day", None, why)
        r.put(f"{p}onset_date", None)
    placed_ends = [e for e in ends if not math.isnan(e[0])]
    if occurred and placed_ends and not unresolved:
        _, point = max(placed_ends, key=lambda e: e[0])
        r.put(f"{p}resolution_day", r.day(f"{p}resolution_day", point))
        r.put(f"{p}resolution_date", _calendar(case, point))
    else:
        r.put(
            f"{p}resolution_day",
            None,
            f"{name}: an episode has no resolution recorded (ongoing at the last assessment, or "
            "not stated)"
            if unresolved
            else f"the {name} resolution cannot be placed relative to the infusion",
        )
        r.put(f"{p}resolution_date", None)

    # the maximum grade on the ASTCT 2019 scale
    grade: int | None = None
    basis: str | None = None
    graded = [ev for ev in stated if ev.grade is not None]
    if graded:
        determinate: list[tuple[int, str]] = []
        open_: list[str] = []
        for ev in graded:
            assert ev.grade is not None
            t = to_astct(ScaleGrade(syndrome=syndrome, scale=ev.grade.scale, grade=ev.grade.grade))
            if t.grade is not None:
                how = "stated" if ev.grade.scale == ASTCT else f"translated from {ev.grade.scale}"
                determinate.append((t.grade, f"{how} grade {ev.grade.grade} ({ev.id})"))
            else:
                open_.append(
                    f"{ev.grade.scale} grade {ev.grade.grade} ({ev.id}) has no single ASTCT 2019 "
                    f"equivalent (possible: {', '.join(map(str, t.possible))})"
                )
        if determinate and not open_:
            grade, basis = max(determinate)
        elif open_ and computed_max is not None:
            grade = computed_max
            basis = "computed from daily assessments (ASTCT 2019); " + "; ".join(open_)
        else:
            basis = "; ".join(open_)
    elif computed_max is not None:
        grade = computed_max
        basis = "computed from daily assessments (ASTCT 2019)"
        if any(e.may_be_higher for e in computed):
            basis += "; an assessment was not assessable, so it may be higher"
    elif stated:
        basis = f"{name} stated without a grade"
    r.put(
        f"{p}max_grade_astct",
        grade,
        basis or f"no {name} grade is recorded for this infusion",
    )
    r.put(f"{p}grade_basis", basis)
    treatments = [t for ev in stated for t in ev.treatments]
    r.put(f"{p}treatments", list(dict.fromkeys(treatments)) or None)


def _persistence(r: _Row, window: list[Any]) -> None:
    case, inf = r.case, r.infusion
    checks: list[tuple[float, bool]] = []
    for series in case.observations:
        if not series.is_car_t or series.anchor != inf.id:
            continue
        for point in series.points:
            day = point.day
            if day is None and point.at is not None:
                iv = case.interval(inf.id, point.at)
                day = iv.days if iv is not None else None
            if day is not None:
                checks.append((day, not point.blq and (point.value or 0) > 0))
    for ev in window:
        flag = (
            ev.car_t_detected
            if isinstance(ev, DiseaseAssessment)
            else (ev.car_t_persistence if isinstance(ev, FollowUp) else None)
        )
        if flag is not None:
            iv = case.interval(inf.id, ev.id)
            if iv is not None:
                checks.append((iv.days, flag))
    if checks:
        _, last_flag = max(checks, key=lambda c: c[0])
        r.put("car_t_detected_last", last_flag)
        detected = [d for d, f in checks if f]
        r.put("car_t_last_detected_day", round(max(detected), 1) if detected else None)
    else:
        r.put("car_t_detected_last", None)
        r.put("car_t_last_detected_day", None)
    bca: list[tuple[float, bool]] = []
    for ev in window:
        flag = field_value(ev, "b_cell_aplasia")
        if flag is not None:
            iv = case.interval(inf.id, ev.id)
            if iv is not None:
                bca.append((iv.days, flag))
    if bca:
        day, flag = max(bca, key=lambda c: c[0])
        r.put("b_cell_aplasia_last", flag)
        r.put("b_cell_aplasia_last_day", round(day, 1))
    else:
        r.put("b_cell_aplasia_last", None)
        r.put("b_cell_aplasia_last_day", None)


def _after(r: _Row, pos: dict[str, int], window: list[Any]) -> None:
    case, inf = r.case, r.infusion
    complete = case.complete_history
    later = list(case.timeline[pos[inf.id] + 1 :])
    relapse = next((ev for ev in later if isinstance(ev, Relapse)), None)
    follow_ups = [ev for ev in later if isinstance(ev, FollowUp)]
    if relapse is not None:
        r.put("relapse_after", True)
        r.put("relapse_day", r.day("relapse_day", relapse.id))
        r.put("relapse_cd19", relapse.cd19)
    else:
        in_remission = bool(follow_ups) and follow_ups[-1].disease_status == "remission"
        r.put(
            "relapse_after",
            False if complete or in_remission else None,
            "no relapse is listed after the infusion, but the case is not a complete history "
            "and no later follow-up states remission",
        )
        r.put("relapse_day", None)
        r.put("relapse_cd19", None)
    hsct = next((ev for ev in window if isinstance(ev, HSCT)), None)
    r.put(
        "subsequent_hsct",
        True if hsct else (False if complete else None),
        "no transplant is listed after the infusion, and the case is not marked complete_history",
    )
    r.put("subsequent_hsct_day", r.day("subsequent_hsct_day", hsct.id) if hsct else None)
    next_car = any(isinstance(ev, CarTInfusion) for ev in later)
    r.put("subsequent_car_t", True if next_car else (False if complete else None))

    os_ = overall_survival(case, anchor=inf.id)
    death = next((ev for ev in later if isinstance(ev, Death)), None)
    died_fu = any(not f.alive for f in follow_ups)
    if os_.computable and os_.interval is not None:
        r.put("vital_status", "dead" if os_.event else "alive")
        if not os_.interval.exact:
            r.imprecise.append(f"survival_days {os_.interval.precision}")
        r.put("survival_days", round(os_.interval.days, 1))
        end = os_.end or ""
        ev_id, _, attr = end.partition(".")
        point = field_value(case.event(ev_id), attr) if attr else ev_id
        r.put("last_contact_date", _calendar(case, point) if ev_id else None)
    else:
        status = "dead" if death is not None or died_fu else None
        r.put("vital_status", status, os_.reason or "no death or later contact is recorded")
        r.put("survival_days", None, os_.reason or "no death or later contact is recorded")
        r.put("last_contact_date", None)
    r.put(
        "death_cause",
        death.cause if death is not None else ("unknown" if died_fu else None),
    )


def _infusion_row(case: Case, inf: CarTInfusion, number: int, grading: CaseGrading | None) -> _Row:
    pos = {ev.id: i for i, ev in enumerate(case.timeline)}
    r = _Row(case, inf)
    _patient(r, number)
    _product(r)
    _before(r, pos)
    _response(r)
    _toxicity(r, "crs", grading, pos)
    _toxicity(r, "icans", grading, pos)
    window = _window(case, inf, pos)
    _persistence(r, window)
    _after(r, pos, window)
    r.put("imprecise_times", list(dict.fromkeys(r.imprecise)) or None)
    return r


def registry_rows(cases: Sequence[Case]) -> RegistryTable:
    """One row per CAR-T infusion of every case, and the required fields each row lacks.

    A case without a CAR-T infusion makes no row; it is listed in ``missing`` with an empty
    field and the reason. Pure: reads only the cases.
    """
    fields = registry_fields()
    rows: list[dict[str, Any]] = []
    missing: list[MissingField] = []
    for case in cases:
        infusions = case.events(CarTInfusion)
        if not infusions:
            missing.append(
                MissingField(
                    case.id,
                    "",
                    "",
                    "",
                    "",
                    "no CAR-T infusion: the cellular-therapy forms do not apply (no row)",
                )
            )
            continue
        grading = grade_case(case) if case.assessments else None
        for number, inf in enumerate(infusions, start=1):
            r = _infusion_row(case, inf, number, grading)
            extra = set(r.values) - {f.name for f in fields}
            if extra:  # a derivation without a definition is a defect, never silent
                raise RuntimeError(f"registry fields derived but not defined: {sorted(extra)}")
            row = {f.name: r.values.get(f.name) for f in fields}
            rows.append(row)
            for f in fields:
                if f.is_required(row) and row[f.name] in (None, ""):
                    missing.append(
                        MissingField(
                            case.id,
                            inf.id,
                            f.name,
                            "; ".join(f.forms),
                            f.section,
                            r.reasons.get(f.name, "not recorded in the case"),
                        )
                    )
    return RegistryTable(fields, tuple(rows), tuple(missing))


def _csv_text(columns: Sequence[str], rows: Sequence[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def registry_files(cases: Sequence[Case]) -> dict[str, str]:
    """The three CSV files as text (file name -> content): ``registry.csv``,
    ``registry_dictionary.csv``, ``registry_missing.csv``. Pure: for a download built in
    memory; :func:`write_registry` writes them to a folder."""
    table = registry_rows(cases)
    return {
        "registry.csv": _csv_text(table.columns, table.csv_rows()),
        "registry_dictionary.csv": _csv_text(
            DICTIONARY_COLUMNS, [f.dictionary_row() for f in table.fields]
        ),
        "registry_missing.csv": _csv_text(MISSING_COLUMNS, [m.to_dict() for m in table.missing]),
    }


def write_registry(cases: Sequence[Case], folder: Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``registry.csv`` (one row per infusion), ``registry_dictionary.csv`` (every field
    with its form, section, required flag and derivation) and ``registry_missing.csv`` (the
    required fields each row lacks, with the reason) into ``folder``.

    The folder must be new or empty (``overwrite`` allows replacing an earlier export); the
    files appear together or not at all.
    """
    files = registry_files(cases)
    with prepare_folder(folder, overwrite=overwrite) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]


def registry_markdown() -> str:
    """The field table of docs/interop.md, generated from ``registry_fields.yaml``."""
    lines = [
        "| field | forms | section | required | derivation |",
        "|---|---|---|---|---|",
    ]
    for f in registry_fields():
        d = f.dictionary_row()
        cells = [f"`{f.name}`", d["forms"], d["section"], d["required"], d["derivation"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
