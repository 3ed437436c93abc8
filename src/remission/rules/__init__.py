"""Clinical criteria as pure functions: toxicity grading (ASTCT 2019 CRS and ICANS) and
episodes, stated grades in other scales, response and MRD, CNS status, relapse class and timing,
outcome intervals, and the CaseSummary derivation.

Every threshold lives once, in a data file under ``criteria/`` or one frozen table, with its
source named beside it; see ``docs/rules.md`` for the rules and the interpretations made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from remission.exceptions import GradingInputError, Problem
from remission.model.assessment import (
    CRSAssessment,
    GradeResult,
    ICANSAssessment,
    parse_assessment,
)
from remission.rules.crs import CRS_CRITERIA, grade_crs
from remission.rules.icans import ICANS_CRITERIA, grade_icans
from remission.rules.scales import StatedGrade, Translation, to_astct

# The modules below import grade() from this package: import them after it is defined.

__all__ = [
    "CRS_CRITERIA",
    "ICANS_CRITERIA",
    "CaseGrading",
    "GradeResult",
    "Outcome",
    "ResponseCall",
    "StatedGrade",
    "Translation",
    "assess_response",
    "case_responses",
    "classify_relapse",
    "classify_response",
    "cns_course",
    "cns_status",
    "cr_number",
    "duration_of_response",
    "event_free_survival",
    "grade",
    "grade_case",
    "grade_crs",
    "grade_icans",
    "grade_many",
    "mrd_negative",
    "overall_survival",
    "relapse_free_survival",
    "summarize",
    "summarize_cohort",
    "to_astct",
]


def grade(a: CRSAssessment | ICANSAssessment) -> GradeResult:
    """Grade one assessment by ASTCT 2019: :func:`grade_crs` or :func:`grade_icans`."""
    if isinstance(a, CRSAssessment):
        return grade_crs(a)
    if isinstance(a, ICANSAssessment):
        return grade_icans(a)
    raise TypeError(f"expected a CRSAssessment or ICANSAssessment, got {type(a).__name__}")


def grade_many(items: Any, where: str = "<stdin>") -> list[GradeResult]:
    """Grade a list of assessments given as mappings (a JSON array) or models, in order.

    Every problem of every item - bad values, unknown fields, a missing age - is collected and
    raised together as one :class:`GradingInputError`, each located as ``[index].field``;
    nothing is returned unless every item could be graded.
    """
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise GradingInputError(
            Problem(
                f"expected a list (JSON array) of assessments, got {type(items).__name__}; "
                "wrap a single assessment in [ ]",
                where=where,
            )
        )
    results: list[GradeResult] = []
    problems: list[Problem] = []
    for i, item in enumerate(items):
        prefix = f"[{i}]"
        try:
            results.append(grade(parse_assessment(item, where=where, field_prefix=prefix)))
        except GradingInputError as exc:
            for p in exc.problems:
                if p.field is None or p.field.startswith(prefix):
                    field = p.field or prefix
                else:
                    field = f"{prefix}.{p.field}"
                problems.append(replace(p, where=p.where or where, field=field))
    if problems:
        raise GradingInputError(problems)
    return results


from remission.rules.cns import cns_course, cns_status
from remission.rules.episodes import CaseGrading, grade_case
from remission.rules.mrd import mrd_negative
from remission.rules.outcomes import (
    Outcome,
    duration_of_response,
    event_free_survival,
    overall_survival,
    relapse_free_survival,
)
from remission.rules.relapse import classify_relapse, cr_number
from remission.rules.response import (
    ResponseCall,
    assess_response,
    case_responses,
    classify_response,
)
from remission.rules.summary import summarize, summarize_cohort
