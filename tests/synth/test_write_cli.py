"""Writing cohorts: byte-identical for a seed, and the `synth` command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from remission.casefile import load_file
from remission.cli import cases as cases_cli
from remission.cli import synth as synth_cli
from remission.synth import DEFAULT_PARAMS, generate_cohort, write_cohort


def _app() -> typer.Typer:
    app = typer.Typer()
    cases_cli.register(app)
    synth_cli.register(app)
    return app


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.yaml"))}


def test_files_are_identical_for_a_seed_whatever_the_processes(tmp_path):
    calls: list[tuple[int, int]] = []
    one = write_cohort(
        tmp_path / "one", 120, seed=9, processes=1, progress=lambda d, t: calls.append((d, t))
    )
    two = write_cohort(tmp_path / "two", 120, seed=9, processes=2)
    assert two.processes == 2 and one.processes == 1
    a, b = _contents(tmp_path / "one"), _contents(tmp_path / "two")
    assert len(a) == 120 and a == b
    assert calls[-1] == (120, 120) and len(calls) > 1
    assert one.bytes == sum(len(v) for v in a.values())
    assert sum(one.arms.values()) == 120
    # every file loads back to the generated case
    for case in generate_cohort(15, seed=9):
        loaded = load_file(tmp_path / "one" / f"{case.id}.yaml").document
        assert loaded == case


def test_synth_command_writes_files_that_validate(tmp_path):
    runner = CliRunner()
    app = _app()
    out = tmp_path / "cohort"
    result = runner.invoke(app, ["synth", "--n", "25", "--seed", "4", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["files"] == 25 and report["seed"] == 4 and report["therapy"] == "mixed"
    files = sorted(out.glob("*.yaml"))
    assert [f.name for f in files] == [f"synth-{i:06d}.yaml" for i in range(1, 26)]
    checked = runner.invoke(app, ["validate", *map(str, files), "--json"])
    assert checked.exit_code == 0, checked.output
    assert all(row["valid"] for row in json.loads(checked.stdout))
    # the same seed writes the same bytes again
    before = _contents(out)
    again = runner.invoke(app, ["synth", "--n", "25", "--seed", "4", "--out", str(out)])
    assert again.exit_code == 0 and "wrote 25 case files" in again.stdout
    assert _contents(out) == before


def test_synth_command_therapy_and_bad_input(tmp_path):
    runner = CliRunner()
    app = _app()
    out = tmp_path / "car"
    ok = runner.invoke(app, ["synth", "--n", "8", "--therapy", "car_t", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert all(load_file(p).document.index == ("car1",) for p in out.glob("*.yaml"))
    bad = runner.invoke(app, ["synth", "--n", "3", "--therapy", "chemo", "--out", str(out)])
    assert bad.exit_code == 1 and "--therapy must be one of" in bad.output
    afile = tmp_path / "a-file"
    afile.write_text("x")
    bad = runner.invoke(app, ["synth", "--n", "3", "--out", str(afile)])
    assert bad.exit_code == 1 and "is a file" in bad.output
    assert DEFAULT_PARAMS.therapy == "mixed"
