"""The case commands as a user runs them: real processes, a real store on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from remission.casefile import parse_document_text
from remission.examples import example_paths

EXE = str(Path(sys.executable).with_name("remission"))


def run(*args: str, check: bool = True, env: dict | None = None, input: str | None = None):
    proc = subprocess.run(
        [EXE, *args], capture_output=True, text=True, env=env, input=input, timeout=120
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"remission {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
        )
    return proc


def test_import_list_show_history_export_summary(store_url, tmp_path):
    seeds = [str(p) for p in example_paths()]
    imported = json.loads(
        run("import", *seeds, "--db", store_url, "--author", "dr-a", "--json").stdout
    )
    assert {o["action"] for o in imported} == {"created"}
    assert len(imported) == len(seeds)

    # importing the same files again creates no versions
    again = json.loads(run("import", *seeds, "--db", store_url, "--json").stdout)
    assert {o["action"] for o in again} == {"unchanged"}

    rows = json.loads(run("list", "--db", store_url, "--json").stdout)
    ids = {r["id"] for r in rows}
    assert "seed-000-ph-pos-cart" in ids and "seed-004-blina-paediatric" in ids
    by_id = {r["id"]: r for r in rows}
    assert by_id["seed-000-ph-pos-cart"]["summary"]["relapse_count"] == 4
    assert by_id["seed-004-blina-paediatric"]["kind"] == "cohort"
    assert len(json.loads(run("list", "--db", store_url, "--json", "--kind", "cohort").stdout)) == 1

    shown = run("show", "seed-000-ph-pos-cart", "--db", store_url).stdout
    assert "ALL-2009" in shown and "testis" in shown and "relapse_count" in shown

    # an edit: a new version with who and why; the old one stays readable
    text = run("export", "seed-000-ph-pos-cart", "--db", store_url).stdout
    data = yaml.safe_load(text)
    data["patient"]["birth_year"] = 1986
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False))
    run(
        "import",
        str(edited),
        "--db",
        store_url,
        "--author",
        "dr-b",
        "--reason",
        "birth year from chart",
    )
    history = json.loads(run("history", "seed-000-ph-pos-cart", "--db", store_url, "--json").stdout)
    assert [(h["version"], h["author"]) for h in history] == [(1, "dr-a"), (2, "dr-b")]
    assert history[1]["reason"] == "birth year from chart"
    v1 = json.loads(
        run("show", "seed-000-ph-pos-cart", "--version", "1", "--db", store_url, "--json").stdout
    )
    assert "birth_year" not in v1["document"]["patient"]
    assert v1["current_version"] == 2

    # export re-imports to an identical case
    exported = run("export", "seed-000-ph-pos-cart", "--db", store_url).stdout
    assert parse_document_text(exported, "x") == parse_document_text(edited.read_text(), "y")

    summary = json.loads(
        run("summary", "seed-002-cns-sequential-cart", "--db", store_url, "--json").stdout
    )
    assert summary["summary"]["bridged_to_hsct"] is True


def test_summary_of_a_file_without_a_store(tmp_path):
    path = next(p for p in example_paths() if p.name.startswith("seed-003"))
    out = json.loads(run("summary", str(path), "--json").stdout)
    assert out["summary"]["age_years"] == 62
    assert out["summary"]["extramedullary_sites"] == ["other"]


def test_validate_reports_ok_and_stores_nothing(tmp_path):
    db = tmp_path / "x.sqlite"
    out = run("validate", *map(str, example_paths())).stdout
    assert out.count("ok ") == len(example_paths())
    assert not db.exists()


def test_unknown_case_is_a_clear_error(store_url):
    proc = run("show", "no-such-case", "--db", store_url, check=False)
    assert proc.returncode == 1
    assert "no-such-case" in proc.stderr and proc.stdout == ""


def test_a_wrong_version_says_which_exist(store_url):
    seed = str(example_paths()[0])
    run("import", seed, "--db", store_url)
    proc = run("show", "seed-000-ph-pos-cart", "--version", "7", "--db", store_url, check=False)
    assert proc.returncode == 1 and "1" in proc.stderr


def test_schema_is_generated_json_schema():
    schema = json.loads(run("schema").stdout)
    assert "$defs" in schema
    assert "Case" in schema["$defs"] and "CohortAggregate" in schema["$defs"]
    case_schema = json.loads(run("schema", "--kind", "case").stdout)
    assert "timeline" in case_schema["properties"]


def test_demo_writes_its_outputs_and_says_where(tmp_path):
    out_dir = tmp_path / "demo"
    proc = run("demo", "--out", str(out_dir), "--virtual", "20")
    assert str(out_dir) in proc.stdout.replace("\n", "")
    assert (out_dir / "tables" / "case_summaries.csv").read_text().count("\n") == 1 + 5  # header + 5
    assert len(list((out_dir / "reports").glob("*.html"))) == 5
    assert len(list((out_dir / "virtual-cohort").glob("*.yaml"))) == 20
    cohort = (out_dir / "cohort-report.html").read_text()
    assert "Kaplan" in cohort and "seed-004-blina-paediatric" in cohort
    assert proc.stdout.strip().splitlines()[-1].endswith("cohort-report.html")
    assert len(list((out_dir / "cases").glob("*.yaml"))) == len(example_paths())
    summaries = json.loads((out_dir / "summaries.json").read_text())
    assert summaries["seed-004-blina-paediatric"]["n_patients"] == 14
    # running it again is harmless: nothing new is stored
    again = json.loads(run("demo", "--out", str(out_dir), "--json", "--virtual", "20").stdout)
    assert {o["action"] for o in again["imported"]} == {"unchanged"}


def test_remission_db_environment_variable_picks_the_store(tmp_path):
    import os

    db = tmp_path / "env.sqlite"
    env = {**os.environ, "REMISSION_DB": str(db), "REMISSION_USER": "nurse-k"}
    run("import", str(example_paths()[1]), env=env)
    assert db.exists()
    history = json.loads(run("history", "seed-001-cns-cart", "--json", env=env).stdout)
    assert history[0]["author"] == "nurse-k"


@pytest.mark.parametrize(
    "bad_db", ["postgresql+psycopg://nobody@127.0.0.1:1/none", "/no/such/folder/x.sqlite"]
)
def test_an_unreachable_store_is_a_clear_error(bad_db):
    proc = run("list", "--db", bad_db, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.strip()
