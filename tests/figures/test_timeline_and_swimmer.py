"""The case timeline and the cohort swimmer plot: placed from the case's own times, drawn as data."""

import pytest

from remission.casefile import load_file, parse_document_text
from remission.examples import example_paths
from remission.figures import plot_swimmer, plot_timeline, swimmer_data, timeline_data


def _cases():
    docs = [load_file(p).document for p in example_paths()]
    return [d for d in docs if d.kind == "case"]


def _by_id(prefix):
    return next(c for c in _cases() if c.id.startswith(prefix))


def test_a_fully_timed_case_is_drawn_in_months_from_the_infusion():
    data = timeline_data(_by_id("synthetic"))
    assert data.axis == "months" and data.anchor == "car1"
    car = next(i for i in data.items if i.kind == "infusion")
    assert car.start == 0 and car.lane == "car_t"
    crs = next(i for i in data.items if i.label.startswith("CRS"))
    assert crs.start == pytest.approx(2 / 30.4375) and crs.end == pytest.approx(7 / 30.4375)
    relapse = next(i for i in data.items if i.kind == "relapse")
    assert relapse.start < 0  # the relapse came before the infusion


def test_a_case_report_without_dates_is_shown_in_order_and_says_so():
    data = timeline_data(_by_id("seed-000"))
    assert data.axis == "sequence"
    assert "not every event can be timed" in data.notes[0]
    positions = [i.start for i in data.items]
    assert positions == sorted(positions)
    assert any(i.label == "relapse 3: testis" for i in data.items)


def test_day_zero_can_be_the_diagnosis():
    case = parse_document_text(
        "id: t\ndiagnosis: {date: 2020-01-01}\ntimeline:\n"
        "  - {id: rel1, type: relapse, date: 2021-01-01, sites: [marrow]}\n", "t.yaml")
    data = timeline_data(case, "diagnosis")
    assert data.items[0].start == pytest.approx(366 / 30.4375)


def test_the_swimmer_plot_has_one_lane_per_timed_patient_and_names_the_others():
    data = swimmer_data(_cases())
    ids = [r.case_id for r in data.rows]
    assert ids[0] == "seed-001-cns-cart"  # 36 months, the longest follow-up first
    assert [m for m in (r.months for r in data.rows)] == sorted((r.months for r in data.rows), reverse=True)
    assert {c for c, _ in data.left_out} == {"seed-002-cns-sequential-cart"}
    synthetic = next(r for r in data.rows if r.case_id.startswith("synthetic"))
    assert synthetic.alive and synthetic.response == "CR" and len(synthetic.transplants) == 1


def test_figures_render_to_png(tmp_path):
    for case in _cases():
        fig = plot_timeline(case)
        fig.savefig(tmp_path / f"{case.id}.png")
        assert (tmp_path / f"{case.id}.png").stat().st_size > 5000
    plot_swimmer(_cases()).savefig(tmp_path / "swimmer.png")
    assert (tmp_path / "swimmer.png").stat().st_size > 5000


def test_an_empty_cohort_draws_an_empty_swimmer_plot():
    assert swimmer_data([]).rows == ()
    plot_swimmer([])
