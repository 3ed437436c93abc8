"""``remission kinetics`` through Typer's CliRunner on an app built here."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from remission.cli.kinetics import register

app = typer.Typer()


@app.callback()
def _root() -> None:
    """Test root."""


register(app)
runner = CliRunner()

SPARSE = "day,value\n0,6.153846\n1,14.97210\n3,88.62466\n7,3105.264\n10,21476.73\n" \
         "14,11411.53\n21,3845.047\n28,1373.559\n"


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def sparse(tmp_path):
    f = tmp_path / "sparse.csv"
    f.write_text(SPARSE)
    return f


def test_nca_json(sparse):
    r = invoke("kinetics", "nca", str(sparse), "--json", "--unit", "copies/ug")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert round(d["metrics"]["auc_0_28d"]["value"]) == 172_539
    assert d["method"] == "linup_logdown"
    assert d["metrics"]["tmax"]["value"] == 10
    r2 = invoke("kinetics", "nca", str(sparse), "--json", "--method", "linear",
                "--window", "0-14", "--window", "0-28")
    d2 = json.loads(r2.stdout)
    assert round(d2["metrics"]["auc_0_28d"]["value"]) == 180_815
    assert "auc_0_14d" in d2["metrics"]


def test_nca_human_output_and_plot(sparse, tmp_path):
    png = tmp_path / "fig.png"
    r = invoke("kinetics", "nca", str(sparse), "--plot", str(png))
    assert r.exit_code == 0, r.stderr
    assert "AUC0–28d" in r.stdout and "172,539" in r.stdout
    assert png.exists()


def test_fit_json_with_curve(tmp_path):
    sim = invoke("kinetics", "simulate", "--days", "0,1,2,4,7,9,11,14,17,21,28,42,56,90,180,365",
                 "--sigma", "0.2", "--seed", "3", "--lloq", "5")
    assert sim.exit_code == 0
    f = tmp_path / "sim.csv"
    f.write_text(sim.stdout)
    r = invoke("kinetics", "fit", str(f), "--json", "--curve")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["model"] == "stein2019" and d["converged"]
    assert abs(d["parameters"]["tmax"]["value"] - 9.3) < 1.5
    assert len(d["curve"]["days"]) == 201
    r2 = invoke("kinetics", "fit", str(f), "--fix", "fb=0.0079", "--prior", "stein2019")
    assert r2.exit_code == 0 and "fixed" in r2.stdout and "MAP" in r2.stdout


def test_simulate_exact_json():
    r = invoke("kinetics", "simulate", "--days", "0:28:7", "--json")
    d = json.loads(r.stdout)
    assert d["profile"]["days"] == [0, 7, 14, 21, 28]
    assert round(d["auc_0_28d"]) == 171_774
    r2 = invoke("kinetics", "simulate", "--param", "cmax=100", "--json", "--days", "9.3")
    assert json.loads(r2.stdout)["exact"] == [pytest.approx(100)]


def test_blinatumomab():
    r = invoke("kinetics", "blinatumomab", "--dose", "9:1-7", "--dose", "28:8-28", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert [round(s["css_pg_per_ml"]) for s in d["steps"]] == [169, 526]
    r2 = invoke("kinetics", "blinatumomab", "--regimen", "rr_paediatric_later", "--bsa", "1.0",
                "--json")
    assert round(json.loads(r2.stdout)["steps"][0]["css_pg_per_ml"]) == 414
    r3 = invoke("kinetics", "blinatumomab", "--weight", "70")
    assert "525.5 pg/mL" in r3.stdout


def test_errors_go_to_stderr_with_file_line_column(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("day,value\n0,1\n14,5\n7,-3\n")
    r = invoke("kinetics", "nca", str(f), "--json")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert f"{f}:4: day:" in r.stderr and "increasing order" in r.stderr
    assert f"{f}:4: value:" in r.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("kinetics", "fit", "MISSING.csv"), "file not found"),
        (("kinetics", "fit", "{f}", "--model", "liso"), "unknown model"),
        (("kinetics", "fit", "{f}", "--fix", "gamma=1"), "unknown parameter"),
        (("kinetics", "fit", "{f}", "--sigma", "big"), "--sigma"),
        (("kinetics", "nca", "{f}", "--window", "a-b"), "window"),
        (("kinetics", "simulate", "--days", "1:0:1"), "days"),
        (("kinetics", "blinatumomab"), "give --dose"),
        (("kinetics", "blinatumomab", "--dose", "lots"), "DOSE"),
        (("kinetics", "blinatumomab", "--regimen", "rr_paediatric_later"), "body-surface"),
    ],
)
def test_bad_arguments(sparse, args, needle):
    r = invoke(*(a.replace("{f}", str(sparse)) for a in args))
    assert r.exit_code == 1
    assert needle in r.stderr


def test_fit_too_few_points(tmp_path):
    f = tmp_path / "two.csv"
    f.write_text("day,value\n0,1\n7,100\n")
    r = invoke("kinetics", "fit", str(f))
    assert r.exit_code == 1 and "at least 3 quantified" in r.stderr


def test_all_blq_nca_reports_unavailable(tmp_path):
    f = tmp_path / "blq.csv"
    f.write_text("day,value,lloq\n0,<10,\n7,BLQ,10\n28,ND,10\n")
    r = invoke("kinetics", "nca", str(f), "--json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["metrics"]["cmax"]["value"] is None
    assert "below quantification" in d["unavailable"]["cmax"]
