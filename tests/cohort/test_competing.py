"""Cumulative incidence of relapse and non-relapse mortality (docs/cohort.md, "Competing
risks").

Patients in remission are followed from their first remission. Coding: relapse first = relapse
(1); death without a prior relapse = NRM (2), except a death from the disease (counted with
relapse); alive without relapse = censored (0). Aalen-Johansen: CIF_k(t) = sum over t_i <= t of
S(t_i-) d_ki / n_i, so CIF_relapse + CIF_nrm = 1 - S_RFS at every time.
"""

import json

import numpy as np
import pytest
from lifelines import AalenJohansenFitter

from remission.cohort import CohortData, cumulative_incidence, kaplan_meier
from remission.exceptions import EstimationWarning

from .builders import course

pytestmark = pytest.mark.filterwarnings("ignore::remission.exceptions.EstimationWarning")

# Remission at day 28 after the infusion; days below are from the infusion, so RFS times are 28
# days shorter: relapse at 30 (after remission), NRM at 60, censored at 90, relapse at 120.
HAND = [
    course("r1", relapse_day=58, last_day=200),
    course("n1", last_day=88, died=True, cause="infection"),
    course("c1", last_day=118),
    course("r2", relapse_day=148, last_day=300, died=True, cause="disease"),
]


@pytest.fixture(scope="module")
def hand():
    return cumulative_incidence(CohortData.from_documents(HAND), landmarks_months=(1, 3, 6))


def test_event_coding_from_the_cases():
    data = CohortData.from_documents(
        [
            *HAND,
            course("dz", last_day=100, died=True, cause="disease"),  # disease death, no relapse
            course("nr", response="NR", last_day=100, died=True),  # no remission: not included
        ]
    )
    coded = {r.case_id: r.competing for r in data.times("RFS").rows}
    assert coded == {"r1": "relapse", "n1": "nrm", "c1": None, "r2": "relapse", "dz": "relapse"}
    assert "no assessment of car1 shows a remission" in data.excluded("RFS")[0].reason


def test_the_hand_worked_example(hand):
    # from remission: 4 at risk
    # t = 30: relapse, 4 at risk:   CIR = 1/4 = 0.25;                 S = 3/4
    # t = 60: NRM, 3 at risk:       NRM = S(60-) * 1/3 = 0.75/3 = 0.25; S = 1/2
    # t = 90: censored
    # t = 120: relapse, 1 at risk:  CIR = 0.25 + 0.5 * 1/1 = 0.75;     S = 0
    steps = {s.days: s for s in hand.steps}
    assert (steps[30].relapse, steps[30].nrm) == pytest.approx((0.25, 0.0))
    assert (steps[60].relapse, steps[60].nrm) == pytest.approx((0.25, 0.25))
    assert (steps[120].relapse, steps[120].nrm) == pytest.approx((0.75, 0.25))
    assert (hand.n, hand.n_relapse, hand.n_nrm, hand.n_censored) == (4, 2, 1, 1)
    assert hand.origin == "first remission"


def test_against_lifelines_run_directly(hand):
    days, codes = [30, 60, 90, 120], [1, 2, 0, 1]
    for k, attr in ((1, "relapse"), (2, "nrm")):
        ref = AalenJohansenFitter().fit(days, codes, event_of_interest=k)
        cif = ref.cumulative_density_.iloc[:, 0]
        assert [getattr(s, attr) for s in hand.steps] == pytest.approx(list(cif))
        limits = ref.confidence_interval_.to_numpy()
        for step, row in zip(hand.steps, limits, strict=True):
            if not np.isnan(row).any():
                # lifelines 0.30 labels its two limits the other way round: compare as a set
                lower, upper = getattr(step, f"{attr}_lower"), getattr(step, f"{attr}_upper")
                assert (lower, upper) == pytest.approx((row.min(), row.max()))
                assert lower <= getattr(step, attr) <= upper


def test_incidences_add_up_to_one_minus_relapse_free_survival():
    cases = [
        course(f"p{i}", relapse_day=rd, last_day=ld, died=died)
        for i, (rd, ld, died) in enumerate(
            [
                (None, 100, True),
                (70, 400, False),
                (None, 300, False),
                (150, 160, True),
                (None, 250, True),
                (None, 500, False),
                (200, 210, False),
                (None, 45, True),
            ]
        )
    ]
    data = CohortData.from_documents(cases)
    cr = cumulative_incidence(data)
    km = kaplan_meier(data, "RFS")
    for step in cr.steps:
        assert step.relapse + step.nrm == pytest.approx(1 - km.survival_at(step.days))


def test_landmarks(hand):
    one, three = hand.landmark(1), hand.landmark(3)  # days 30.4 and 91.3
    assert (one.relapse, one.nrm, one.n_at_risk) == (pytest.approx(0.25), 0.0, 3)
    assert (three.relapse, three.nrm, three.n_at_risk) == (
        pytest.approx(0.25),
        pytest.approx(0.25),
        1,
    )
    six = hand.landmark(6)
    assert not six.estimable and "beyond the longest follow-up" in six.reason


def test_tied_relapse_and_nrm_are_separated_reproducibly():
    cases = [
        course("r", relapse_day=128, last_day=300),
        course("n", last_day=128, died=True),
        course("c", last_day=400),
    ]
    data = CohortData.from_documents(cases)
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first = cumulative_incidence(data)
    assert (np.random.get_state()[1] == before).all()  # numpy's global state is left alone
    second = cumulative_incidence(data)
    assert first.to_dict() == second.to_dict()
    assert any("share a time" in n for n in first.notes)
    # the tie at day 100 (from remission), 3 at risk: each incidence takes 1/3, in one row
    tie = next(s for s in first.steps if s.days == 100)
    assert (tie.n_at_risk, tie.n_relapse, tie.n_nrm) == (3, 1, 1)
    assert (tie.relapse, tie.nrm) == pytest.approx((1 / 3, 1 / 3), abs=1e-12)


def test_a_censoring_at_a_tied_time_stays_at_risk_for_both_events():
    # from remission: relapse, NRM and a censoring all at day 72, one more censored later.
    # Joint estimate at the tie: 4 at risk (the one censored at 72 included), CIR = NRM = 1/4.
    cases = [
        course("r", relapse_day=100, last_day=300),
        course("n", last_day=100, died=True),
        course("c", last_day=100),
        course("later", last_day=400),
    ]
    cr = cumulative_incidence(CohortData.from_documents(cases))
    tie = next(s for s in cr.steps if s.days == 72)
    assert (tie.n_at_risk, tie.n_relapse, tie.n_nrm, tie.n_censored) == (4, 1, 1, 1)
    assert (tie.relapse, tie.nrm) == pytest.approx((1 / 4, 1 / 4), abs=1e-12)


def test_an_event_at_the_moment_of_remission_is_kept():
    # relapse on the day the remission was recorded: RFS time 0 (lifelines 0.30 would drop it)
    data = CohortData.from_documents(
        [course("zero", relapse_day=28, last_day=200), course("c", last_day=300)]
    )
    cr = cumulative_incidence(data)
    assert cr.steps[0].days == 0 and cr.steps[0].relapse == pytest.approx(0.5)


def test_no_events():
    with pytest.warns(EstimationWarning, match="no relapse and no non-relapse death"):
        cr = cumulative_incidence(
            CohortData.from_documents([course("a", last_day=100), course("b", last_day=200)])
        )
    assert cr.estimable and all(s.relapse == 0 and s.nrm == 0 for s in cr.steps)
    assert cr.steps[0].relapse_lower is None  # no interval around an incidence of 0


def test_nobody_in_remission_is_not_estimable():
    cr = cumulative_incidence(CohortData.from_documents([course("nr", response="NR")]))
    assert not cr.estimable and "no patient with a recorded remission" in cr.reason
    assert "1 case excluded (nr)" in cr.reason
    json.dumps(cr.to_dict())


def test_tables_as_data(hand):
    frame = hand.to_frame()
    assert list(frame.columns[:3]) == ["days", "months", "n_at_risk"]
    assert list(frame["relapse"]) == pytest.approx([0, 0.25, 0.25, 0.25, 0.75])
    assert list(hand.risk_frame()["n_at_risk"]) == [4]  # default: month 0 only (< 6 months)
    json.dumps(hand.to_dict())
