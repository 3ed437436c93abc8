"""The disease before the index therapy: diagnosis, Philadelphia status, relapse number and
sites, refractoriness, prior transplant."""

from __future__ import annotations

from remission.evidence import extract_text


def _summary(text: str):
    result = extract_text(text)
    assert len(result.patients) == 1
    return result.patients[0].summary


def test_ph_positive_b_all_with_p190_and_t315i():
    s = _summary(
        "A 50-year-old woman had Ph-positive B-ALL with the p190 transcript. At her second relapse the "
        "T315I mutation was found and she received tisagenlecleucel."
    )
    assert (s.diagnosis, s.ph_positive, s.bcr_abl_transcript) == ("B-ALL", True, "p190")
    assert s.abl_kinase_mutations == ["T315I"]
    assert s.relapse_count == 2


def test_bcr_abl_negative_is_ph_negative():
    s = _summary(
        "A boy had B-cell precursor ALL; BCR::ABL1 was negative. At first relapse he received CAR-T cells."
    )
    assert s.ph_positive is False


def test_4th_relapse_and_the_third_time_are_ordinals():
    assert (
        _summary(
            "In 2022 a 4th medullary relapse developed and she received CD19 CAR-T cells."
        ).relapse_count
        == 4
    )
    assert (
        _summary("He relapsed for the third time and received tisagenlecleucel.").relapse_count == 3
    )


def test_sites_are_those_of_the_relapse_treated_not_earlier_ones():
    s = _summary(
        "A man had a first relapse with testicular involvement in 2017. In 2022 a second relapse presented "
        "with leukaemides on the trunk. He then received CD19 CAR-T cells."
    )
    assert s.extramedullary_sites == ["skin"]
    assert s.relapse_count == 2


def test_negative_csf_is_no_cns_involvement():
    s = _summary(
        "A girl had a first marrow relapse; the cerebrospinal fluid was negative. She received tisagenlecleucel."
    )
    assert s.cns_involvement is False
    assert s.extramedullary_sites == []


def test_meningeal_relapse_is_cns():
    s = _summary(
        "A boy had a combined marrow and CNS relapse (CNS3). He was treated with tisagenlecleucel."
    )
    assert s.cns_involvement is True
    assert "cns" in s.extramedullary_sites


def test_a_prior_therapy_that_failed_makes_the_disease_refractory():
    s = _summary(
        "A woman had a first relapse. Two cycles of blinatumomab produced no response. "
        "She then received brexucabtagene autoleucel."
    )
    assert s.refractory is True


def test_transplant_naive_is_no_prior_hsct():
    s = _summary("A transplant-naive man had a first relapse and received CD19 CAR-T cells.")
    assert s.prior_hsct is False


def test_transplant_before_the_index_therapy_is_prior_hsct():
    s = _summary(
        "A boy relapsed 5 months after a matched sibling transplant. He received donor-derived CD19 CAR-T cells."
    )
    assert s.prior_hsct is True


def test_tscs_mistranslation_reads_as_transplant():
    s = _summary(
        "The leukaemides relapse happened after haploidentical TSCS. She received donor source CD19 CAR-T cells."
    )
    assert s.prior_hsct is True
    assert s.extramedullary_sites == ["skin"]
