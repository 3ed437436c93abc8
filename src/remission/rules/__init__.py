"""Clinical criteria as pure functions: toxicity grading (ASTCT 2019 CRS and ICANS), stated
grades in other scales, and (added by others) response, MRD, relapse and intervals.

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

__all__ = [
    "CRS_CRITERIA",
    "ICANS_CRITERIA",
    "GradeResult",
    "StatedGrade",
    "Translation",
    "grade",
    "grade_crs",
    "grade_icans",
    "grade_many",
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
