"""The five seed reports give the facts their reports state (issue 6, "done when").

The seed texts live outside the project (/work/shared/seeds); without them these tests skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from remission.evidence import extract_text

SEEDS = Path("/work/shared/seeds")


def _seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip("seed reports not available")
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not found:
        pytest.skip(f"seed {prefix} not available")
    return found[0].read_text(encoding="utf-8")


def test_seed_000_ph_positive_fourth_relapse_car_t_after_blinatumomab():
    s = extract_text(_seed("000")).patients[0].summary
    assert (s.age_years, s.sex, s.diagnosis, s.ph_positive, s.bcr_abl_transcript) == (
        28,
        "male",
        "B-ALL",
        True,
        "p210",
    )
    assert s.abl_kinase_mutations == ["T315I"]
    assert (s.relapse_count, s.refractory, s.prior_hsct) == (4, True, True)
    assert s.extramedullary_sites == ["skin"]
    assert [t.therapy_class for t in s.index_therapies] == ["car_t"]
    assert (s.response, s.follow_up_months, s.relapse_after, s.alive_at_last_follow_up) == (
        "CR",
        12,
        False,
        True,
    )


def test_seed_001_cns_car_t_with_cd28_or_4_1bb():
    s = extract_text(_seed("001")).patients[0].summary
    assert s.index_therapies[0].costimulatory == []
    assert (s.cns_involvement, s.crs_max_grade, s.follow_up_months, s.relapse_after) == (
        True,
        1,
        36,
        False,
    )


def test_seed_002_autologous_then_donor_derived_car_t_bridged():
    s = extract_text(_seed("002")).patients[0].summary
    assert [t.cell_source for t in s.index_therapies] == ["autologous", "donor_derived"]
    assert (s.crs_max_grade, s.icans_max_grade, s.relapse_after, s.bridged_to_hsct) == (
        1,
        1,
        True,
        True,
    )


def test_seed_003_donor_derived_car_t_no_gvhd():
    s = extract_text(_seed("003")).patients[0].summary
    assert (s.age_years, s.sex, s.prior_hsct, s.gvhd, s.response) == (
        62,
        "female",
        True,
        False,
        "CR",
    )
    assert [t.cell_source for t in s.index_therapies] == ["donor_derived"]


def test_seed_004_is_a_cohort_of_14():
    result = extract_text(_seed("004"))
    assert result.kind == "cohort"
    c = result.cohort
    assert c is not None
    assert (
        c.n_patients,
        c.median_age_years,
        c.n_complete_response,
        c.n_mrd_negative,
        c.n_bridged_to_hsct,
    ) == (14, 9, 12, 12, 11)
