"""CAR-T profiles read from a stored case's observation series, and the CLI on a case id."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from remission import Store, import_files
from remission.casefile import load_file, parse_document_text
from remission.examples import example_paths
from remission.exceptions import KineticsInputError
from remission.kinetics import nca
from remission.kinetics.from_case import car_t_series, profile_from_series

EXAMPLE = next(p for p in example_paths() if p.name.startswith("synthetic"))


def test_the_first_car_t_series_becomes_a_profile_with_its_blq_point():
    case = load_file(EXAMPLE).document
    assert [s.id for s in car_t_series(case)] == ["cart-flow"]
    profile = profile_from_series(case)
    assert list(profile.days) == [4, 7, 10, 14, 21, 28, 56, 90, 180]
    assert bool(profile.blq[-1]) and float(profile.lloq[-1]) == 0.01
    result = nca(profile)
    assert result.to_dict()["metrics"]["cmax"]["value"] == 31.0
    assert result.to_dict()["metrics"]["tmax"]["value"] == 10


def test_a_named_series_is_used_and_an_unknown_one_is_a_clear_error():
    case = load_file(EXAMPLE).document
    assert profile_from_series(case, "il6").unit == "pg/mL"
    with pytest.raises(KineticsInputError, match="no observation series 'nope'"):
        profile_from_series(case, "nope")


def test_points_given_by_date_are_placed_from_the_anchor_when_exact():
    case = parse_document_text(
        """
id: k1
timeline:
  - {id: car1, type: car_t_infusion, date: 2021-05-03}
observations:
  - id: s
    analyte: car_t_pct_t_cells
    unit: "%"
    anchor: car1
    points:
      - {day: 7, value: 4}
      - {at: 2021-05-17, value: 9}
      - {at: 2021-06, value: 1}
""",
        "k1.yaml",
    )
    with pytest.raises(KineticsInputError, match="cannot be placed exactly"):
        profile_from_series(case)


def test_a_case_without_car_t_levels_says_so():
    case = load_file(next(p for p in example_paths() if p.name.startswith("seed-001"))).document
    with pytest.raises(KineticsInputError, match="no CAR-T level series"):
        profile_from_series(case)


def test_kinetics_commands_take_a_stored_case_id(tmp_path):
    db = f"sqlite:///{tmp_path / 'k.sqlite'}"
    with Store(db) as store:
        import_files(store, [EXAMPLE])
    exe = str(Path(sys.executable).with_name("remission"))
    nca_out = subprocess.run([exe, "kinetics", "nca", "synthetic-annotated-001", "--db", db, "--json"],
                             capture_output=True, text=True, check=True)
    assert json.loads(nca_out.stdout)["metrics"]["cmax"]["value"] == 31.0
    fit = subprocess.run([exe, "kinetics", "fit", "synthetic-annotated-001", "--db", db, "--json"],
                         capture_output=True, text=True, check=True)
    assert "tmax" in json.dumps(json.loads(fit.stdout))
