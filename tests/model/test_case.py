"""Whole-document rules of a Case: products, donors, references, chronology, navigation."""

import pytest
from pydantic import ValidationError

from remission.model import CarTInfusion, Case
from remission.model.time import parse_time


def case(**kw):
    return Case.model_validate({"id": "c1", **kw})


def test_a_named_product_fills_in_what_it_fixes():
    car = CarTInfusion.model_validate(
        {"id": "car1", "type": "car_t_infusion", "product": "Kymriah"}
    )
    assert (car.product, car.target, car.costimulatory, car.cell_source) == (
        "tisagenlecleucel",
        "CD19",
        ("4-1BB",),
        "autologous",
    )


def test_a_product_contradicted_is_an_error():
    with pytest.raises(ValidationError, match="costimulatory domain 4-1BB, not CD28"):
        CarTInfusion.model_validate(
            {
                "id": "car1",
                "type": "car_t_infusion",
                "product": "tisagenlecleucel",
                "costimulatory": ["CD28"],
            }
        )
    with pytest.raises(ValidationError, match="autologous"):
        CarTInfusion.model_validate(
            {
                "id": "car1",
                "type": "car_t_infusion",
                "product": "tisa-cel",
                "cell_source": "donor_derived",
            }
        )


def test_cd28_or_41bb_assigns_neither():
    car = CarTInfusion.model_validate(
        {"id": "car1", "type": "car_t_infusion", "costimulatory_either": ["CD28", "4-1BB"]}
    )
    assert car.costimulatory == ()


def test_an_autologous_product_has_no_donor():
    with pytest.raises(ValidationError, match="no donor"):
        CarTInfusion.model_validate(
            {
                "id": "car1",
                "type": "car_t_infusion",
                "cell_source": "autologous",
                "donor": {"relation": "brother"},
            }
        )


def test_relative_times_resolve_through_chains():
    c = case(
        diagnosis={"date": "2020-01-10"},
        timeline=[
            {"id": "rel1", "type": "relapse", "date": "2021-03-01", "sites": ["marrow"]},
            {"id": "car1", "type": "car_t_infusion", "date": "rel1+60d"},
            {
                "id": "cr",
                "type": "disease_assessment",
                "date": "car1+28d",
                "assesses": "car1",
                "response": "CR",
            },
        ],
    )
    iv = c.interval("rel1", "cr")
    assert iv is not None and iv.exact and iv.days == 88
    assert c.interval("diagnosis", "car1").days == 416 + 60  # 2020-01-10 to 2021-03-01 is 416 days


def test_partial_dates_give_intervals_with_their_precision():
    c = case(
        diagnosis={"date": 2014}, timeline=[{"id": "rel2", "type": "relapse", "date": "2016-11"}]
    )
    iv = c.interval("diagnosis", "rel2")
    assert not iv.exact
    assert iv.lo <= 2 * 365 + 305 <= iv.hi  # somewhere between Dec 2014 and Nov 2016
    assert "±" in iv.precision


def test_undated_and_dated_events_cannot_be_compared():
    c = case(
        diagnosis={"date": 2014},
        timeline=[
            {"id": "car1", "type": "car_t_infusion"},
            {"id": "fu", "type": "follow_up", "date": "car1+1y"},
        ],
    )
    assert c.interval("diagnosis", "car1") is None
    assert c.interval("car1", "fu").days == pytest.approx(365.25)


def test_index_defaults_to_the_last_infusion():
    c = case(
        timeline=[
            {"id": "car1", "type": "car_t_infusion"},
            {"id": "car2", "type": "car_t_infusion"},
        ]
    )
    assert [e.id for e in c.index_events()] == ["car2"]


def test_index_must_name_a_therapy():
    with pytest.raises(ValidationError, match="is not a therapy"):
        case(index=["r"], timeline=[{"id": "r", "type": "relapse"}])


@pytest.mark.parametrize(
    ("timeline", "message"),
    [
        ([{"id": "a", "type": "relapse", "date": "2013-05"}], "before the diagnosis"),
        (
            [
                {"id": "d", "type": "death", "date": "2015-01"},
                {"id": "a", "type": "relapse", "date": "2015-06"},
            ],
            "after the patient's death",
        ),
        (
            [
                {
                    "id": "t",
                    "type": "toxicity",
                    "syndrome": "crs",
                    "onset": "2015-01-10",
                    "resolved": "2015-01-05",
                }
            ],
            "ends before it starts",
        ),
        ([{"id": "d1", "type": "death"}, {"id": "d2", "type": "death"}], "only once"),
        ([{"id": "a", "type": "relapse"}, {"id": "a", "type": "relapse"}], "used twice"),
        ([{"id": "a", "type": "relapse", "date": "nosuch+2d"}], "no event"),
        ([{"id": "car1", "type": "car_t_infusion", "date": "2015-03-01"},
          {"id": "crs", "type": "toxicity", "syndrome": "crs", "after": "car1", "onset": "2015-02-20"}],
         "dated before 'car1', the event it follows"),
        ([{"id": "car1", "type": "car_t_infusion", "date": "2015-03-01"},
          {"id": "d28", "type": "disease_assessment", "assesses": "car1", "date": "car1-3d"}],
         "dated before 'car1'"),
    ],
)
def test_impossible_courses_are_refused(timeline, message):
    with pytest.raises(ValidationError, match=message):
        case(diagnosis={"date": 2014}, timeline=timeline)


def test_same_year_is_not_a_certain_conflict():
    # diagnosed in 2014, relapse dated 2014: possible, so accepted
    case(diagnosis={"date": 2014}, timeline=[{"id": "a", "type": "relapse", "date": 2014}])


def test_an_observation_series_keeps_blq_points_and_checks_its_unit():
    c = case(
        timeline=[{"id": "car1", "type": "car_t_infusion"}],
        observations=[
            {
                "id": "s",
                "analyte": "car_t_pct_t_cells",
                "unit": "%",
                "anchor": "car1",
                "lloq": 0.01,
                "points": [{"day": 7, "value": 5}, {"day": 90, "blq": True}],
            }
        ],
    )
    assert c.observations[0].points[1].value is None
    with pytest.raises(ValidationError, match="unit 'mg/L' is not used"):
        case(
            timeline=[{"id": "car1", "type": "car_t_infusion"}],
            observations=[
                {
                    "id": "s",
                    "analyte": "il6",
                    "unit": "mg/L",
                    "anchor": "car1",
                    "points": [{"day": 1, "value": 5}],
                }
            ],
        )


def test_a_value_below_the_stated_lloq_must_be_marked_blq():
    with pytest.raises(ValidationError, match="mark it blq"):
        case(
            timeline=[{"id": "car1", "type": "car_t_infusion"}],
            observations=[
                {
                    "id": "s",
                    "analyte": "car_t_pct_t_cells",
                    "unit": "%",
                    "anchor": "car1",
                    "lloq": 0.01,
                    "points": [{"day": 7, "value": 0.001}],
                }
            ],
        )


def test_daily_assessments_use_the_bedside_vocabulary():
    c = case(
        timeline=[{"id": "car1", "type": "car_t_infusion"}],
        assessments=[
            {
                "at": "car1+3d",
                "crs": {
                    "temperature_c": 39.0,
                    "oxygen": {"device": "nasal_cannula", "flow_l_min": 2},
                },
            },
            {"at": "car1+6d", "icans": {"age_years": 30, "ice_score": 6}},
        ],
    )
    assert c.assessments[0].crs.syndrome == "crs"
    with pytest.raises(ValidationError):
        case(timeline=[{"id": "car1", "type": "car_t_infusion"}], assessments=[{"at": "car1+1d"}])


def test_an_interval_asked_again_is_the_same_and_a_copy_works_out_its_own():
    c = case(
        diagnosis={"date": "2020-01-10"},
        timeline=[
            {"id": "rel1", "type": "relapse", "date": "2021-01-01"},
            {"id": "car1", "type": "car_t_infusion", "date": "rel1+60d"},
        ],
    )
    first = c.interval("rel1", "car1")
    assert c.interval("rel1", "car1") == first and first.days == 60
    # a copy with another timeline must not keep the original's times or intervals
    moved = c.model_copy(
        update={
            "timeline": (
                c.timeline[0],
                c.timeline[1].model_copy(update={"date": parse_time("rel1+90d")}),
            )
        }
    )
    assert moved.interval("rel1", "car1").days == 90
    assert moved.time_of("car1") != c.time_of("car1")
    assert c.interval("rel1", "car1").days == 60
