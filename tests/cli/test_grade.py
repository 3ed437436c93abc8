"""``remission grade``: the bedside calculator, through Typer's runner and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from remission.cli.grade import grade_json, register
from remission.exceptions import GradingInputError

ASSESSMENTS: list[dict[str, Any]] = [
    {"syndrome": "crs", "temperature_c": 38.9, "vasopressors": ["noradrenaline", "vasopressin"]},
    {
        "syndrome": "crs",
        "temperature_c": 39.2,
        "oxygen": {"device": "nasal_cannula", "flow_l_min": 8},
    },
    {"syndrome": "icans", "age_years": 41, "ice_score": 5, "other_findings": ["tremor"]},
    {"syndrome": "icans", "age_years": 7, "capd_score": 10},
    {"syndrome": "icans", "age_years": 63},
]
EXPECTED_GRADES = [3, 3, 2, 3, None]


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """remission (test app)."""

    register(app)
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_json_in_json_out(runner: CliRunner) -> None:
    result = runner.invoke(make_app(), ["grade", "--json"], input=json.dumps(ASSESSMENTS))
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [r["grade"] for r in out] == EXPECTED_GRADES
    assert out[0]["drivers"] == ["one vasopressor (norepinephrine with vasopressin) → grade 3"]
    assert out[1]["drivers"] == ["nasal cannula at 8 L/min (> 6 L/min: high-flow) → grade 3"]
    assert all(r["scale"] == "ASTCT 2019" for r in out)
    assert {r["syndrome"] for r in out} == {"crs", "icans"}
    assert out[4]["reason"] and "ICE not done" in out[4]["reason"]
    assert any("tremor" in n for n in out[2]["notes"])


def test_table_for_people(runner: CliRunner) -> None:
    result = runner.invoke(make_app(), ["grade"], input=json.dumps(ASSESSMENTS))
    assert result.exit_code == 0, result.stderr
    assert "ASTCT 2019" in result.stdout
    assert "not assessable" in result.stdout
    assert "ICANS" in result.stdout and "CRS" in result.stdout


def test_bad_item_names_index_field_and_allowed_values(runner: CliRunner) -> None:
    items = [
        ASSESSMENTS[0],
        {"syndrome": "crs", "oxygen": {"device": "tent"}},
        {"syndrome": "icans", "age_years": 30, "ice_score": 11},
    ]
    result = runner.invoke(make_app(), ["grade", "--json"], input=json.dumps(items))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        "<stdin>: [1].oxygen.device: 'tent' is not allowed; allowed values: none," in result.stderr
    )
    assert "[2].ice_score" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"syndrome": "crs",', "not valid JSON"),
        ('{"syndrome": "crs"}', "wrap a single assessment in [ ]"),
        ("", "no input"),
        ('[{"syndrome": "icans", "ice_score": 9}]', "[0].age_years"),
    ],
)
def test_unusable_input_exits_1_with_nothing_on_stdout(
    runner: CliRunner, text: str, message: str
) -> None:
    result = runner.invoke(make_app(), ["grade", "--json"], input=text)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr


def test_json_syntax_error_gives_the_line() -> None:
    with pytest.raises(GradingInputError) as exc:
        grade_json('[\n  {"syndrome": "crs"},\n  {oops}\n]')
    assert exc.value.problems[0].line == 3


def test_file_option_labels_problems_with_the_file(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "day2.json"
    good.write_text(json.dumps(ASSESSMENTS[:1]), encoding="utf-8")
    ok = runner.invoke(make_app(), ["grade", "--json", "--file", str(good)])
    assert json.loads(ok.stdout)[0]["grade"] == 3
    bad = tmp_path / "day3.json"
    bad.write_text('[{"syndrome": "crs", "temprature_c": 39}]', encoding="utf-8")
    result = runner.invoke(make_app(), ["grade", "--json", "-f", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: [0].temprature_c: unknown field" in result.stderr


def test_a_stored_case_is_graded_from_its_bedside_assessments(runner: CliRunner, tmp_path) -> None:
    from remission import Store, import_files
    from remission.examples import example_paths

    db = f"sqlite:///{tmp_path / 'g.sqlite'}"
    with Store(db) as store:
        import_files(store, [p for p in example_paths() if p.name.startswith("synthetic")])
    result = runner.invoke(make_app(), ["grade", "synthetic-annotated-001", "--db", db, "--json"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    maxima = {e["syndrome"]: e["max_grade"] for e in out["episodes"]}
    assert maxima == {"crs": 2, "icans": 1}  # fluids + 2 L/min nasal cannula; ICE 8


def test_an_unknown_case_id_is_a_clear_error(runner: CliRunner, tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    result = runner.invoke(make_app(), ["grade", "CASE-1", "--db", db])
    assert result.exit_code == 1
    assert "CASE-1" in result.stderr


def test_empty_array_gives_empty_array(runner: CliRunner) -> None:
    result = runner.invoke(make_app(), ["grade", "--json"], input="[]")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


APP_SCRIPT = """
import typer
from remission.cli.grade import register
app = typer.Typer()
@app.callback()
def main() -> None:
    pass
register(app)
app()
"""


def run_process(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", APP_SCRIPT, "grade", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_as_a_process_json() -> None:
    done = run_process("--json", stdin=json.dumps(ASSESSMENTS))
    assert done.returncode == 0, done.stderr
    assert [r["grade"] for r in json.loads(done.stdout)] == EXPECTED_GRADES


def test_as_a_process_bad_input() -> None:
    done = run_process("--json", stdin='[{"syndrome": "crs", "vasopressors": ["pitressin"]}]')
    assert done.returncode == 1
    assert done.stdout == ""
    assert "[0].vasopressors[0]: unknown vasopressor 'pitressin'" in done.stderr
