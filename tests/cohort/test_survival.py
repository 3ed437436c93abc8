"""Kaplan-Meier estimates (docs/cohort.md, "Kaplan-Meier").

S(t) = product over event times t_i <= t of (1 - d_i / n_i): d_i deaths at t_i among n_i at risk
(time >= t_i; a patient censored at t_i is still at risk at t_i). The band is lifelines'
exponential Greenwood interval; the median is the first time S <= 0.5; numbers at risk at t count
the patients whose time is >= t.
"""

import json
import math

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from remission.cohort import CohortData, kaplan_meier
from remission.exceptions import EstimationWarning
from remission.model.time import DAYS_PER_MONTH

from .builders import course, os_cohort

pytestmark = pytest.mark.filterwarnings("ignore::remission.exceptions.EstimationWarning")

# Eight patients, days from infusion: deaths at 30, 60, 60 and 120; last contact at 45, 90, 150
# and 200.
TIMES = [(30, True), (45, False), (60, True), (60, True), (90, False), (120, True), (150, False),
         (200, False)]  # fmt: skip


@pytest.fixture(scope="module")
def km():
    data = CohortData.from_documents(os_cohort(TIMES))
    return kaplan_meier(data, "OS", landmarks_months=(3, 6, 12))


def test_the_hand_worked_example(km):
    # t = 30:  8 at risk, 1 death   S = 7/8                  = 0.875
    # t = 45:  censored (7 at risk, 0 deaths)                  0.875
    # t = 60:  6 at risk, 2 deaths  S = 0.875 * 4/6          = 0.58333
    # t = 90:  censored                                        0.58333
    # t = 120: 3 at risk, 1 death   S = 0.58333 * 2/3        = 0.38889
    # t = 150, 200: censored                                   0.38889
    steps = {s.days: s for s in km.steps}
    expected = {0: 1.0, 30: 0.875, 45: 0.875, 60: 0.875 * 4 / 6, 90: 0.875 * 4 / 6,
                120: 0.875 * 4 / 6 * 2 / 3, 150: 0.875 * 4 / 6 * 2 / 3, 200: 0.875 * 4 / 6 * 2 / 3}  # fmt: skip
    assert {d: s.survival for d, s in steps.items()} == pytest.approx(expected)
    assert [
        (steps[t].n_at_risk, steps[t].n_events, steps[t].n_censored) for t in (30, 60, 120)
    ] == [
        (8, 1, 0),
        (6, 2, 0),
        (3, 1, 0),
    ]
    assert (km.n, km.n_events, km.n_censored) == (8, 4, 4)


def test_the_band_is_the_exponential_greenwood_interval(km):
    # At t = 30: Greenwood sum d/(n(n-d)) = 1/(8*7); on the log(-log S) scale
    # se = sqrt(sum) / |log S|; limits S ** exp(+-1.959964 * se).
    s = 0.875
    se = math.sqrt(1 / 56) / abs(math.log(s))
    lo, hi = s ** math.exp(1.959964 * se), s ** math.exp(-1.959964 * se)
    assert (lo, hi) == pytest.approx((0.3870, 0.9814), abs=1e-4)
    step = next(x for x in km.steps if x.days == 30)
    assert (step.ci_lower, step.ci_upper) == pytest.approx((lo, hi), abs=1e-6)


def test_the_table_is_lifelines_run_directly_on_the_same_data(km):
    days = [d for d, _ in TIMES]
    events = [e for _, e in TIMES]
    ref = KaplanMeierFitter().fit(days, events)
    assert [s.days for s in km.steps] == list(ref.survival_function_.index)
    assert [s.survival for s in km.steps] == pytest.approx(list(ref.survival_function_.iloc[:, 0]))
    ci = ref.confidence_interval_
    assert [s.ci_lower for s in km.steps] == pytest.approx(list(ci.iloc[:, 0]))
    assert [s.ci_upper for s in km.steps] == pytest.approx(list(ci.iloc[:, 1]))
    assert [s.n_at_risk for s in km.steps] == list(ref.event_table["at_risk"])


def test_the_median_and_its_interval(km):
    # S first falls to or below 0.5 at day 120
    assert km.median.reached and km.median.days == 120
    assert km.median.months == pytest.approx(120 / DAYS_PER_MONTH)
    ref = KaplanMeierFitter().fit([d for d, _ in TIMES], [e for _, e in TIMES])
    lo, hi = median_survival_times(ref.confidence_interval_).iloc[0]
    assert km.median.ci_lower_days == pytest.approx(lo)
    expected_hi = None if math.isinf(hi) else hi
    assert km.median.ci_upper_days == expected_hi


def test_landmark_rates(km):
    three, six = km.landmark(3), km.landmark(6)
    assert three.estimate == pytest.approx(0.875 * 4 / 6)  # day 91.3: after the deaths at 60
    assert three.n_at_risk == 3  # 120, 150, 200
    assert six.estimate == pytest.approx(0.875 * 4 / 6 * 2 / 3)  # day 182.6
    assert six.ci_lower < six.estimate < six.ci_upper


def test_no_landmark_beyond_the_longest_follow_up(km):
    twelve = km.landmark(12)
    assert not twelve.estimable and twelve.estimate is None
    assert "beyond the longest follow-up (6.6 months)" in twelve.reason


def test_numbers_at_risk():
    km = kaplan_meier(
        CohortData.from_documents(os_cohort(TIMES)), "OS", risk_times_months=[0, 1, 2, 3, 6]
    )
    # month 1 = day 30.4: the death at day 30 is before it; month 2 = day 60.9: deaths at 30,
    # 60, 60 and the censoring at 45 are before it; month 6 = day 182.6: only day 200 remains.
    got = [(r.months, r.n_at_risk, r.events_before, r.censored_before) for r in km.risk]
    assert got == [(0, 8, 0, 0), (1, 7, 1, 0), (2, 4, 3, 1), (3, 3, 3, 2), (6, 1, 4, 3)]
    assert all(r.n_at_risk + r.events_before + r.censored_before == 8 for r in km.risk)
    frame = km.risk_frame()
    assert list(frame.columns) == [
        "months",
        "days",
        "n_at_risk",
        "events_before",
        "censored_before",
    ]


def test_numbers_at_risk_at_event_times_match_lifelines_event_table():
    days = [d for d, _ in TIMES]
    ref = KaplanMeierFitter().fit(days, [e for _, e in TIMES]).event_table
    km = kaplan_meier(
        CohortData.from_documents(os_cohort(TIMES)),
        "OS",
        risk_times_months=[t / DAYS_PER_MONTH for t in (30, 60, 120)],
    )
    assert [r.n_at_risk for r in km.risk] == [ref.loc[t, "at_risk"] for t in (30, 60, 120)]


def test_default_risk_times_are_every_six_months_to_the_longest_follow_up():
    km = kaplan_meier(CohortData.from_documents(os_cohort([(400, False), (100, True)])), "OS")
    assert [r.months for r in km.risk] == [0, 6, 12]


def test_median_follow_up_is_the_reverse_kaplan_meier_median(km):
    ref = KaplanMeierFitter().fit([d for d, _ in TIMES], [not e for _, e in TIMES])
    assert km.follow_up.days == ref.median_survival_time_


def test_median_not_reached_says_so():
    km = kaplan_meier(
        CohortData.from_documents(os_cohort([(100, True), (200, False), (300, False)])), "OS"
    )
    assert not km.median.reached and km.median.days is None
    assert "stays above 50 %" in km.median.reason and "66.7 %" in km.median.reason
    assert km.median.text.startswith("not reached")


def test_all_censored():
    with pytest.warns(EstimationWarning, match="no events"):
        km = kaplan_meier(CohortData.from_documents(os_cohort([(100, False), (200, False)])), "OS")
    assert km.estimable and km.n_events == 0
    assert all(s.survival == 1.0 for s in km.steps)
    assert not km.median.reached and "no overall survival events" in km.median.reason
    assert km.landmark(6).estimate == 1.0
    # reverse KM: censorings as events at 100 and 200, S = 1/2 at 100 -> median follow-up 100
    assert km.follow_up.days == 100


def test_an_empty_cohort_is_not_estimable_and_nothing_crashes():
    km = kaplan_meier(CohortData.from_documents([]), "OS")
    assert not km.estimable and "no patient has a computable overall survival" in km.reason
    assert km.to_frame().empty and km.risk_frame().empty
    assert all(not lm.estimable for lm in km.landmarks)
    json.dumps(km.to_dict())


def test_one_patient():
    km = kaplan_meier(CohortData.from_documents(os_cohort([(50, True)])), "OS")
    assert [s.survival for s in km.steps] == [1.0, 0.0]
    assert km.median.days == 50
    assert km.landmark(6).estimate == 0.0  # the estimate has reached 0: it stays 0


def test_small_cohorts_and_few_events_are_flagged():
    with pytest.warns(EstimationWarning) as caught:
        km = kaplan_meier(CohortData.from_documents(os_cohort(TIMES)), "OS")
    messages = [str(w.message) for w in caught]
    assert any("only 8 patients" in m for m in messages)
    assert any("only 4 events" in m for m in messages)
    assert set(messages) <= set(km.notes)


def test_cases_missing_the_anchor_date_are_excluded_with_the_reason():
    # the infusion has no date and nothing after it counts from it: no time can be placed
    undated = course("undated", infusion_date=None, response=None, last_day="2021-01-01")
    no_index = course("no-index", index_relapse=False).model_copy(update={"timeline": ()})
    data = CohortData.from_documents([*os_cohort([(100, True), (200, False)]), undated, no_index])
    km = kaplan_meier(data, "OS")
    assert km.n == 2
    reasons = {e.case_id: e.reason for e in km.excluded}
    assert "car1 has no date" in reasons["undated"]
    assert "names no index therapy" in reasons["no-index"]


def test_partial_dates_use_the_midpoint_and_are_counted():
    # infusion 2020-01-01, death "2020-07" (July 2020): 182 to 212 days, midpoint 197
    data = CohortData.from_documents([course("m", last_day="2020-07", died=True), course("d")])
    km = kaplan_meier(data, "OS")
    assert km.n_approximate == 1
    assert any("1 time of 2 from partial dates" in n for n in km.notes)
    row = next(r for r in data.times("OS").rows if r.case_id == "m")
    assert (row.lo_days, row.hi_days, row.days) == (182, 212, 197)
    assert km.median.days == 197


def test_efs_counts_no_response_at_day_0():
    data = CohortData.from_documents(
        [course("nr", response="NR", last_day=300), course("cr", last_day=300)]
    )
    km = kaplan_meier(data, "EFS")
    assert km.steps[0].days == 0 and km.steps[0].n_events == 1
    assert km.steps[0].survival == 0.5


def test_months_are_days_over_30_4375(km):
    frame = km.to_frame()
    assert np.allclose(frame["months"], (frame["days"] / 30.4375).round(3))
    assert list(frame.columns) == ["days", "months", "n_at_risk", "n_events", "n_censored",
                                   "survival", "ci_lower", "ci_upper"]  # fmt: skip
    json.dumps(km.to_dict())


def test_median_follow_up_cannot_be_estimated_when_everyone_had_the_event():
    km = kaplan_meier(CohortData.from_documents(os_cohort([(30, True), (60, True)])), "OS")
    assert not km.follow_up.estimable
    assert km.follow_up.text.startswith("not estimable: every patient had the event")
