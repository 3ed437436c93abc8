"""`remission import-table` as a user runs it: real processes, a real store on SQLite and
PostgreSQL, and the store compared before and after every refused import."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from remission.interop.mapping import shipped_mappings
from remission.interop.table_import import plan_table_import, save_table_plan
from remission.store import Store

EXE = str(Path(sys.executable).with_name("remission"))
DATA = Path(__file__).parents[1] / "interop" / "data"
RECORDS = DATA / "redcap" / "cart_followup_records.csv"
DICTIONARY = DATA / "redcap" / "cart_followup_DataDictionary.csv"
MAPPING = shipped_mappings()["redcap-cart-example"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": ""},
    )


def import_table(*args: str) -> subprocess.CompletedProcess[str]:
    return run("import-table", *args, "--mapping", str(MAPPING), "--dictionary", str(DICTIONARY))


def stored(store_url: str) -> dict[str, int]:
    """Every case in the store with its version, read in-process (the store itself, no CLI)."""
    with Store(store_url) as store:
        return {row.id: row.version for row in store.list()}


def bad_export(tmp_path: Path) -> Path:
    """The test export with a date in another format and an unknown choice code."""
    with RECORDS.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        if row["record_id"] == "1002" and row["redcap_repeat_instrument"] == "response_assessment":
            row["resp_date"] = "16/07/2019"
        if row["record_id"] == "1004" and row["redcap_repeat_instrument"] == "car_t_infusion":
            row["cart_product"] = "9"
    path = tmp_path / "records.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_dry_run_shows_the_cases_and_stores_nothing(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    proc = import_table(str(RECORDS), "--db", store_url, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "6 of 6 record(s) valid" in proc.stdout and "would be stored" in proc.stdout
    for case_id in ("cart-1001", "cart-1006"):
        assert case_id in proc.stdout
    assert "brexucabtagene_autoleucel" in proc.stdout  # the summaries are shown
    assert "dry run: nothing was stored." in proc.stdout
    assert stored(store_url) == {}


def test_an_import_stores_every_case_and_again_changes_nothing(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    proc = import_table(
        str(RECORDS), "--db", store_url, "--json", "--author", "dm", "--reason", "monthly export"
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["stored"] is True and result["problems"] == []
    assert {o["action"] for o in result["saved"]} == {"created"}
    summary = {c["id"]: c["summary"] for c in result["cases"]}
    assert (
        summary["cart-1003"]["relapse_count"] == 2
        and summary["cart-1002"]["bridged_to_hsct"] is True
    )
    assert stored(store_url) == {f"cart-100{i}": 1 for i in range(1, 7)}
    with Store(store_url) as store:
        (version,) = store.history("cart-1001")
    assert (version.author, version.reason) == ("dm", "monthly export")

    again = import_table(str(RECORDS), "--db", store_url)
    assert "unchanged" in again.stdout and "0 new, 0 updated, 6 unchanged" in again.stdout
    assert stored(store_url) == {f"cart-100{i}": 1 for i in range(1, 7)}


def test_a_bad_export_is_refused_row_by_row_and_the_store_is_unchanged(store_url, tmp_path):
    with Store(store_url) as store:  # the same cases, stored through the Python API
        save_table_plan(store, plan_table_import(RECORDS, MAPPING, dictionary=DICTIONARY))
    before = stored(store_url)
    assert len(before) == 6
    bad = bad_export(tmp_path)

    dry = import_table(str(bad), "--db", store_url, "--dry-run")
    assert dry.returncode == 1
    assert "4 of 6 record(s) valid" in dry.stdout  # the other records are shown as they would be
    assert "2 failing row(s)" in dry.stdout
    assert "resp_date" in dry.stdout and "DD/MM/YYYY" in dry.stdout
    assert "cart_product" in dry.stdout and "'9' is not a choice" in dry.stdout
    assert "nothing was stored" in dry.stderr

    real = import_table(str(bad), "--db", store_url)
    assert real.returncode == 1 and "2 problems in 2 record(s); nothing was stored." in real.stderr
    assert stored(store_url) == before

    as_json = import_table(str(bad), "--db", store_url, "--json")
    assert as_json.returncode == 1
    problems = json.loads(as_json.stdout)["problems"]
    assert [(p["record"], p["column"]) for p in problems] == [
        ("1002", "resp_date"),
        ("1004", "cart_product"),
    ]
    assert all(isinstance(p["row_number"], int) and isinstance(p["line"], int) for p in problems)
    assert stored(store_url) == before


def test_files_that_cannot_be_read_are_refused_before_any_row(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("record_id,dem_sex\n1001,Fémale\n".encode("latin-1"))
    proc = import_table(str(latin), "--db", db)
    assert proc.returncode == 1
    assert (
        "nothing was stored" in proc.stderr
        and "latin.csv:2: the file is not UTF-8 text" in proc.stderr
    )

    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING.read_text().replace("read: date", "read: dates", 1))
    proc = run("import-table", str(RECORDS), "--mapping", str(mapping), "--db", db, "--json")
    assert proc.returncode == 1
    (problem,) = json.loads(proc.stdout)["problems"]
    assert problem["file"] == str(mapping) and "'dates' is not allowed" in problem["message"]
    assert stored(db) == {}


def test_hostile_cells_are_shown_as_text(tmp_path):
    data = tmp_path / "labs.csv"
    data.write_text(
        "patient,infusion_date,product,day,analyte,value,unit\n"
        "L01,2021-05-04,Kymriah,0,[/bold] [link=http://x]IL-6,8,pg/mL\n",
        encoding="utf-8",
    )
    mapping = DATA / "table" / "long_mapping.yaml"
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    proc = run("import-table", str(data), "--mapping", str(mapping), "--db", db, "--dry-run")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "'[/bold] [link=http://x]IL-6' is not a known laboratory analyte" in proc.stdout
    assert stored(db) == {}
