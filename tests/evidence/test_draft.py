"""Drafts: one Case per patient whose own summary gives back what was extracted."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from remission.casefile import dump_document, parse_document_text
from remission.evidence.corpus import CorpusError, load_corpus
from remission.evidence.draft import NOT_CARRIED, carry_gaps, draft_cases, draft_cohort
from remission.evidence.result import ExtractedEvent
from remission.exceptions import InputError
from remission.model import CarTInfusion, CaseSummary, CohortSummary, ToxicityEpisode
from remission.rules.summary import summarize

from .builders import FULL, TEXT, any_summaries, carried_summaries, result_for, sha

FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_draft_is_a_case_marked_draft_with_text_and_values():
    (case,) = draft_cases(result_for(FULL), TEXT)
    assert case.status == "draft"
    assert case.id == f"draft-001-example-{sha(TEXT)[:8]}"
    assert case.extraction is not None
    assert case.extraction.text == TEXT
    assert case.extraction.text_sha256 == sha(TEXT)
    assert case.extraction.file == "reports/001-example.txt"
    assert {v.field for v in case.extraction.values} >= {"crs_max_grade", "index_therapies[0]"}
    assert all(v.status == "pending" for v in case.extraction.values)


def test_the_draft_summarises_to_the_extracted_summary():
    (case,) = draft_cases(result_for(FULL), TEXT)
    assert summarize(case) == FULL
    assert case.notes is None  # nothing had to be left out


def test_a_draft_file_reads_back_identically():
    (case,) = draft_cases(result_for(FULL), TEXT)
    assert parse_document_text(dump_document(case)) == case


def test_one_draft_per_patient_with_numbered_ids():
    a = CaseSummary(sex="female", crs_max_grade=1)
    b = CaseSummary(sex="male")
    cases = draft_cases(result_for(a, b), TEXT, id_prefix="smith-2021")
    assert [c.id for c in cases] == ["smith-2021-p1", "smith-2021-p2"]
    assert [c.extraction.patient_label for c in cases] == ["Patient 1", "Patient 2"]


def test_the_text_must_be_the_one_extracted_from():
    with pytest.raises(InputError, match="SHA-256"):
        draft_cases(result_for(FULL), TEXT + " ")


def test_an_empty_result_gives_an_empty_list():
    assert draft_cases(result_for(), TEXT) == []


@FEW
@given(carried_summaries())
def test_every_summary_the_model_can_carry_comes_back_exactly(summary):
    (case,) = draft_cases(result_for(summary), TEXT)
    assert summarize(case) == summary
    assert case.notes is None


@FEW
@given(any_summaries())
def test_any_summary_makes_a_valid_draft_and_every_gap_is_documented(summary):
    (case,) = draft_cases(result_for(summary), TEXT)
    gaps = carry_gaps(summary, summarize(case))
    for field, reason in gaps:
        assert field in NOT_CARRIED
        assert reason == NOT_CARRIED[field]
        assert f"- {field} = " in (case.notes or "")
    if not gaps:
        assert case.notes is None


def test_extracted_events_enrich_the_draft_without_changing_values():
    events = (
        ExtractedEvent(
            id="e-car",
            type="car_t_infusion",
            index=True,
            when="2021-03-04",
            order=2,
            attributes={
                "product": "tisagenlecleucel",
                "dose": {"value": 1.5e6, "unit": "cells/kg"},
            },
        ),
        ExtractedEvent(
            id="e-crs",
            type="toxicity",
            order=3,
            attributes={"syndrome": "crs", "grade": {"grade": 2, "scale": "ASTCT"}},
        ),
        ExtractedEvent(
            id="e-rel",
            type="relapse",
            order=1,
            when="2020-11",
            attributes={"sites": ["marrow", "CNS"], "number": 2, "marrow_blasts_pct": 40},
        ),
    )
    (case,) = draft_cases(result_for(FULL, events=events), TEXT)
    car = case.events(CarTInfusion)[0]
    assert str(car.date) == "2021-03-04"
    assert car.dose is not None and car.dose.unit == "cells/kg"
    crs = next(e for e in case.events(ToxicityEpisode) if e.syndrome == "crs")
    assert crs.grade is not None and crs.grade.scale == "ASTCT 2019"
    relapse = case.event("rel1")
    assert relapse.sites == ("marrow", "cns")
    assert relapse.marrow_blasts_pct == 40
    assert summarize(case) == FULL


def test_contradictory_dates_are_dropped_not_the_values():
    events = (
        ExtractedEvent(id="e-car", type="car_t_infusion", index=True, when="2021-03", order=2),
        ExtractedEvent(
            id="e-crs",
            type="toxicity",
            order=3,
            when="2020-01",
            attributes={"syndrome": "crs", "grade": {"grade": 9}, "treatments": ["tocilizumab"]},
        ),
    )
    (case,) = draft_cases(result_for(FULL, events=events), TEXT)
    # CRS dated before the infusion it follows: the dates go, the other enrichments stay
    assert case.event("car1").date is None
    crs = case.event("crs1")
    assert crs.onset is None and crs.treatments == ("tocilizumab",)
    assert crs.grade.grade == 2  # the summary's grade, not the event's impossible 9
    assert summarize(case) == FULL


def test_what_cannot_be_carried_is_said_in_the_notes():
    summary = CaseSummary(relapse_count=0, prior_hsct=False, crs_max_grade=2)
    (case,) = draft_cases(result_for(summary), TEXT)
    fields = {f for f, _ in carry_gaps(summary, summarize(case))}
    assert fields == {"relapse_count", "prior_hsct", "crs_max_grade", "diagnosis"}
    assert "relapse_count = 0" in case.notes


def test_a_cohort_text_becomes_a_cohort_draft():
    cohort = CohortSummary(n_patients=14, median_age_years=9, n_complete_response=12, n_crs_any=5)
    result = result_for(kind="cohort", cohort=cohort)
    doc = draft_cohort(result, TEXT)
    assert doc is not None and doc.status == "draft" and doc.kind == "cohort"
    assert (doc.n_patients, doc.n_complete_response, doc.n_crs_any) == (14, 12, 5)
    assert doc.age is not None and doc.age.median == 9
    assert parse_document_text(dump_document(doc)) == doc


def _corpus():
    try:
        return load_corpus()
    except CorpusError:
        return []


@pytest.mark.parametrize("doc", _corpus(), ids=lambda d: f"{d.split}/{d.name}")
def test_every_corpus_gold_drafts_and_summarises_back(doc):
    """Over every corpus text: a draft of the gold summary gives back every value the model can
    carry; the ones it cannot are documented in NOT_CARRIED and named in the draft's notes."""
    from remission.evidence.result import ExtractionResult, PatientResult

    from .builders import values_for

    result = ExtractionResult(
        file=str(doc.text_path),
        kind=doc.kind,
        extractor="gold",
        text_sha256=sha(doc.text),
        patients=tuple(
            PatientResult(label=p.label, summary=p.summary, values=values_for(p.summary, doc.text))
            for p in doc.patients
        ),
        cohort=doc.cohort,
    )
    cases = draft_cases(result, doc.text)
    assert len(cases) == len(doc.patients)
    for case, gold in zip(cases, doc.patients, strict=True):
        for field, _ in carry_gaps(gold.summary, summarize(case)):
            assert field in NOT_CARRIED
            assert f"- {field} = " in case.notes
    if doc.cohort is not None:
        assert draft_cohort(result, doc.text) is not None


@pytest.fixture(scope="module")
def engine_results():
    from remission.evidence.extract import extract_text

    return [(doc, extract_text(doc.text, file=doc.name)) for doc in _corpus()]


def test_every_corpus_text_extracted_by_the_rules_drafts_and_summarises_back(engine_results):
    """The same promise for what the rule-based extractor finds in every corpus text."""
    assert len(engine_results) >= 40
    for doc, result in engine_results:
        cases = draft_cases(result, doc.text)
        assert len(cases) == len(result.patients), doc.name
        for case, patient in zip(cases, result.patients, strict=True):
            assert case.status == "draft" and case.extraction.values == patient.values
            for field, _ in carry_gaps(patient.summary, summarize(case)):
                assert field in NOT_CARRIED, (doc.name, field)
                assert f"- {field} = " in case.notes
        if result.cohort is not None:
            assert draft_cohort(result, doc.text) is not None
