"""Outcome intervals: OS, EFS, RFS, duration of response (docs/rules.md, "Outcome
intervals").

OS: event death, censored at the last contact. EFS: no remission at the day-28 assessment
(counted at day 0), relapse or death. RFS: from the first remission to relapse or death. Duration
of response: from the first CR/CRh/CRi to relapse or death from disease; a death in remission is
censored. Every interval keeps its bounds; an anchor that cannot be placed relative to the end is
"not computable", with the reason.
"""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.casefile import load_file
from remission.examples import example_paths
from remission.model import Case
from remission.rules.outcomes import (
    duration_of_response,
    early_response,
    event_free_survival,
    overall_survival,
    relapse_free_survival,
)

CAR = {"id": "car1", "type": "car_t_infusion", "date": "2020-01-10", "target": "CD19"}


def course(*events, car=CAR, **kw):
    return Case.model_validate(
        {
            "id": "out",
            "diagnosis": {"date": "2018-03"},
            "index": ["car1"],
            "timeline": [car, *events],
            **kw,
        }
    )


def d28(response="CR", **kw):
    return {
        "id": "d28",
        "type": "disease_assessment",
        "date": "car1+28d",
        "assesses": "car1",
        "response": response,
        **kw,
    }


def fu(date, alive=True, status="remission", id="fu"):
    return {"id": id, "type": "follow_up", "date": date, "alive": alive, "disease_status": status}


def _doc(prefix):
    return load_file(next(p for p in example_paths() if p.name.startswith(prefix))).document


# --- OS -------------------------------------------------------------------------------------


def test_os_censored_at_last_follow_up():
    os_ = overall_survival(course(d28(), fu("2021-01-10")))
    assert (os_.event, os_.end, os_.end_kind) == (False, "fu", "last_contact")
    assert os_.days == 366 and os_.interval.exact and os_.computable


def test_os_event_at_death():
    os_ = overall_survival(course(d28(), {"id": "death", "type": "death", "date": "car1+100d"}))
    assert (os_.event, os_.end, os_.days) == (True, "death", 100)


def test_os_death_known_only_from_follow_up():
    os_ = overall_survival(course(d28(), fu("2020-06-01", alive=False, status="unknown")))
    assert os_.event is True and os_.end == "fu" and any("alive: false" in n for n in os_.notes)


def test_os_last_contact_is_the_latest_event_not_only_a_follow_up():
    os_ = overall_survival(course(d28(), {"id": "hsct", "type": "hsct", "date": "car1+70d"}))
    assert os_.end == "hsct" and os_.days == 70


def test_os_from_an_undated_anchor_to_a_dated_end_is_not_computable():
    case = course(fu("2021-01-10"), car={"id": "car1", "type": "car_t_infusion", "target": "CD19"})
    os_ = overall_survival(case)
    assert os_.computable is False and os_.interval is None
    assert "car1 has no date" in os_.reason


def test_os_from_diagnosis_with_partial_dates_carries_the_bounds():
    os_ = overall_survival(course(fu("2021-01-10")), anchor="diagnosis")
    # diagnosis March 2018 (1-31), follow-up 10 January 2021
    assert os_.interval.lo == (dt.date(2021, 1, 10) - dt.date(2018, 3, 31)).days
    assert os_.interval.hi == (dt.date(2021, 1, 10) - dt.date(2018, 3, 1)).days
    assert os_.interval.precision == "±15 days" and not os_.interval.exact
    d = os_.to_dict()
    assert d["interval"]["lo_days"] < d["interval"]["hi_days"] and d["event"] is False


def test_os_unknown_anchor_raises():
    with pytest.raises(KeyError):
        overall_survival(course(), anchor="nope")


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 4000), st.integers(0, 4000))
def test_a_later_follow_up_never_shortens_a_censored_os(days, more):
    start = dt.date(2020, 1, 10)
    one = overall_survival(course(fu(str(start + dt.timedelta(days=days)))))
    two = overall_survival(course(fu(str(start + dt.timedelta(days=days + more)))))
    assert two.days >= one.days and two.interval.lo >= one.interval.lo


# --- EFS ------------------------------------------------------------------------------------


def test_efs_day_28_non_responder_is_an_event_at_day_0():
    efs = event_free_survival(course(d28("NR"), fu("2020-12-01", status="refractory")))
    assert (efs.event, efs.end, efs.end_kind, efs.days) == (True, "d28", "no_response", 0)
    assert efs.interval.exact


def test_efs_non_response_detected_from_counts():
    case = course(d28(None, marrow_blasts_pct=60), fu("2020-12-01"))
    assert event_free_survival(case).end_kind == "no_response"


def test_efs_partial_response_at_day_28_is_a_failure():
    assert early_response(course(d28("PR")), "car1").status == "no_response"


def test_efs_assessment_after_day_42_is_not_the_early_one():
    late = {**d28("NR"), "date": "car1+60d"}
    e = early_response(course(late), "car1")
    assert e.status == "unknown"
    efs = event_free_survival(course(late, fu("2020-12-01")))
    assert efs.event is False and any("early response unknown" in n for n in efs.notes)


def test_efs_relapse_after_response():
    efs = event_free_survival(course(d28(), {"id": "rel", "type": "relapse", "date": "car1+200d"}))
    assert (efs.event, efs.end, efs.end_kind, efs.days) == (True, "rel", "relapse", 200)


def test_efs_molecular_relapse_is_not_an_event_unless_asked():
    case = course(
        d28(),
        {"id": "mrel", "type": "relapse", "date": "car1+90d", "molecular": True},
        fu("car1+300d"),
    )
    efs = event_free_survival(case)
    assert efs.event is False and efs.days == 300
    assert event_free_survival(case, count_molecular=True).end == "mrel"


def test_efs_from_a_relapse_anchor_applies_no_day_28_rule():
    case = course({"id": "rel", "type": "relapse", "date": "car1+200d"}, fu("car1+400d"))
    efs = event_free_survival(case, anchor="rel")
    assert efs.days == 200 and efs.event is False
    assert any("not a therapy" in n for n in efs.notes)


def test_seed_001_event_free_at_36_months():
    efs = event_free_survival(_doc("seed-001"))
    assert efs.event is False and efs.end == "fu1"
    assert efs.months == pytest.approx(36, abs=0.1) and efs.interval.precision == "±15 days"


# --- RFS and duration of response ------------------------------------------------------------


def test_seed_002_duration_of_response_is_40_days_from_the_first_cr():
    dor = duration_of_response(_doc("seed-002"))
    assert dor.anchor == "car1-cr" and dor.end == "rel2" and dor.event is True
    assert dor.days == 40 and dor.interval.exact


def test_rfs_counts_death_in_remission_but_duration_of_response_censors_it():
    case = course(
        d28(), {"id": "death", "type": "death", "date": "car1+128d", "cause": "infection"}
    )
    rfs = relapse_free_survival(case)
    assert (rfs.event, rfs.end_kind, rfs.days, rfs.anchor) == (True, "death", 100, "d28")
    dor = duration_of_response(case)
    assert (dor.event, dor.end_kind, dor.days) == (False, "death_censored", 100)


def test_duration_of_response_ends_at_death_from_disease():
    case = course(d28(), {"id": "death", "type": "death", "date": "car1+128d", "cause": "disease"})
    assert duration_of_response(case).event is True


def test_duration_of_response_censored_at_last_follow_up_or_transplant():
    case = course(d28(), {"id": "hsct", "type": "hsct", "date": "car1+60d"}, fu("car1+400d"))
    assert duration_of_response(case).days == 372
    censored = duration_of_response(case, censor_at_hsct=True)
    assert (censored.end, censored.end_kind, censored.days) == ("hsct", "hsct_censored", 32)


def test_rfs_without_a_remission_is_not_computable():
    rfs = relapse_free_survival(course(d28("NR"), fu("car1+100d")))
    assert rfs.computable is False and "no assessment of car1 shows a remission" in rfs.reason


def test_remission_classified_from_counts_starts_the_response():
    cri = d28(None, marrow_blasts_pct=1, blood_blasts_pct=0, anc_10e9_l=0.4, platelets_10e9_l=30)
    dor = duration_of_response(course(cri, {"id": "rel", "type": "relapse", "date": "car1+88d"}))
    assert dor.days == 60 and any("CRi at d28" in n for n in dor.notes)


# --- time between points --------------------------------------------------------------------


def test_intervals_sum_stated_offsets_even_from_a_month_precise_date():
    case = course(d28(), car={**CAR, "date": "2020-01"})
    assert case.interval("car1", "d28").days == 28 and case.interval("car1", "d28").exact
    assert (
        case.interval("car1", "2020-03-01").lo == (dt.date(2020, 3, 1) - dt.date(2020, 1, 31)).days
    )


def test_outcome_to_dict_is_plain_data():
    d = overall_survival(course(fu("2021-01-10"))).to_dict()
    assert set(d) == {
        "endpoint",
        "anchor",
        "computable",
        "event",
        "end",
        "end_kind",
        "interval",
        "reason",
        "notes",
    }
    assert d["interval"]["days"] == 366 and d["interval"]["months"] == pytest.approx(
        12.02, abs=0.01
    )
