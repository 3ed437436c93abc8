"""The case report's data: plain JSON, derived once per saved version and kept in the store."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

from remission import api
from remission.casefile import load_file
from remission.examples import example_paths
from remission.exceptions import InputError
from remission.model import CohortAggregate
from remission.report.case_data import REPORT_DATA_FORMAT, case_report_data, report_stamp
from remission.report.case_report import case_report_context
from remission.rules import grade_case, summarize
from remission.synth import generate_cohort


def _documents():
    return [load_file(p).document for p in example_paths()]


def _cases():
    cases = [d for d in _documents() if d.kind == "case"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases += list(generate_cohort(25, seed=11))
    return cases


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.id)
def test_the_data_is_plain_json_and_survives_a_round_trip(case):
    data = case_report_data(case)
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_the_data_is_stamped_with_the_version_and_format():
    from remission import __version__

    data = case_report_data(_cases()[0])
    assert data["stamp"] == report_stamp() == (
        f"remission {__version__}, report data {REPORT_DATA_FORMAT}"
    )


@pytest.mark.parametrize("case", _cases()[:8], ids=lambda c: c.id)
def test_a_grading_and_summary_passed_in_give_the_same_data(case):
    grading = grade_case(case)
    given = case_report_data(case, grading=grading, summary=summarize(case, grading=grading))
    assert given == case_report_data(case)


def test_the_report_context_is_the_data_plus_the_case_and_figures():
    case = next(c for c in _cases() if c.observations)
    ctx = case_report_context(case, figures=False)
    data = case_report_data(case)
    assert {k: ctx[k] for k in data} == data
    assert ctx["case"] is case and ctx["timeline_png"] is None


def test_a_summary_refuses_the_grading_of_another_case():
    first, second = _cases()[:2]
    with pytest.raises(InputError, match=rf"grading given is of case {first.id!r}"):
        summarize(second, grading=grade_case(first))


def test_every_saved_case_carries_its_report_data_and_a_cohort_none():
    for doc in _documents():
        record = api.record_for(doc)
        if isinstance(doc, CohortAggregate):
            assert record.report is None
        else:
            assert record.report == case_report_data(doc)


def test_deriving_the_data_needs_no_plotting_or_fitting_library():
    """Saves derive the data: importing it must not cost matplotlib's or SciPy's start-up."""
    code = (
        "import sys, remission.report.case_data, remission.api; "
        "print(sorted(m for m in ('matplotlib', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_keys_the_page_relies_on_are_exactly_those_derived():
    from remission.report.case_data import REPORT_KEYS, report_is_current

    data = case_report_data(_cases()[0])
    assert set(data) == REPORT_KEYS
    assert report_is_current(data)
    assert not report_is_current({k: v for k, v in data.items() if k != "episodes"})
    assert not report_is_current({**data, "stamp": "remission 0.0.1, report data 1"})
    assert not report_is_current(None) and not report_is_current(["stamp"])
