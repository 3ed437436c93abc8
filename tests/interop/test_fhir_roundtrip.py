"""Case -> FHIR Bundle -> Case gives back the very same Case, and every Bundle is valid FHIR R4.

Checked on every bundled example, on virtual cases from three seeds, and on generated cases that
reach every corner of the mapping (tests/interop/fhir_cases.py). The Bundle goes through JSON
text on the way, as it would between two systems.
"""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import HealthCheck, given, settings

from remission.casefile import load_file
from remission.examples import example_paths
from remission.interop.fhir import bundle_problems, bundle_to_case, case_to_bundle
from remission.model import Case
from remission.synth import generate_cohort

from .fhir_cases import cases

EXAMPLES = [d for d in (load_file(p).document for p in example_paths()) if isinstance(d, Case)]
VIRTUAL = [c for seed in (1, 7, 2024) for c in generate_cohort(12, seed=seed)]


def through_json(case: Case) -> dict:
    return json.loads(json.dumps(case_to_bundle(case), ensure_ascii=False))


def assert_round_trip(case: Case) -> None:
    bundle = through_json(case)
    assert bundle_problems(bundle) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # our own Bundles read back without a single skip
        back = bundle_to_case(bundle, source=case.id)
    assert back == case
    assert back.model_dump(mode="json") == case.model_dump(mode="json")


@pytest.mark.parametrize("case", EXAMPLES, ids=lambda c: c.id)
def test_every_bundled_example_round_trips(case: Case) -> None:
    assert_round_trip(case)


@pytest.mark.parametrize("case", VIRTUAL, ids=lambda c: c.id)
def test_virtual_cases_round_trip(case: Case) -> None:
    assert_round_trip(case)


def test_the_virtual_cases_cover_the_course_an_infusion_spine_needs() -> None:
    types = {ev.type for c in VIRTUAL for ev in c.timeline}
    assert {"therapy", "car_t_infusion", "relapse", "disease_assessment", "toxicity"} <= types
    assert any(c.assessments for c in VIRTUAL) and any(c.observations for c in VIRTUAL)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_any_valid_case_round_trips(case: Case) -> None:
    assert_round_trip(case)


def test_the_same_case_always_gives_the_same_bundle() -> None:
    case = EXAMPLES[0]
    assert json.dumps(case_to_bundle(case)) == json.dumps(case_to_bundle(case))
