"""Properties that hold for any data: the Kaplan-Meier table is lifelines' own, numbers at risk
partition the cohort, and the two cumulative incidences add up to one minus the all-cause
Kaplan-Meier estimate (docs/cohort.md)."""

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from remission.cohort import EndpointTimes, TimeRow, cumulative_incidence, kaplan_meier
from remission.exceptions import EstimationWarning

pytestmark = pytest.mark.filterwarnings("ignore::remission.exceptions.EstimationWarning")

COMPETING = {0: None, 1: "relapse", 2: "nrm"}

patients = st.lists(
    st.tuples(st.integers(0, 400), st.sampled_from([0, 1, 2])), min_size=1, max_size=25
)


def times(data, endpoint="RFS"):
    rows = tuple(
        TimeRow(f"p{i}", float(d), c != 0, False, d, d, None, None, COMPETING[c])
        for i, (d, c) in enumerate(data)
    )
    return EndpointTimes(endpoint, "test", rows)


@settings(max_examples=40, deadline=None)
@given(patients, st.lists(st.floats(0, 15), max_size=4))
def test_kaplan_meier_is_lifelines_and_risk_rows_partition_the_cohort(data, risk_months):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        km = kaplan_meier(times(data, "OS"), risk_times_months=risk_months)
    ref = KaplanMeierFitter().fit([d for d, _ in data], [c != 0 for _, c in data])
    assert [s.survival for s in km.steps] == pytest.approx(list(ref.survival_function_.iloc[:, 0]))
    assert all(r.n_at_risk + r.events_before + r.censored_before == len(data) for r in km.risk)
    if km.median.reached:
        assert km.median.days == ref.median_survival_time_


@settings(max_examples=40, deadline=None)
@given(patients)
def test_incidences_add_up_to_one_minus_all_cause_survival(data):
    # a relapse and an NRM at one time are entered in turn and shown as one row: no exception
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        cr = cumulative_incidence(times(data))
        km = kaplan_meier(times(data), landmarks_months=())
    assert [s.days for s in cr.steps] == [s.days for s in km.steps]
    for step in cr.steps:
        assert 0 <= step.relapse <= 1 and 0 <= step.nrm <= 1
        assert step.relapse + step.nrm == pytest.approx(1 - km.survival_at(step.days), abs=1e-9)
