"""A mixed virtual cohort shared by the synth tests (drawn and graded once per session: about 5 s)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from remission.model import Case
from remission.rules import CaseGrading, grade_case
from remission.synth import DEFAULT_PARAMS, case_rng
from remission.synth.generator import _Builder

COHORT_SEED = 2024
COHORT_N = 2000


@dataclass(frozen=True)
class Drawn:
    case: Case
    arm: str
    grading: CaseGrading

    def max_grade(self, syndrome: str) -> int:
        return self.grading.max_grade(syndrome, follows=self.case.index[0]) or 0  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def cohort() -> list[Drawn]:
    out = []
    for i in range(1, COHORT_N + 1):
        builder = _Builder(case_rng(COHORT_SEED, i), i, DEFAULT_PARAMS)
        case = Case.model_validate(builder.build())
        out.append(Drawn(case, builder.arm.key, grade_case(case)))
    return out
