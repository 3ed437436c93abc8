"""Table export: CaseSummary rows, long-format observations and a data dictionary, CSV and XLSX."""

import csv
import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from remission import Store, import_files
from remission.casefile import load_file
from remission.examples import example_paths
from remission.model import CaseSummary
from remission.report.tables import (
    data_dictionary,
    observation_rows,
    summary_rows,
    write_csv_tables,
)

CASES = [d for d in (load_file(p).document for p in example_paths()) if d.kind == "case"]


def test_one_summary_row_per_case_with_every_field():
    rows = summary_rows(CASES)
    assert len(rows) == len(CASES)
    assert set(rows[0]) == {"case_id", *CaseSummary.model_fields}
    seed0 = next(r for r in rows if r["case_id"].startswith("seed-000"))
    assert seed0["relapse_count"] == 4 and seed0["abl_kinase_mutations"] == "T315I"


def test_observations_are_long_format_and_keep_blq():
    rows = [r for r in observation_rows(CASES) if r["series_id"] == "cart-flow"]
    assert len(rows) == 9
    assert rows[-1]["blq"] is True and rows[-1]["value"] is None and rows[-1]["lloq"] == 0.01


def test_every_exported_column_is_in_the_dictionary(tmp_path):
    paths = write_csv_tables(CASES, tmp_path)
    described = {(r["table"], r["column"]) for r in data_dictionary()}
    for path in paths[:2]:
        with path.open() as fh:
            header = next(csv.reader(fh))
        assert all((path.stem, col) in described for col in header), path


def test_the_csv_reproduces_the_summary_the_cli_prints(tmp_path):
    db = f"sqlite:///{tmp_path / 'e.sqlite'}"
    with Store(db) as store:
        import_files(store, example_paths())
    exe = str(Path(sys.executable).with_name("remission"))
    subprocess.run([exe, "export", "--format", "csv", "--out", str(tmp_path / "t"), "--db", db], check=True,
                   capture_output=True)
    with (tmp_path / "t" / "case_summaries.csv").open() as fh:
        rows = {r["case_id"]: r for r in csv.DictReader(fh)}
    printed = json.loads(subprocess.run([exe, "summary", "seed-002-cns-sequential-cart", "--json", "--db", db],
                                        check=True, capture_output=True, text=True).stdout)["summary"]
    row = rows["seed-002-cns-sequential-cart"]
    assert row["bridged_to_hsct"] == str(printed["bridged_to_hsct"])
    assert row["crs_max_grade"] == str(printed["crs_max_grade"])
    subprocess.run([exe, "export", "--format", "xlsx", "--out", str(tmp_path / "t.xlsx"), "--db", db], check=True,
                   capture_output=True)
    wb = load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["case_summaries", "observations", "data_dictionary"]
    assert wb["case_summaries"].max_row == len(rows) + 1
