"""Phrasings authors use that the rules must read the same way as the common ones.

Each case is a short text written for this test; the name says the rule it checks.
"""

from __future__ import annotations

from typing import Any

import pytest

from remission.evidence import extract_text

START = "A 40-year-old woman with B-ALL relapsed and received tisagenlecleucel. "


def summary(text: str) -> Any:
    result = extract_text(text)
    assert len(result.patients) == 1, result.kind
    return result.patients[0].summary


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        # ages
        (
            "A 6-year and 2-month-old boy with B-ALL relapsed and received tisagenlecleucel.",
            "age_years",
            6.17,
        ),
        (
            "A girl aged 5 years and 4 months with B-ALL relapsed and received blinatumomab.",
            "age_years",
            5.33,
        ),
        (
            "A toddler aged 26 months with B-ALL relapsed and received tisagenlecleucel.",
            "age_years",
            2.17,
        ),
        ("A 34 y/o man with B-ALL relapsed and received tisagenlecleucel.", "age_years", 34),
        # relapse ordinals and counts
        ("A 30-year-old man with B-ALL in R2 received tisagenlecleucel.", "relapse_count", 2),
        (
            "A 30-year-old man with B-ALL, after two prior relapses, received tisagenlecleucel.",
            "relapse_count",
            3,
        ),
        (
            "A 30-year-old man with B-ALL had a first relapse in 2019. In 2022 he relapsed again and received tisagenlecleucel.",
            "relapse_count",
            2,
        ),
        (
            "A 30-year-old man with multiply relapsed B-ALL received tisagenlecleucel.",
            "relapse_count",
            None,
        ),
        # Ph status
        (
            "A 30-year-old man with B-ALL harbouring a BCR-ABL1 fusion relapsed and received tisagenlecleucel.",
            "ph_positive",
            True,
        ),
        (
            "A 30-year-old man with B-ALL, BCR-ABL fusion gene negative, relapsed and received tisagenlecleucel.",
            "ph_positive",
            False,
        ),
        (
            "A 30-year-old man with BCR::ABL1-positive B-ALL relapsed and received tisagenlecleucel.",
            "ph_positive",
            True,
        ),
        (
            "A 30-year-old man with B-ALL with t(9;22) relapsed and received tisagenlecleucel.",
            "ph_positive",
            True,
        ),
        # CNS status at the relapse treated
        (
            "A 9-year-old boy with B-ALL had a second relapse with CNS3 status. He received tisagenlecleucel.",
            "cns_involvement",
            True,
        ),
        (
            "A 9-year-old boy with B-ALL relapsed; he was CNS-negative. He received tisagenlecleucel.",
            "cns_involvement",
            False,
        ),
        (
            "A 9-year-old boy with B-ALL relapsed with leptomeningeal disease. He received tisagenlecleucel.",
            "cns_involvement",
            True,
        ),
        # transplant vocabulary before the index therapy
        (
            "A 40-year-old woman with B-ALL relapsed after allo-SCT and received tisagenlecleucel.",
            "prior_hsct",
            True,
        ),
        (
            "A 40-year-old woman with B-ALL relapsed after alloHSCT and received tisagenlecleucel.",
            "prior_hsct",
            True,
        ),
        (
            "A 40-year-old woman with B-ALL relapsed after HCT and received tisagenlecleucel.",
            "prior_hsct",
            True,
        ),
        # toxicity grades in every order
        (START + "She developed CRS (G3) and no ICANS.", "crs_max_grade", 3),
        (START + "She developed grade II cytokine release syndrome.", "crs_max_grade", 2),
        (START + "She developed CRS of grade 2.", "crs_max_grade", 2),
        (START + "Cytokine release syndrome occurred (grade 3).", "crs_max_grade", 3),
        (
            START + "She had cytokine release syndrome, which was grade 2, and ICANS grade 1.",
            "icans_max_grade",
            1,
        ),
        (START + "Neither CRS nor ICANS occurred.", "icans_max_grade", 0),
        (START + "No neurotoxicity was observed.", "icans_max_grade", 0),
        # responses
        (START + "She achieved a morphologic remission.", "response", "CR"),
        (START + "She achieved CR with incomplete count recovery.", "response", "CRi"),
        (START + "She showed progressive disease.", "response", "NR"),
        # deaths and follow-up
        (
            START + "She succumbed to sepsis 4 months after infusion.",
            "alive_at_last_follow_up",
            False,
        ),
        (START + "She expired 3 months after infusion.", "alive_at_last_follow_up", False),
        (START + "She passed away on day 45.", "alive_at_last_follow_up", False),
        (
            START + "As of the last visit, 19 months after infusion, she remains in remission.",
            "follow_up_months",
            19,
        ),
        (START + "At 2-year follow-up she is in remission.", "follow_up_months", 24),
        (START + "She remains in remission 18 months later.", "relapse_after", False),
        # transplant after the index therapy
        (START + "She underwent consolidative transplant in remission.", "bridged_to_hsct", True),
        (START + "She reached CR and proceeded to allo-SCT in remission.", "bridged_to_hsct", True),
        (
            START + "She then received inotuzumab and a salvage haploidentical transplant.",
            "bridged_to_hsct",
            False,
        ),
    ],
)
def test_a_phrasing_gives_the_value(text: str, field: str, value: Any) -> None:
    assert getattr(summary(text), field) == value


def test_the_product_that_expired_is_not_a_death() -> None:
    s = summary(START + "A second bag of the product had expired and was discarded.")
    assert s.alive_at_last_follow_up is None


def test_a_grade_before_one_syndrome_does_not_pass_to_the_next_that_has_its_own() -> None:
    s = summary(START + "She had grade 2 CRS, and ICANS grade 1.")
    assert (s.crs_max_grade, s.icans_max_grade) == (2, 1)


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        (
            "Results: The first patient, a 30-year-old man with B-ALL in second relapse, received "
            "tisagenlecleucel and had grade 1 CRS. The second patient, a 50-year-old woman in first "
            "relapse, received tisagenlecleucel and had grade 2 CRS.",
            ["Patient 1", "Patient 2"],
        ),
        (
            "Two children\n\nPatient A: A 9-year-old boy with B-ALL received tisagenlecleucel. He had "
            "grade 1 CRS.\n\nPatient B: A 4-year-old girl received tisagenlecleucel. She had grade 2 CRS.\n",
            ["Patient A", "Patient B"],
        ),
        (
            "Two adults\n\nCase #1. A 30-year-old man with B-ALL received tisagenlecleucel. He had grade 1 "
            "CRS.\n\nCase #2. A 50-year-old woman received tisagenlecleucel. She had grade 2 CRS.\n",
            ["Case #1", "Case #2"],
        ),
        (
            "Two adults\n\nPt 1 - A 30-year-old man with B-ALL received tisagenlecleucel. He had grade 1 "
            "CRS.\nPt 2 - A 50-year-old woman received tisagenlecleucel. She had grade 2 CRS.\n",
            ["Pt 1", "Pt 2"],
        ),
    ],
)
def test_series_labels_after_a_run_in_heading_or_as_letters_split_the_patients(
    text: str, labels: list[str]
) -> None:
    result = extract_text(text)
    assert result.kind == "case_series"
    assert [p.label for p in result.patients] == labels
    assert [p.summary.crs_max_grade for p in result.patients] == [1, 2]
    assert [p.summary.sex for p in result.patients] == ["male", "female"]


def test_a_sentence_ending_in_an_acronym_ends_there() -> None:
    """ "... had grade 1 CRS. The second patient ..." starts the second patient."""
    result = extract_text(
        "The first patient, a 30-year-old man with B-ALL, received tisagenlecleucel and had grade 1 "
        "CRS. The second patient, a 50-year-old woman with B-ALL, received tisagenlecleucel and had "
        "no CRS."
    )
    assert [p.summary.crs_max_grade for p in result.patients] == [1, 0]
