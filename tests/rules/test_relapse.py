"""Relapse site and timing classes (clinical-criteria.md section 3.4).

Site: isolated extramedullary < 5 % marrow blasts (or marrow not involved); combined with >= 5 %.
Timing: BFM very early < 18 months from diagnosis, early >= 18 months and < 6 months after the end
of front-line therapy, late >= 6 months after it; COG early < 36 months (marrow) or < 18 months
(isolated extramedullary); adult early when CR1 < 12 months. Partial dates that straddle a cut-off
are indeterminate. CR number = prior relapses + 1.
"""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remission.casefile import load_file
from remission.examples import example_paths
from remission.model import Case
from remission.rules.relapse import (
    classify_relapse,
    cr_number,
    frontline_end,
    months_below,
    relapse_timing,
)


def case(dx="2014-06-15", relapse=None, frontline=None, extra=(), **kw):
    timeline = []
    if frontline is not None:
        timeline.append(
            {
                "id": "front",
                "type": "therapy",
                "start": dx,
                "end": frontline,
                "protocol": "AIEOP-BFM ALL 2009",
                "line": 1,
            }
        )
    timeline.extend(extra)
    timeline.append({"id": "rel", "type": "relapse", **(relapse or {})})
    return Case.model_validate(
        {"id": "rel-test", "diagnosis": {"date": dx}, "timeline": timeline, **kw}
    )


# --- site -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relapse", "site_class"),
    [
        ({"sites": ["cns"], "marrow_blasts_pct": 4.9}, "isolated_extramedullary"),
        ({"sites": ["cns"], "marrow_blasts_pct": 5.0}, "combined"),
        ({"sites": ["testis"]}, "isolated_extramedullary"),  # marrow not named
        ({"sites": ["marrow", "testis"]}, "combined"),
        ({"sites": ["marrow"]}, "isolated_medullary"),
        ({"marrow_blasts_pct": 60}, "isolated_medullary"),
        ({"sites": ["blood"]}, "isolated_medullary"),
        ({"molecular": True}, "molecular"),
        ({"cns_status": "CNS3", "marrow_blasts_pct": 1}, "isolated_extramedullary"),
        ({}, None),
    ],
)
def test_site_class(relapse, site_class):
    got = classify_relapse(case(relapse={"date": "2016-01-01", **relapse}), "rel")
    assert got.site_class == site_class


def test_marrow_named_but_below_five_percent_is_isolated_extramedullary_with_a_note():
    got = classify_relapse(
        case(relapse={"sites": ["marrow", "cns"], "marrow_blasts_pct": 2}), "rel"
    )
    assert got.site_class == "isolated_extramedullary" and got.marrow_involved is False
    assert any("submicroscopic" in n for n in got.notes)
    assert got.sites == ("marrow", "cns") and got.extramedullary_sites == ("cns",)


def test_isolated_marrow_below_25_percent_notes_the_bfm_requirement():
    got = classify_relapse(case(relapse={"marrow_blasts_pct": 12}), "rel")
    assert got.site_class == "isolated_medullary" and any("25 %" in n for n in got.notes)


def test_cd19_status_and_lineage_switch():
    neg = classify_relapse(case(relapse={"sites": ["marrow"], "cd19": "negative"}), "rel")
    assert neg.cd19_negative is True
    pos = classify_relapse(case(relapse={"sites": ["marrow"], "cd19": "dim"}), "rel")
    assert pos.cd19_negative is False
    unknown = classify_relapse(case(relapse={"sites": ["marrow"]}), "rel")
    assert unknown.cd19_negative is None
    switch = classify_relapse(case(relapse={"sites": ["marrow"], "lineage_switch": True}), "rel")
    assert switch.lineage_switch and any("lineage switch" in n for n in switch.notes)


# --- timing: BFM ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dx", "relapse_date", "timing"),
    [
        ("2014-06-15", "2015-12-14", "very_early"),  # one day short of 18 months
        ("2015-02-28", "2016-08-27", "very_early"),  # calendar months, not 30.4-day months
        ("2015-02-28", "2016-08-28", "early"),  # exactly 18 months
    ],
)
def test_bfm_very_early_is_under_18_calendar_months(dx, relapse_date, timing):
    c = case(dx=dx, relapse={"date": relapse_date, "sites": ["marrow"]}, frontline="2016-06-01")
    assert relapse_timing(c, "rel", "BFM").timing == timing


@pytest.mark.parametrize(
    ("relapse_date", "timing"),
    [("2017-01-31", "early"), ("2017-02-01", "late")],  # six months after 2016-08-01
)
def test_bfm_early_versus_late_six_months_after_front_line(relapse_date, timing):
    c = case(relapse={"date": relapse_date, "sites": ["marrow"]}, frontline="2016-08-01")
    got = relapse_timing(c, "rel", "BFM")
    assert got.timing == timing and got.after_frontline is not None


def test_bfm_needs_the_end_of_front_line_therapy():
    c = case(relapse={"date": "2017-06-01", "sites": ["marrow"]})
    got = relapse_timing(c, "rel", "BFM")
    assert got.timing is None and "end of front-line therapy" in got.missing
    given_end = relapse_timing(c, "rel", "BFM", end_of_frontline="2016-08-01")
    assert given_end.timing == "late"


def test_bfm_relapse_during_front_line_therapy_after_18_months_is_early():
    c = case(relapse={"date": "2016-03-01", "sites": ["marrow"]}, frontline="2016-08-01")
    assert relapse_timing(c, "rel", "BFM").timing == "early"


def test_bfm_partial_dates_straddling_18_months_are_indeterminate():
    c = case(dx="2014-09", relapse={"date": "2016", "sites": ["marrow"]}, frontline="2016-10-01")
    got = relapse_timing(c, "rel", "BFM")
    assert got.timing is None and any("straddles" in r for r in got.reasons)
    assert got.from_diagnosis.lo < got.from_diagnosis.hi


def test_frontline_end_from_line_one_or_induction_before_the_first_relapse():
    c = case(relapse={"date": "2017-01-01"}, frontline="2016-08-01")
    assert frontline_end(c)[0] is not None and "front" in frontline_end(c)[1]
    no_line = Case.model_validate(
        {
            "id": "x",
            "diagnosis": {"date": "2014-06-15"},
            "timeline": [
                {
                    "id": "ind",
                    "type": "therapy",
                    "start": "2014-06-20",
                    "protocol": "BFM",
                    "intent": "induction",
                },
                {
                    "id": "maint",
                    "type": "therapy",
                    "start": "2015-01-01",
                    "end": "2016-09-01",
                    "protocol": "BFM",
                    "intent": "maintenance",
                },
                {"id": "rel", "type": "relapse", "date": "2017-02-01"},
                {
                    "id": "salv",
                    "type": "therapy",
                    "start": "2017-05-05",
                    "end": "2017-09-01",
                    "protocol": "IntReALL",
                    "intent": "maintenance",
                },
            ],
        }
    )
    end, why = frontline_end(no_line)
    assert str(end) == "2016-09-01" and "maint" in why
    assert relapse_timing(no_line, "rel", "BFM").timing == "early"


# --- timing: COG ----------------------------------------------------------------------------


def test_cog_marrow_relapse_in_2016_after_diagnosis_in_june_2014_is_decided_early():
    # every day of 2016 is before June 2017 (36 months after any day of June 2014)
    c = case(dx="2014-06", relapse={"date": "2016", "sites": ["marrow"]})
    assert relapse_timing(c, "rel", "COG").timing == "early"


def test_cog_isolated_extramedullary_uses_18_months():
    c = case(dx="2014-06", relapse={"date": "2016", "sites": ["testis"]})
    assert relapse_timing(c, "rel", "COG").timing == "late"  # 2016 is on or after Dec 2015
    c = case(dx="2014-06-15", relapse={"date": "2015-12-14", "sites": ["cns"]})
    assert relapse_timing(c, "rel", "COG").timing == "early"


def test_cog_marrow_relapse_straddling_36_months_is_indeterminate():
    c = case(dx="2014-06", relapse={"date": "2017", "sites": ["marrow"]})
    got = relapse_timing(c, "rel", "COG")
    assert got.timing is None and any("straddles" in r for r in got.reasons)


@pytest.mark.parametrize(
    ("offset", "timing"), [("35mo", "early"), ("36mo", None), ("37mo", "late")]
)
def test_cog_relapse_counted_in_months_from_diagnosis_keeps_the_offsets_uncertainty(offset, timing):
    # "36 months after diagnosis" is 36 months give or take half a month: undecided
    c = case(relapse={"date": f"diagnosis+{offset}", "sites": ["marrow"]})
    assert relapse_timing(c, "rel", "COG").timing == timing


def test_cog_unknown_sites_decided_only_where_both_cut_offs_agree():
    assert relapse_timing(case(relapse={"date": "2015-06-01"}), "rel", "COG").timing == "early"
    assert relapse_timing(case(relapse={"date": "2018-01-01"}), "rel", "COG").timing == "late"
    between = relapse_timing(case(relapse={"date": "2016-06-01"}), "rel", "COG")
    assert between.timing is None and any("sites" in m for m in between.missing)


def test_timing_without_a_diagnosis_date_is_indeterminate():
    c = Case.model_validate(
        {
            "id": "x",
            "timeline": [{"id": "rel", "type": "relapse", "date": "2016", "sites": ["marrow"]}],
        }
    )
    got = relapse_timing(c, "rel", "COG")
    assert got.timing is None and "diagnosis date" in got.missing


# --- timing: adult --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relapse_date", "timing"), [("2016-01-09", "early"), ("2016-01-10", "late")]
)
def test_adult_convention_uses_the_duration_of_first_remission(relapse_date, timing):
    cr = {"id": "cr1", "type": "disease_assessment", "date": "2015-01-10", "response": "CR"}
    c = case(dx="2014-11-01", relapse={"date": relapse_date, "sites": ["marrow"]}, extra=[cr])
    got = relapse_timing(c, "rel", "adult")
    assert got.timing == timing and got.first_remission is not None


def test_adult_convention_without_a_remission_is_indeterminate():
    got = relapse_timing(case(relapse={"date": "2016-01-01"}), "rel", "adult")
    assert got.timing is None and got.missing


def test_seed_002_second_relapse_40_days_into_cr_is_early_by_remission_duration():
    seed = load_file(next(p for p in example_paths() if p.name.startswith("seed-002"))).document
    got = relapse_timing(seed, "rel2", "adult")
    assert got.timing == "early" and got.first_remission.days == 40


# --- numbering ------------------------------------------------------------------------------


def test_cr_number_is_prior_relapses_plus_one():
    seed = load_file(next(p for p in example_paths() if p.name.startswith("seed-000"))).document
    n = cr_number(seed, "rel4")
    assert (n.relapse_number, n.ends_cr, n.next_cr, n.exact) == (4, 4, 5, True)
    two = Case.model_validate(
        {"id": "x", "timeline": [{"id": "r1", "type": "relapse"}, {"id": "r2", "type": "relapse"}]}
    )
    counted = cr_number(two, "r2")
    assert counted.relapse_number == 2 and counted.exact is False  # history may be incomplete
    complete = two.model_copy(update={"complete_history": True})
    assert cr_number(complete, "r2").exact is True


def test_months_below_reports_why():
    c = case(relapse={"date": "2016-01-01"})
    verdict, why = months_below(c, "diagnosis", "rel", 18)
    assert verdict is False and "2015-12-15" in why


def test_to_dict_is_plain_data():
    d = classify_relapse(
        case(relapse={"date": "2016-01-01", "sites": ["marrow"]}), "rel", "COG"
    ).to_dict()
    assert d["site_class"] == "isolated_medullary" and d["timing"]["timing"] == "early"
    assert d["timing"]["from_diagnosis"]["exact"] is True


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 3650), st.integers(0, 3650))
def test_a_later_relapse_never_gets_an_earlier_bfm_class(a, b):
    order = {"very_early": 0, "early": 1, "late": 2}
    start = dt.date(2014, 6, 15)

    def timing(days):
        c = case(
            relapse={"date": str(start + dt.timedelta(days=days)), "sites": ["marrow"]},
            frontline="2016-08-01",
        )
        return relapse_timing(c, "rel", "BFM").timing

    first, second = sorted((a, b))
    assert order[timing(first)] <= order[timing(second)]
