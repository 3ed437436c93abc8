"""The drawn cohort matches the configured rates within sampling error (n = 2,000 cases).

Rates are checked pooled over the mixed cohort (the expected value is the arm-weighted mean of
the configured rates, with its binomial standard error) and arm by arm with a looser bound.
Toxicity is read back through ``grade_case`` from the daily bedside findings, responses from
the first assessment of the index therapy (MRD through ``mrd_negative``) and relapses from the
timeline - the way any user of the files would.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pytest

from remission.model import DiseaseAssessment, Relapse
from remission.rules import mrd_negative
from remission.synth import ARMS, SOURCES, rate_rows


@dataclass
class Tally:
    n: int = 0
    hits: int = 0
    expected: float = 0.0
    variance: float = 0.0

    def add(self, hit: bool, p: float) -> None:
        self.n += 1
        self.hits += hit
        self.expected += p
        self.variance += p * (1 - p)

    def check(self, what: str, z: float) -> None:
        assert self.n > 0, what
        se = math.sqrt(max(self.variance, 1e-9))
        assert abs(self.hits - self.expected) <= z * se + 1, (
            f"{what}: observed {self.hits}/{self.n} = {self.hits / self.n:.3f}, "
            f"expected {self.expected / self.n:.3f} (+- {z} SE = {z * se / self.n:.3f})"
        )


@pytest.fixture(scope="module")
def tallies(cohort):
    pooled: dict[str, Tally] = defaultdict(Tally)
    by_arm: dict[tuple[str, str], Tally] = defaultdict(Tally)

    def add(what: str, arm: str, hit: bool, p: float) -> None:
        pooled[what].add(hit, p)
        by_arm[(what, arm)].add(hit, p)

    for d in cohort:
        a = ARMS[d.arm]
        c = d.case
        crs, icans = d.max_grade("crs"), d.max_grade("icans")
        add("crs_any", d.arm, crs > 0, a.crs_any.value)
        add("crs_grade3plus", d.arm, crs >= 3, a.crs_grade3plus.value)
        add("icans_any", d.arm, icans > 0, a.icans_any.value)
        add("icans_grade3plus", d.arm, icans >= 3, a.icans_grade3plus.value)
        add("ph_positive", d.arm, bool(c.diagnosis.ph_positive), a.ph_positive.value)
        first = next((e for e in c.events(DiseaseAssessment) if e.assesses == c.index[0]), None)
        if first is not None:  # assessed (not dead of toxicity before it)
            code = {"CRh": "CRi"}.get(first.response or "", first.response)
            remission = code in ("CR", "CRi")
            add("remission", d.arm, remission, a.remission.value)
            if remission:
                assert first.mrd is not None
                negative = mrd_negative(first.mrd).negative
                add("cr_share", d.arm, code == "CR", a.cr_share_of_remissions.value)
                add("mrd_negative", d.arm, bool(negative), a.mrd_negative_in_remission.value)
        after = [r for r in c.events(Relapse) if r.id == "rel-post"]
        if after:
            add("cd19_negative", d.arm, after[0].cd19 == "negative", a.cd19_negative_share.value)
    return pooled, by_arm


@pytest.mark.parametrize(
    "what",
    ["remission", "cr_share", "mrd_negative", "crs_any", "crs_grade3plus", "icans_any",
     "icans_grade3plus", "cd19_negative", "ph_positive"],
)  # fmt: skip
def test_pooled_rates_match(tallies, what):
    pooled, _ = tallies
    pooled[what].check(what, z=3.5)


def test_rates_match_arm_by_arm(tallies):
    _, by_arm = tallies
    for (what, arm), tally in sorted(by_arm.items()):
        tally.check(f"{what} in {arm}", z=4.5)
    arms = {arm for (_, arm) in by_arm}
    assert arms == set(ARMS)


def test_every_rate_names_a_known_source():
    for row in rate_rows():
        assert row["source"] in SOURCES
        assert row["approximate"] or row["source"] != "assumption"
