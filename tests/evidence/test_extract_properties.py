"""Properties of every extraction: it never crashes, it is deterministic, every evidence span is
the original text at its offsets, and every summary validates."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.evidence import extract_text
from remission.model.summary import CaseSummary

PHRASES = [
    "A 7-year-old boy",
    "an 18-month-old girl",
    "with relapsed B-ALL",
    "Ph-positive",
    "BCR::ABL1 negative",
    "received tisagenlecleucel",
    "was given donor-derived CD19 CAR-T cells",
    "blinatumomab failed",
    "grade II CRS",
    "no ICANS",
    "without GVHD",
    "second relapse",
    "4th relapse with leukaemides",
    "after haploidentical TSCS",
    "complete remission",
    "MRD negative",
    "died",
    "36 months after infusion",
    "Patient 1:",
    "Patient 2:",
    "Discussion\n",
    "Case presentation\n",
    "\u00a0",
    "\u2013",
    "\r\n",
    ";",
    ". ",
    "median age 9 years",
    "12 of 14 children",
    "n = 22",
    "ＣＲＳ",
    "\x00",
]


def _check(text: str) -> None:
    result = extract_text(text)
    again = extract_text(text)
    assert result == again  # deterministic
    for patient in result.patients:
        CaseSummary.model_validate(patient.summary.model_dump(by_alias=True))
        for value in patient.values:
            for ev in value.evidence:
                for span in (*ev.spans, *([ev.cue] if ev.cue else [])):
                    assert text[span.start : span.end] == span.text
        for event in patient.events:
            for ev in event.evidence:
                for span in ev.spans:
                    assert text[span.start : span.end] == span.text
    for value in result.cohort_values:
        for ev in value.evidence:
            for span in ev.spans:
                assert text[span.start : span.end] == span.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PHRASES), min_size=1, max_size=25).map(" ".join))
def test_report_like_text_never_crashes_and_spans_match(text):
    _check(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600))
def test_any_text_never_crashes(text):
    _check(text)
