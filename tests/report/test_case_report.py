"""The case report: one self-contained HTML file that renders in a real browser."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from remission import Store, import_files
from remission.casefile import load_file
from remission.examples import example_paths
from remission.exceptions import InputError
from remission.report import case_report_context, render_case_report

EXAMPLE = next(p for p in example_paths() if p.name.startswith("synthetic"))


def _cases():
    return [d for d in (load_file(p).document for p in example_paths()) if d.kind == "case"]


def test_the_report_is_self_contained():
    html = render_case_report(load_file(EXAMPLE).document)
    assert "<script" not in html
    # nothing is fetched: every src/href is inline data
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert ref.startswith("data:"), ref
    assert "http://" not in html.replace("http-equiv", "") and "https://" not in html


def test_every_summary_number_has_its_definition():
    ctx = case_report_context(load_file(EXAMPLE).document)
    assert all(row["definition"] for row in ctx["summary_rows"])
    assert {o["name"] for o in ctx["outcomes"]} == {"OS", "EFS", "RFS", "DoR"}
    assert all(o["definition"] for o in ctx["outcomes"])


def test_the_report_shows_derived_grades_responses_intervals_and_kinetics():
    ctx = case_report_context(load_file(EXAMPLE).document)
    assert [(e["syndrome"], e["max_grade"]) for e in ctx["episodes"]] == [("CRS", 2), ("ICANS", 1)]
    assert any(r["label"].startswith("CR") for r in ctx["responses"])
    os_ = next(o for o in ctx["outcomes"] if o["name"] == "OS")
    assert os_["time"].startswith("18.6 months") and os_["status"].startswith("censored")
    assert ctx["kinetics"] and ctx["kinetics"][0]["png"].startswith("data:image/png;base64,")


def test_case_text_is_escaped():
    case = load_file(EXAMPLE).document
    hostile = case.model_copy(update={"notes": "<script>alert(1)</script>"})
    html = render_case_report(hostile.model_copy(
        update={"source": case.source.model_copy(update={"citation": "<img src=x onerror=alert(1)>"})}))
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_every_seed_case_renders():
    for case in _cases():
        assert case.id in render_case_report(case)


def test_report_command_writes_the_file(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with Store(db) as store:
        import_files(store, [EXAMPLE])
    out = tmp_path / "r.html"
    exe = str(Path(sys.executable).with_name("remission"))
    subprocess.run([exe, "report", "synthetic-annotated-001", "--db", db, "--out", str(out)], check=True,
                   capture_output=True)
    assert "synthetic-annotated-001" in out.read_text()


@pytest.mark.skipif(shutil.which("chromium") is None and not __import__("os").environ.get("CI"),
                    reason="Debian's chromium is installed by `make test`")
def test_the_report_renders_in_headless_chromium_without_errors(tmp_path):
    page = tmp_path / "case.html"
    page.write_text(render_case_report(load_file(EXAMPLE).document), encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,2400",
         f"--screenshot={shot}", "--enable-logging=stderr", "--v=0", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 50_000, proc.stderr[-2000:]
    console_errors = [line for line in proc.stderr.splitlines()
                      if "CONSOLE" in line and ("Uncaught" in line or "Refused" in line)]
    assert not console_errors, console_errors


def test_a_cohort_report_of_the_bundled_documents(tmp_path):
    from remission.report.cohort_report import cohort_report_context, render_cohort_report

    docs = [load_file(p).document for p in example_paths()]
    ctx = cohort_report_context(docs, title="Bundled")
    pooled_cr = next(p for p in ctx["pooled"] if p["label"] == "CR/CRi")
    assert pooled_cr["text"].startswith("17/19")  # 5/5 cases + 12/14 in the blinatumomab series
    assert "seed-004-blina-paediatric (aggregate): 12/14" in pooled_cr["components"]
    assert any(e["case_id"] == "seed-002-cns-sequential-cart" for e in ctx["excluded"])
    html = render_cohort_report(docs, title="Bundled")
    assert "<script" not in html and "Kaplan" in html


def test_an_empty_cohort_report_says_what_cannot_be_estimated():
    from remission.report.cohort_report import cohort_report_context

    ctx = cohort_report_context([], title="Empty")
    assert ctx["not_estimable"]
    assert ctx["km_png"] is None and ctx["swimmer_png"] is None


def test_report_command_needs_a_case_or_cohort(tmp_path):
    exe = str(Path(sys.executable).with_name("remission"))
    proc = subprocess.run([exe, "report", "--db", str(tmp_path / "x.sqlite")], capture_output=True, text=True)
    assert proc.returncode == 1 and "--cohort" in proc.stderr


def test_day_zero_of_the_case_timeline_is_selectable():
    case = load_file(EXAMPLE).document
    assert case_report_context(case, day0="diagnosis")["timeline_anchor"] == "diagnosis"
    assert case_report_context(case, day0="rel1")["timeline_anchor"] == "rel1"
    with pytest.raises(InputError, match="no event 'nope'"):
        case_report_context(case, day0="nope")


def test_the_exported_csv_reproduces_the_cohort_reports_rates(tmp_path):
    import csv as _csv

    from remission.report.cohort_report import cohort_report_context
    from remission.report.tables import write_csv_tables

    cases = [d for d in (load_file(p).document for p in example_paths()) if d.kind == "case"]
    ctx = cohort_report_context(cases)
    write_csv_tables(cases, tmp_path)
    with (tmp_path / "case_summaries.csv").open() as fh:
        rows = list(_csv.DictReader(fh))
    known = [r for r in rows if r["response"]]
    cr = sum(r["response"] in ("CR", "CRi") for r in known)
    crs_known = [r for r in rows if r["crs_max_grade"]]
    crs_any = sum(int(r["crs_max_grade"]) >= 1 for r in crs_known)
    rates = {r["label"]: r for r in ctx["rates"]}
    assert (rates["CR/CRi"]["k"], rates["CR/CRi"]["n"]) == (cr, len(known))
    assert (rates["CRS, any grade"]["k"], rates["CRS, any grade"]["n"]) == (crs_any, len(crs_known))


@pytest.mark.skipif(shutil.which("chromium") is None and not __import__("os").environ.get("CI"),
                    reason="Debian's chromium is installed by `make test`")
def test_the_cohort_report_renders_in_headless_chromium(tmp_path):
    from remission.report.cohort_report import render_cohort_report

    page = tmp_path / "cohort.html"
    page.write_text(render_cohort_report([load_file(p).document for p in example_paths()]), encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,3000",
         f"--screenshot={shot}", "--enable-logging=stderr", "--v=0", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 50_000, proc.stderr[-2000:]
    assert not [line for line in proc.stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line]


def test_without_figures_the_context_holds_the_same_data_and_no_drawing():
    from remission.report.case_report import kinetics_panels

    case = load_file(EXAMPLE).document
    full, bare = case_report_context(case), case_report_context(case, figures=False)
    assert bare["timeline_png"] is None and bare["labs_png"] is None and bare["burden_png"] is None
    assert bare["kinetics"] == []  # the web page asks for kinetics_panels separately
    for key in ("summary_rows", "events", "episodes", "responses", "outcomes"):
        assert bare[key] == full[key], key
    (panel,) = kinetics_panels(case, figures=False)
    assert panel["png"] is None and panel["fit"] is not None and panel["metrics"]
    assert [m["label"] for m in panel["metrics"]] == [m["label"] for m in full["kinetics"][0]["metrics"]]
