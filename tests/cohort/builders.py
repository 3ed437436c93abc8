"""Small patient courses for the cohort tests, written fresh as Case documents.

Every course: diagnosis 2018, optional history before the index therapy (a transplant, a
blinatumomab course, the relapse being treated with its sites and marrow blasts), the CAR-T
infusion ``car1`` on 2020-01-01 (day 0), the day-28 response assessment, optional toxicity
grades, an optional relapse, and the end: a death or a last follow-up at a given day.
"""

from __future__ import annotations

from typing import Any

from remission.model import Case

INFUSION = "2020-01-01"


def course(
    case_id: str,
    *,
    last_day: int | str = 365,
    died: bool = False,
    cause: str = "infection",
    relapse_day: int | None = None,
    response: str | None = "CR",
    assessment_day: int = 28,
    mrd_negative: bool | None = None,
    crs: int | None = None,
    icans: int | None = None,
    blasts: float | None = None,
    relapse_sites: tuple[str, ...] = ("bone_marrow",),
    prior_blinatumomab: bool = False,
    prior_hsct: bool = False,
    index_relapse: bool = True,
    age: float | None = None,
    sex: str | None = None,
    infusion_date: str | None = INFUSION,
    complete_history: bool = True,
    status: str = "final",
) -> Case:
    """One course. ``last_day`` is the day (after the infusion) of death or last follow-up; a
    string is used as the date itself (partial dates)."""
    timeline: list[dict[str, Any]] = []
    if prior_hsct:
        timeline.append({"id": "hsct0", "type": "hsct", "date": "2018-10"})
    if prior_blinatumomab:
        timeline.append(
            {"id": "blina0", "type": "therapy", "agents": ["blinatumomab"], "start": "2019-03"}
        )
    if index_relapse:
        rel: dict[str, Any] = {
            "id": "rel1",
            "type": "relapse",
            "date": "2019-11",
            "sites": list(relapse_sites),
        }
        if blasts is not None:
            rel["marrow_blasts_pct"] = blasts
        timeline.append(rel)
    car: dict[str, Any] = {"id": "car1", "type": "car_t_infusion", "target": "CD19"}
    if infusion_date is not None:
        car["date"] = infusion_date
    timeline.append(car)
    if response is not None:
        d28: dict[str, Any] = {
            "id": "d28",
            "type": "disease_assessment",
            "date": f"car1+{assessment_day}d",
            "assesses": "car1",
            "response": response,
        }
        if mrd_negative is not None:
            d28["mrd"] = {"detectable": not mrd_negative, "method": "flow"}
            if not mrd_negative:
                d28["mrd"]["value"] = 0.01
        timeline.append(d28)
    for syndrome, grade in (("crs", crs), ("icans", icans)):
        if grade is not None:
            timeline.append(
                {
                    "id": f"{syndrome}1",
                    "type": "toxicity",
                    "syndrome": syndrome,
                    "after": "car1",
                    "onset": "car1+3d",
                    "grade": {"grade": grade, "scale": "ASTCT 2019"},
                }
            )
    if relapse_day is not None:
        timeline.append({"id": "rel2", "type": "relapse", "date": f"car1+{relapse_day}d"})
    end = last_day if isinstance(last_day, str) else f"car1+{last_day}d"
    if died:
        timeline.append({"id": "death", "type": "death", "date": end, "cause": cause})
    else:
        timeline.append({"id": "fu", "type": "follow_up", "date": end, "alive": True})
    patient: dict[str, Any] = {}
    if age is not None:
        patient["age"] = {"value": age, "at": "car1"}
    if sex is not None:
        patient["sex"] = sex
    return Case.model_validate(
        {
            "id": case_id,
            "status": status,
            "patient": patient,
            "diagnosis": {"date": "2018-03"},
            "complete_history": complete_history,
            "timeline": timeline,
        }
    )


def os_cohort(times: list[tuple[int, bool]], prefix: str = "p") -> list[Case]:
    """Courses with only survival information: (day of death or last contact, died)."""
    return [
        course(f"{prefix}{i + 1}", last_day=day, died=died) for i, (day, died) in enumerate(times)
    ]
