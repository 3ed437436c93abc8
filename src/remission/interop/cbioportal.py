"""A cBioPortal study folder from Cases: clinical patient and sample files, one timeline file per
event type, and the meta files that make the folder loadable.

Format: cBioPortal's file-format documentation ("Cancer Study", "Clinical Data", "Timeline
Data"): tab-separated files; a clinical file starts with four ``#`` rows (display names,
descriptions, datatypes STRING/NUMBER/BOOLEAN, priorities) above the column names; survival
columns come in ``*_STATUS`` / ``*_MONTHS`` pairs with statuses prefixed ``0:`` (no event) or
``1:`` (event); a timeline file has PATIENT_ID, START_DATE, STOP_DATE (days, blank for a point
event) and EVENT_TYPE, then any columns; every data file has a meta file.

Choices (docs/interop.md, "cBioPortal"):

* **Day 0 is the first index therapy** (the CAR-T infusion or blinatumomab course the case is
  about) by default, not the diagnosis cBioPortal suggests: the infusion is the spine of every
  case (DESIGN.md) and is usually dated more precisely than the diagnosis, which case reports
  often give only as a year or not at all. ``anchor="diagnosis"`` follows cBioPortal's
  convention instead. OS and EFS count from the same day 0 (:mod:`remission.rules.outcomes`).
* Days are whole numbers (cBioPortal's format); a time known only within a range is written at
  its midpoint and its ``DATE_PRECISION`` column says "±N days".
* An event that cannot be placed relative to day 0 (no date, or dated on another axis than the
  anchor) is left out and listed in ``skipped_events.tsv`` with the reason; a patient whose OS or
  EFS cannot be computed gets ``NA`` and the reason is listed there too.
* cBioPortal needs a sample for each patient; there are no profiled samples here, so each
  patient gets one sample (``<patient>-dx``) standing for the diagnostic specimen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from remission.exceptions import ExportTargetError, Problem
from remission.interop.deidentify import AGE_GROUP_FROM, AGE_GROUP_LABEL
from remission.interop.output import prepare_folder
from remission.model import (
    HSCT,
    CarTInfusion,
    Case,
    Death,
    DiseaseAssessment,
    FollowUp,
    Relapse,
    Therapy,
    ToxicityEpisode,
    load_vocabulary,
)
from remission.rules.episodes import grade_case
from remission.rules.outcomes import Outcome, event_free_survival, overall_survival
from remission.rules.response import assess_response
from remission.rules.summary import summarize

__all__ = [
    "ANCHORS",
    "PATIENT_ATTRIBUTES",
    "SAMPLE_ATTRIBUTES",
    "TIMELINE_COLUMNS",
    "CBioPortalStudy",
    "ClinicalAttribute",
    "SkippedItem",
    "StudyTables",
    "read_clinical",
    "read_meta",
    "read_timeline",
    "study_files",
    "study_tables",
    "write_study",
]

Anchor = Literal["infusion", "diagnosis"]
ANCHORS: tuple[str, ...] = ("infusion", "diagnosis")
NA = "NA"
_STUDY_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")


@dataclass(frozen=True)
class ClinicalAttribute:
    """One column of a clinical file with its four header rows."""

    column: str
    display: str
    description: str
    datatype: Literal["STRING", "NUMBER", "BOOLEAN"]
    priority: int = 1


PATIENT_ATTRIBUTES: tuple[ClinicalAttribute, ...] = (
    ClinicalAttribute("PATIENT_ID", "Patient Identifier", "Case id (pseudonymous).", "STRING"),
    ClinicalAttribute("SEX", "Sex", "Sex of the patient.", "STRING"),
    ClinicalAttribute(
        "AGE",
        "Age",
        f"Age in years as stated (at AGE_AT); NA when not stated or {AGE_GROUP_FROM} or older.",
        "NUMBER",
    ),
    ClinicalAttribute("AGE_AT", "Age stated at", "Event the age refers to.", "STRING"),
    ClinicalAttribute(
        "AGE_GROUP",
        "Age group",
        f"'{AGE_GROUP_LABEL}' when the patient is {AGE_GROUP_FROM} or older (HIPAA Safe Harbor).",
        "STRING",
    ),
    ClinicalAttribute("DISEASE", "Disease", "B-ALL, T-ALL or other.", "STRING"),
    ClinicalAttribute(
        "PH_POSITIVE", "Ph-positive", "BCR::ABL1 (Ph) positive: Yes or No.", "STRING"
    ),
    ClinicalAttribute(
        "RELAPSE_COUNT",
        "Relapses before index therapy",
        "Relapses up to the one the index therapy treats (CaseSummary).",
        "NUMBER",
    ),
    ClinicalAttribute(
        "PRIOR_HSCT", "Prior allogeneic HSCT", "Before the index therapy: Yes or No.", "STRING"
    ),
    ClinicalAttribute(
        "INDEX_THERAPY",
        "Index therapy",
        "The therapies the case is about (class: agent or target).",
        "STRING",
    ),
    ClinicalAttribute(
        "BEST_RESPONSE", "Best response", "Best response to the index therapy.", "STRING"
    ),
    ClinicalAttribute(
        "MRD_NEGATIVE", "MRD-negative", "After the index therapy: Yes or No.", "STRING"
    ),
    ClinicalAttribute(
        "CRS_MAX_GRADE",
        "CRS maximum grade",
        "Worst CRS grade after the index therapy (stated, else computed by ASTCT 2019).",
        "NUMBER",
    ),
    ClinicalAttribute(
        "ICANS_MAX_GRADE",
        "ICANS maximum grade",
        "Worst ICANS grade after the index therapy (stated, else computed by ASTCT 2019).",
        "NUMBER",
    ),
    ClinicalAttribute(
        "BRIDGED_TO_HSCT",
        "Bridged to HSCT",
        "Allogeneic HSCT in the remission the index therapy achieved: Yes or No.",
        "STRING",
    ),
    ClinicalAttribute(
        "TIMELINE_ANCHOR",
        "Day 0",
        "The event the timeline, OS and EFS count from.",
        "STRING",
    ),
    ClinicalAttribute(
        "OS_STATUS",
        "Overall Survival Status",
        "1:DECEASED or 0:LIVING (at last contact).",
        "STRING",
    ),
    ClinicalAttribute(
        "OS_MONTHS",
        "Overall Survival (Months)",
        "Months (30.4375 days) from day 0 to death or last contact.",
        "NUMBER",
    ),
    ClinicalAttribute(
        "OS_PRECISION", "OS precision", "exact, or the uncertainty from partial dates.", "STRING"
    ),
    ClinicalAttribute(
        "EFS_STATUS",
        "Event-Free Survival Status",
        "1:EVENT (no response by day 28, relapse or death) or 0:EVENT-FREE.",
        "STRING",
    ),
    ClinicalAttribute(
        "EFS_MONTHS",
        "Event-Free Survival (Months)",
        "Months from day 0 to the first event or last contact.",
        "NUMBER",
    ),
    ClinicalAttribute(
        "EFS_PRECISION", "EFS precision", "exact, or the uncertainty from partial dates.", "STRING"
    ),
    ClinicalAttribute("DATA_SOURCE", "Data source", "Kind of source of the case.", "STRING"),
)

SAMPLE_ATTRIBUTES: tuple[ClinicalAttribute, ...] = (
    ClinicalAttribute("PATIENT_ID", "Patient Identifier", "Case id (pseudonymous).", "STRING"),
    ClinicalAttribute(
        "SAMPLE_ID",
        "Sample Identifier",
        "One sample per patient standing for the diagnostic specimen (no profiled samples).",
        "STRING",
    ),
    ClinicalAttribute("CANCER_TYPE", "Cancer Type", "Cancer type.", "STRING"),
    ClinicalAttribute(
        "CANCER_TYPE_DETAILED", "Cancer Type Detailed", "Cancer type, detailed.", "STRING"
    ),
)

_BASE = ["PATIENT_ID", "START_DATE", "STOP_DATE", "EVENT_TYPE"]
#: The columns of each timeline file, by event type (file ``data_timeline_<type>.txt``).
TIMELINE_COLUMNS: dict[str, list[str]] = {
    "treatment": [
        *_BASE,
        "TREATMENT_TYPE",
        "SUBTYPE",
        "AGENT",
        "AGENT_CLASS",
        "INTENT",
        "EVENT_ID",
        "DATE_PRECISION",
    ],
    "status": [*_BASE, "STATUS", "DETAIL", "EVENT_ID", "DATE_PRECISION"],
    "lab_test": [
        *_BASE,
        "TEST",
        "RESULT",
        "UNIT",
        "SPECIMEN",
        "BLQ",
        "EVENT_ID",
        "DATE_PRECISION",
    ],
    "toxicity": [
        *_BASE,
        "SYNDROME",
        "GRADE",
        "SCALE",
        "SOURCE",
        "FOLLOWS",
        "EVENT_ID",
        "DATE_PRECISION",
    ],
}
_EVENT_TYPE = {
    "treatment": "TREATMENT",
    "status": "STATUS",
    "lab_test": "LAB_TEST",
    "toxicity": "TOXICITY",
}
_SUBTYPE = {
    "chemotherapy": "Chemotherapy",
    "tki": "Targeted Therapy",
    "antibody_drug_conjugate": "Targeted Therapy",
    "monoclonal_antibody": "Immunotherapy",
    "bispecific": "Immunotherapy",
    "corticosteroid": "Corticosteroid",
    "radiotherapy": "Radiotherapy",
    "anti_cytokine": "Supportive",
    "antipyretic": "Supportive",
    "supportive": "Supportive",
    "immunosuppressant": "Immunosuppression",
}
_CANCER_TYPE_DETAILED = {
    "B-ALL": "B-Lymphoblastic Leukemia/Lymphoma",
    "T-ALL": "T-Lymphoblastic Leukemia/Lymphoma",
    "MPAL": "Mixed Phenotype Acute Leukemia",
}


@dataclass(frozen=True)
class SkippedItem:
    """Something left out of the study, and why (undated, or not placeable relative to day 0)."""

    patient_id: str
    item: str
    reason: str


@dataclass(frozen=True)
class StudyTables:
    """The rows of every file (values already as cBioPortal text), before writing."""

    patients: tuple[dict[str, str], ...]
    samples: tuple[dict[str, str], ...]
    timelines: dict[str, tuple[dict[str, str], ...]]
    skipped: tuple[SkippedItem, ...]


@dataclass(frozen=True)
class CBioPortalStudy:
    """What :func:`write_study` wrote."""

    folder: Path
    study_id: str
    files: tuple[Path, ...]
    patients: int
    events: dict[str, int]
    skipped: tuple[SkippedItem, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# Building the rows
# --------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or value == "":
        return NA
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, float):
        return f"{round(value, 2):g}"
    text = str(value)
    if "\t" in text or "\n" in text or "\r" in text:  # one cell, one line
        text = re.sub(r"[\t\r\n]+", " ", text)
    return text.strip() or NA


def _status(outcome: Outcome, event: str, no_event: str) -> tuple[str, str, str]:
    if not outcome.computable or outcome.interval is None:
        return NA, NA, NA
    status = event if outcome.event else no_event
    return status, f"{outcome.interval.months:.2f}", outcome.interval.precision


class _Placer:
    """Days from a case's day 0, with skipped items recorded."""

    def __init__(self, case: Case, anchor: str, skipped: list[SkippedItem]):
        self.case = case
        self.anchor = anchor
        self.skipped = skipped

    def day(self, item: str, point: Any) -> tuple[str, str] | None:
        if point is None:
            self.skipped.append(SkippedItem(self.case.id, item, "has no time"))
            return None
        iv = self.case.interval(self.anchor, point)
        if iv is None:
            undated = (
                isinstance(point, str)
                and point in self.case.resolved_times
                and (self.case.stated_time(point) is None)
            )
            reason = (
                f"has no date and day 0 ({self.anchor}) is not counted from it"
                if undated
                else f"cannot be placed relative to day 0 ({self.anchor}): not on the same "
                "time axis (one is dated, the other counted from an undated event)"
            )
            self.skipped.append(SkippedItem(self.case.id, item, reason))
            return None
        return str(round(iv.days)), iv.precision

    def stop(self, start: str, point: Any) -> str:
        if point is None:
            return ""
        iv = self.case.interval(self.anchor, point)
        if iv is None:
            return ""
        stop = round(iv.days)
        return str(stop) if stop >= int(start) else start


def _anchor(case: Case, anchor: Anchor) -> tuple[str, str]:
    if anchor == "diagnosis":
        return "diagnosis", "diagnosis"
    index = case.index_events()
    if index:
        return index[0].id, f"{index[0].id} (first index therapy)"
    return "diagnosis", "diagnosis (the case names no index therapy)"


def _patient_row(
    case: Case, anchor_id: str, anchor_label: str, skipped: list[SkippedItem]
) -> dict[str, str]:
    s = summarize(case)
    age = case.patient.age
    grouped = age is not None and (
        age.years >= AGE_GROUP_FROM
        or (case.patient.note or "").startswith(f"Age {AGE_GROUP_LABEL}")
    )
    os_ = overall_survival(case, anchor_id)
    efs = event_free_survival(case, anchor_id)
    for o in (os_, efs):
        if not o.computable:
            skipped.append(
                SkippedItem(case.id, f"{o.endpoint}_MONTHS", o.reason or "not computable")
            )
    os_status, os_months, os_prec = _status(os_, "1:DECEASED", "0:LIVING")
    efs_status, efs_months, efs_prec = _status(efs, "1:EVENT", "0:EVENT-FREE")
    therapies = "; ".join(
        f"{t.therapy_class}: {t.agent or t.target or ''}".rstrip(": ") for t in s.index_therapies
    )
    values: dict[str, Any] = {
        "PATIENT_ID": case.id,
        "SEX": s.sex.capitalize() if s.sex else None,
        "AGE": None if age is None or grouped else round(age.years, 2),
        "AGE_AT": age.at if age is not None else None,
        "AGE_GROUP": AGE_GROUP_LABEL if grouped else None,
        "DISEASE": case.diagnosis.disease,
        "PH_POSITIVE": s.ph_positive,
        "RELAPSE_COUNT": s.relapse_count,
        "PRIOR_HSCT": s.prior_hsct,
        "INDEX_THERAPY": therapies or None,
        "BEST_RESPONSE": s.response,
        "MRD_NEGATIVE": s.mrd_negative,
        "CRS_MAX_GRADE": s.crs_max_grade,
        "ICANS_MAX_GRADE": s.icans_max_grade,
        "BRIDGED_TO_HSCT": s.bridged_to_hsct,
        "TIMELINE_ANCHOR": anchor_label,
        "OS_STATUS": os_status,
        "OS_MONTHS": os_months,
        "OS_PRECISION": os_prec,
        "EFS_STATUS": efs_status,
        "EFS_MONTHS": efs_months,
        "EFS_PRECISION": efs_prec,
        "DATA_SOURCE": case.source.kind if case.source else None,
    }
    return {a.column: _text(values[a.column]) for a in PATIENT_ATTRIBUTES}


def _row(kind: str, case: Case, start: tuple[str, str], stop: str, **cols: Any) -> dict[str, str]:
    row = {c: "" for c in TIMELINE_COLUMNS[kind]}
    row.update(
        {
            "PATIENT_ID": case.id,
            "START_DATE": start[0],
            "STOP_DATE": stop,
            "EVENT_TYPE": _EVENT_TYPE[kind],
            "DATE_PRECISION": start[1],
        }
    )
    for key, value in cols.items():
        text = _text(value)
        row[key] = "" if text == NA else text
    return row


def _timeline(
    case: Case, anchor_id: str, skipped: list[SkippedItem]
) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {k: [] for k in TIMELINE_COLUMNS}
    place = _Placer(case, anchor_id, skipped)
    agents = load_vocabulary("agents")
    products = load_vocabulary("car_t_products")
    analytes = load_vocabulary("analytes")

    if case.diagnosis.date is not None:
        start = place.day("diagnosis", "diagnosis")
        if start:
            detail = case.diagnosis.disease + (
                ""
                if case.diagnosis.ph_positive is None
                else (", Ph+" if case.diagnosis.ph_positive else ", Ph-")
            )
            out["status"].append(_row("status", case, start, "", STATUS="Diagnosis", DETAIL=detail))

    stated_tox: set[tuple[str, str | None]] = set()
    for ev in case.timeline:
        if isinstance(ev, Therapy):
            start = place.day(ev.id, ev.id)
            if not start:
                continue
            stop = place.stop(start[0], ev.end)
            items = [
                (agents.get(a).label, str(agents.get(a).attributes.get("class", "other")))
                for a in ev.agents
            ]
            for label, cls in items or [(ev.protocol or "", "other")]:
                radiation = ev.route == "external_beam" or cls == "radiotherapy"
                out["treatment"].append(
                    _row(
                        "treatment",
                        case,
                        start,
                        stop,
                        TREATMENT_TYPE="Radiation Therapy" if radiation else "Medical Therapy",
                        SUBTYPE=_SUBTYPE.get(cls, cls.replace("_", " ").capitalize()),
                        AGENT=label,
                        AGENT_CLASS=cls,
                        INTENT=ev.intent,
                        EVENT_ID=ev.id,
                    )
                )
        elif isinstance(ev, CarTInfusion):
            ld = ev.lymphodepletion
            if ld is not None and ld.agents:
                ld_start = place.day(f"{ev.id}.lymphodepletion", ld.start)
                if ld_start:
                    for a in ld.agents:
                        out["treatment"].append(
                            _row(
                                "treatment",
                                case,
                                ld_start,
                                "",
                                TREATMENT_TYPE="Medical Therapy",
                                SUBTYPE="Lymphodepletion",
                                AGENT=agents.get(a).label,
                                AGENT_CLASS=str(agents.get(a).attributes.get("class", "other")),
                                INTENT="lymphodepletion",
                                EVENT_ID=ev.id,
                            )
                        )
            start = place.day(ev.id, ev.id)
            if not start:
                continue
            product = (
                products.get(ev.product).label
                if ev.product != "investigational"
                else f"investigational{f' ({ev.construct_name})' if ev.construct_name else ''}"
            )
            klass = " ".join(
                x
                for x in (
                    f"{ev.target} CAR-T" if ev.target else "CAR-T",
                    f"({', '.join(ev.costimulatory)})" if ev.costimulatory else "",
                    ev.cell_source or "",
                )
                if x
            )
            out["treatment"].append(
                _row(
                    "treatment",
                    case,
                    start,
                    "",
                    TREATMENT_TYPE="Cellular Therapy",
                    SUBTYPE="CAR-T",
                    AGENT=product,
                    AGENT_CLASS=klass,
                    EVENT_ID=ev.id,
                )
            )
        elif isinstance(ev, HSCT):
            start = place.day(ev.id, ev.id)
            if start:
                out["treatment"].append(
                    _row(
                        "treatment",
                        case,
                        start,
                        "",
                        TREATMENT_TYPE="Transplant",
                        SUBTYPE=f"{ev.kind.capitalize()} HSCT",
                        AGENT=ev.donor_type or ev.kind,
                        AGENT_CLASS="hsct",
                        EVENT_ID=ev.id,
                    )
                )
        elif isinstance(ev, Relapse):
            start = place.day(ev.id, ev.id)
            if start:
                detail = ", ".join(ev.sites) or "sites not stated"
                if ev.number:
                    detail = f"relapse {ev.number}: {detail}"
                out["status"].append(
                    _row("status", case, start, "", STATUS="Relapse", DETAIL=detail, EVENT_ID=ev.id)
                )
        elif isinstance(ev, DiseaseAssessment):
            start = place.day(ev.id, ev.id)
            if not start:
                continue
            call = assess_response(case, ev.id)
            if call.response is not None:
                detail = f"response to {ev.assesses}" if ev.assesses else "assessment"
                out["status"].append(
                    _row(
                        "status",
                        case,
                        start,
                        "",
                        STATUS=call.response,
                        DETAIL=detail,
                        EVENT_ID=ev.id,
                    )
                )
            if ev.marrow_blasts_pct is not None:
                out["lab_test"].append(
                    _row(
                        "lab_test",
                        case,
                        start,
                        "",
                        TEST="Marrow blasts",
                        RESULT=ev.marrow_blasts_pct,
                        UNIT="%",
                        SPECIMEN="marrow",
                        EVENT_ID=ev.id,
                    )
                )
            if ev.mrd is not None:
                result: Any = ev.mrd.value
                if result is None:
                    result = "detected" if ev.mrd.detectable else "not detected"
                out["lab_test"].append(
                    _row(
                        "lab_test",
                        case,
                        start,
                        "",
                        TEST=f"MRD ({ev.mrd.method})",
                        RESULT=result,
                        UNIT="fraction",
                        SPECIMEN=ev.mrd.sample,
                        EVENT_ID=ev.id,
                    )
                )
        elif isinstance(ev, ToxicityEpisode):
            start = place.day(ev.id, ev.id)
            if not start:
                continue
            stated_tox.add((ev.syndrome, ev.after))
            out["toxicity"].append(
                _row(
                    "toxicity",
                    case,
                    start,
                    place.stop(start[0], ev.resolved),
                    SYNDROME=ev.term if ev.syndrome == "other" else ev.syndrome.upper(),
                    GRADE=ev.grade.grade if ev.grade else None,
                    SCALE=ev.grade.scale if ev.grade else None,
                    SOURCE="stated",
                    FOLLOWS=ev.after,
                    EVENT_ID=ev.id,
                )
            )
        elif isinstance(ev, FollowUp | Death):
            start = place.day(ev.id, ev.id)
            if not start:
                continue
            if isinstance(ev, Death):
                status, detail = "Death", f"cause: {ev.cause}"
            else:
                status = "Alive" if ev.alive else "Dead"
                detail = f"disease: {ev.disease_status}"
            out["status"].append(
                _row("status", case, start, "", STATUS=status, DETAIL=detail, EVENT_ID=ev.id)
            )

    if case.assessments:
        for ep in grade_case(case).episodes:
            if (ep.syndrome, ep.follows) in stated_tox:
                continue  # the source's own episode is shown (as in the registry summary)
            start = place.day(f"computed {ep.syndrome.upper()} episode {ep.number}", ep.onset_at)
            if start:
                out["toxicity"].append(
                    _row(
                        "toxicity",
                        case,
                        start,
                        place.stop(start[0], ep.resolution_at),
                        SYNDROME=ep.syndrome.upper(),
                        GRADE=ep.max_grade,
                        SCALE="ASTCT 2019",
                        SOURCE="computed from daily assessments",
                        FOLLOWS=ep.follows,
                    )
                )

    for series in case.observations:
        label = analytes.get(series.analyte).label
        for j, p in enumerate(series.points):
            point: Any = p.at
            if p.day is not None and series.anchor is not None:
                point = f"{series.anchor}{'+' if p.day >= 0 else '-'}{abs(p.day):g}d"
            start = place.day(f"{series.id}.points[{j}]", point)
            if not start:
                continue
            value: Any = p.value
            if p.blq:
                value = f"<{series.lloq:g}" if series.lloq else "BLQ"
            out["lab_test"].append(
                _row(
                    "lab_test",
                    case,
                    start,
                    "",
                    TEST=label,
                    RESULT=value,
                    UNIT=series.unit,
                    SPECIMEN=series.specimen,
                    BLQ=p.blq,
                    EVENT_ID=series.id,
                )
            )
    return out


def study_tables(cases: Sequence[Case], *, anchor: Anchor = "infusion") -> StudyTables:
    """Every row of the study's files (pure: reads only the cases)."""
    if anchor not in ANCHORS:
        raise ExportTargetError(
            Problem(f"anchor must be one of {', '.join(ANCHORS)}, not {anchor!r}")
        )
    skipped: list[SkippedItem] = []
    patients: list[dict[str, str]] = []
    samples: list[dict[str, str]] = []
    timelines: dict[str, list[dict[str, str]]] = {k: [] for k in TIMELINE_COLUMNS}
    for case in cases:
        anchor_id, label = _anchor(case, anchor)
        patients.append(_patient_row(case, anchor_id, label, skipped))
        samples.append(
            {
                "PATIENT_ID": case.id,
                "SAMPLE_ID": f"{case.id}-dx",
                "CANCER_TYPE": "Leukemia",
                "CANCER_TYPE_DETAILED": _CANCER_TYPE_DETAILED.get(
                    case.diagnosis.disease, "Leukemia"
                ),
            }
        )
        for kind, rows in _timeline(case, anchor_id, skipped).items():
            timelines[kind].extend(rows)
    return StudyTables(
        tuple(patients),
        tuple(samples),
        {k: tuple(v) for k, v in timelines.items()},
        tuple(skipped),
    )


# --------------------------------------------------------------------------------------------
# Writing and reading
# --------------------------------------------------------------------------------------------


def _clinical_text(attributes: Sequence[ClinicalAttribute], rows: Sequence[dict[str, str]]) -> str:
    lines = [
        "#" + "\t".join(a.display for a in attributes),
        "#" + "\t".join(a.description for a in attributes),
        "#" + "\t".join(a.datatype for a in attributes),
        "#" + "\t".join(str(a.priority) for a in attributes),
        "\t".join(a.column for a in attributes),
    ]
    lines += ["\t".join(row[a.column] for a in attributes) for row in rows]
    return "\n".join(lines) + "\n"


def _tsv(columns: Sequence[str], rows: Sequence[dict[str, str]]) -> str:
    lines = ["\t".join(columns)] + ["\t".join(row.get(c, "") for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def _meta(**fields: str) -> str:
    return "".join(f"{k}: {v}\n" for k, v in fields.items())


def _one_line(text: str, what: str) -> str:
    if "\n" in text or "\r" in text or not text.strip():
        raise ExportTargetError(Problem(f"the study {what} must be one non-empty line"))
    return text.strip()


def study_files(
    cases: Sequence[Case],
    *,
    study_id: str = "remission_cohort",
    name: str = "remission cohort",
    description: str | None = None,
    anchor: Anchor = "infusion",
    type_of_cancer: str | None = None,
) -> tuple[dict[str, str], StudyTables]:
    """Every file of the study as text (file name -> content), and the tables behind them.

    Pure: for a download built in memory (the web app zips these); :func:`write_study` writes
    them to a folder.
    """
    if not _STUDY_ID.match(study_id):
        raise ExportTargetError(
            Problem(
                f"{study_id!r} is not a usable study id: letters, digits, '_', '.', '-' only",
                field="study_id",
            )
        )
    tables = study_tables(cases, anchor=anchor)
    diseases = {c.diagnosis.disease for c in cases}
    cancer = type_of_cancer or ("bll" if diseases == {"B-ALL"} else "mixed")
    day0 = "the first index therapy" if anchor == "infusion" else "the diagnosis"
    desc = description or (
        f"{len(cases)} patients exported by remission; timeline day 0 and OS/EFS from {day0}."
    )
    files: dict[str, str] = {
        "meta_study.txt": _meta(
            type_of_cancer=_one_line(cancer, "type_of_cancer"),
            cancer_study_identifier=study_id,
            name=_one_line(name, "name"),
            description=_one_line(desc, "description"),
            add_global_case_list="true",
        ),
        "meta_clinical_patient.txt": _meta(
            cancer_study_identifier=study_id,
            genetic_alteration_type="CLINICAL",
            datatype="PATIENT_ATTRIBUTES",
            data_filename="data_clinical_patient.txt",
        ),
        "data_clinical_patient.txt": _clinical_text(PATIENT_ATTRIBUTES, tables.patients),
        "meta_clinical_sample.txt": _meta(
            cancer_study_identifier=study_id,
            genetic_alteration_type="CLINICAL",
            datatype="SAMPLE_ATTRIBUTES",
            data_filename="data_clinical_sample.txt",
        ),
        "data_clinical_sample.txt": _clinical_text(SAMPLE_ATTRIBUTES, tables.samples),
    }
    for kind, rows in tables.timelines.items():
        if not rows:
            continue
        data = f"data_timeline_{kind}.txt"
        files[f"meta_timeline_{kind}.txt"] = _meta(
            cancer_study_identifier=study_id,
            genetic_alteration_type="CLINICAL",
            datatype="TIMELINE",
            data_filename=data,
        )
        files[data] = _tsv(TIMELINE_COLUMNS[kind], rows)
    files["skipped_events.tsv"] = _tsv(
        ["PATIENT_ID", "ITEM", "REASON"],
        [{"PATIENT_ID": s.patient_id, "ITEM": s.item, "REASON": s.reason} for s in tables.skipped],
    )
    return files, tables


def write_study(
    cases: Sequence[Case],
    folder: Path,
    *,
    study_id: str = "remission_cohort",
    name: str = "remission cohort",
    description: str | None = None,
    anchor: Anchor = "infusion",
    type_of_cancer: str | None = None,
    overwrite: bool = False,
) -> CBioPortalStudy:
    """Write a loadable cBioPortal study folder (module doc) and say what it holds.

    The folder must be new or empty (``overwrite`` replaces the files of an earlier export);
    the files appear together or not at all.
    """
    files, tables = study_files(
        cases,
        study_id=study_id,
        name=name,
        description=description,
        anchor=anchor,
        type_of_cancer=type_of_cancer,
    )
    with prepare_folder(folder, overwrite=overwrite) as tmp:
        for file_name, text in files.items():
            (tmp / file_name).write_text(text, encoding="utf-8")
    return CBioPortalStudy(
        folder=folder,
        study_id=study_id,
        files=tuple(folder / n for n in files),
        patients=len(tables.patients),
        events={k: len(v) for k, v in tables.timelines.items() if v},
        skipped=tables.skipped,
    )


def read_meta(path: Path) -> dict[str, str]:
    """A meta file as a mapping (``key: value`` lines)."""
    out: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            out[key.strip()] = value.strip()
    return out


def read_clinical(path: Path) -> tuple[list[list[str]], list[dict[str, str]]]:
    """A clinical file: its four ``#`` header rows (split by tab) and its records."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    header = [line[1:].split("\t") for line in lines[:4]]
    columns = lines[4].split("\t")
    records = [dict(zip(columns, line.split("\t"), strict=True)) for line in lines[5:] if line]
    return header, records


def read_timeline(path: Path) -> list[dict[str, str]]:
    """A timeline (or other plain TSV) file as records."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    columns = lines[0].split("\t")
    return [dict(zip(columns, line.split("\t"), strict=True)) for line in lines[1:] if line]
