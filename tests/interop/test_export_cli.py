"""`remission export --deidentify` in every format, and the new formats, as a user runs them
(the real command code over a real SQLite store)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from remission import api
from remission.casefile import dump_document, parse_document_text
from remission.cli.cases import register
from remission.examples import example_paths
from remission.interop.cbioportal import read_clinical
from remission.interop.deidentify import KEY_ENV, pseudonym
from remission.store import Store

from .seeded import IDENTIFIERS, seeded_case

KEY = "a-cli-test-key-long-enough-1234"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _main() -> None:
        """remission (test app)."""

    register(app)
    return app


APP = _app()


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(APP, list(args), env={KEY_ENV: "", **(env or {})})


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    seeded = tmp_path / "seeded.yaml"
    seeded.write_text(dump_document(seeded_case()), encoding="utf-8")
    with Store(url) as store:
        api.import_files(store, [seeded, *example_paths()], author="tester")
    return url


def _bytes(path: Path) -> bytes:
    if path.is_dir():
        return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return b"".join(z.read(n) for n in z.namelist())
    return path.read_bytes()


def _leaks(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace").lower()
    return [i for i in IDENTIFIERS if i.lower() in text]


def _formats() -> list[str]:
    help_text = run("export", "--help").output
    return [f for f in ("yaml", "csv", "xlsx", "cbioportal", "registry", "fhir") if f in help_text]


def test_every_format_deidentified_leaves_no_identifier(db, tmp_path):
    seeded_id = seeded_case().id
    formats = _formats()
    assert {"yaml", "csv", "xlsx", "cbioportal", "registry"} <= set(formats)
    for fmt in formats:
        target = tmp_path / f"out-{fmt}{'.xlsx' if fmt == 'xlsx' else ''}"
        args = ["export", "--db", db, "--format", fmt, "--out", str(target), "--deidentify"]
        if fmt in ("yaml", "fhir"):
            args.insert(1, seeded_id)
        result = run(*args, env={KEY_ENV: KEY})
        assert result.exit_code == 0, (fmt, result.output)
        data = _bytes(target)
        assert data, fmt
        assert _leaks(data) == [], fmt
        assert pseudonym(seeded_id, KEY).encode() in data, fmt
    # the same export without --deidentify does carry them: the check above can fail
    plain = tmp_path / "plain"
    assert run("export", "--db", db, "--format", "registry", "--out", str(plain)).exit_code == 0
    assert "Vandermeer".lower() in _bytes(plain).decode().lower()


def test_key_from_the_command_line_and_the_environment_give_the_same_pseudonyms(db, tmp_path):
    a = run("export", seeded_case().id, "--db", db, "--deidentify", "--key", KEY)
    b = run("export", seeded_case().id, "--db", db, "--deidentify", env={KEY_ENV: KEY})
    assert a.exit_code == 0 and a.stdout == b.stdout
    doc = parse_document_text(a.stdout, "out.yaml")
    assert doc.id == pseudonym(seeded_case().id, KEY)


def test_deidentify_without_a_key_is_refused(db, tmp_path):
    result = run(
        "export", "--db", db, "--format", "csv", "--out", str(tmp_path / "o"), "--deidentify"
    )
    assert result.exit_code == 1
    assert "needs a key" in result.output and KEY_ENV in result.output
    assert not (tmp_path / "o").exists()


def test_a_short_key_is_refused(db, tmp_path):
    result = run(
        "export", "--db", db, "--format", "registry", "--out", str(tmp_path / "o"),
        "--deidentify", "--key", "tooshort",
    )  # fmt: skip
    assert result.exit_code == 1 and "at least 16" in result.output
    assert not (tmp_path / "o").exists()


def test_scrub_text_needs_deidentify(db):
    result = run("export", "--db", db, "--format", "csv", "--scrub-text")
    assert result.exit_code == 1 and "only with --deidentify" in result.output


def test_a_cohort_aggregate_cannot_be_deidentified_as_yaml(db):
    result = run("export", "seed-004-blina-paediatric", "--db", db, "--deidentify", "--key", KEY)
    assert result.exit_code == 1 and "cohort aggregate" in result.output


def test_cbioportal_and_registry_formats(db, tmp_path):
    study = tmp_path / "study"
    result = run(
        "export",
        "--db",
        db,
        "--format",
        "cbioportal",
        "--out",
        str(study),
        "--study-id",
        "my_centre",
    )
    assert result.exit_code == 0, result.output
    assert "skipped_events.tsv" in result.output
    _, patients = read_clinical(study / "data_clinical_patient.txt")
    assert "seed-000-ph-pos-cart" in {p["PATIENT_ID"] for p in patients}
    assert "cancer_study_identifier: my_centre" in (study / "meta_study.txt").read_text()
    # the folder now holds files: a second export is refused unless --overwrite
    again = run("export", "--db", db, "--format", "cbioportal", "--out", str(study))
    assert again.exit_code == 1 and "not empty" in again.output
    assert (
        run(
            "export", "--db", db, "--format", "cbioportal", "--out", str(study), "--overwrite"
        ).exit_code
        == 0
    )
    bad = run(
        "export",
        "--db",
        db,
        "--format",
        "cbioportal",
        "--out",
        str(tmp_path / "x"),
        "--anchor",
        "relapse",
    )
    assert bad.exit_code == 1 and "--anchor" in bad.output

    reg = tmp_path / "reg"
    assert run("export", "--db", db, "--format", "registry", "--out", str(reg)).exit_code == 0
    assert sorted(p.name for p in reg.iterdir()) == [
        "registry.csv",
        "registry_dictionary.csv",
        "registry_missing.csv",
    ]


def test_an_unknown_format_is_refused(db):
    result = run("export", "--db", db, "--format", "omop")
    assert result.exit_code == 1 and "--format must be" in result.output
