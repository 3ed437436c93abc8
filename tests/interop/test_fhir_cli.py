"""`remission import` reads FHIR Bundles beside YAML case files, all or nothing;
`remission export --format fhir` writes one Bundle per case. Real processes, real stores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from remission.casefile import parse_document_text
from remission.examples import example_paths
from remission.interop.fhir import bundle_problems, bundle_to_case

EXE = str(Path(sys.executable).with_name("remission"))
FOREIGN = Path(__file__).parent / "data" / "foreign-ehr-bundle.json"
ANNOTATED = next(p for p in example_paths() if p.name.startswith("synthetic"))
SEED = next(p for p in example_paths() if p.name.startswith("seed-000"))


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"remission {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def test_bundles_and_case_files_import_together_and_export_back(tmp_path):
    store_url = f"sqlite:///{tmp_path / 's.sqlite'}"
    imported = json.loads(
        run("import", str(SEED), str(FOREIGN), "--db", store_url, "--json").stdout
    )
    assert {(o["id"], o["action"]) for o in imported} == {
        ("seed-000-ph-pos-cart", "created"),
        ("pt-4711", "created"),
    }
    # one case to stdout, as a Bundle that validates and reads back to the stored case
    bundle = json.loads(run("export", "pt-4711", "--format", "fhir", "--db", store_url).stdout)
    assert bundle_problems(bundle) == []
    stored = json.loads(run("show", "pt-4711", "--db", store_url, "--json").stdout)["document"]
    assert bundle_to_case(bundle).model_dump(mode="json", exclude_none=True) == stored
    # every case into a folder; importing the folder's Bundles changes nothing
    folder = tmp_path / "fhir"
    run("export", "--format", "fhir", "--out", str(folder), "--db", store_url)
    files = sorted(folder.glob("*.json"))
    assert [f.name for f in files] == ["pt-4711.json", "seed-000-ph-pos-cart.json"]
    again = json.loads(run("import", *map(str, files), "--db", store_url, "--json").stdout)
    assert {o["action"] for o in again} == {"unchanged"}
    # one case into a file; a misspelt format is named
    out = tmp_path / "one.json"
    run("export", "seed-000-ph-pos-cart", "--format", "fhir", "--out", str(out), "--db", store_url)
    assert bundle_to_case(json.loads(out.read_text())) == parse_document_text(SEED.read_text())
    wrong = run("export", "--format", "fihr", "--db", store_url, check=False)
    assert wrong.returncode == 1 and "fhir" in wrong.stderr


def test_one_bad_bundle_stores_nothing_of_the_whole_import(store_url, tmp_path):
    bad = json.loads(FOREIGN.read_text())
    bad["entry"][8]["resource"]["medicationCodeableConcept"] = {"text": "Blinkyto"}
    bad_file = tmp_path / "from-ehr.json"
    bad_file.write_text(json.dumps(bad))
    proc = run("import", str(ANNOTATED), str(bad_file), "--db", store_url, check=False)
    assert proc.returncode == 1
    assert "nothing was stored" in proc.stderr
    assert (
        f"{bad_file}: entry[8] (MedicationAdministration ma-blina).medicationCodeableConcept"
        in proc.stderr
    )
    assert "did you mean 'blinatumomab'" in proc.stderr
    assert json.loads(run("list", "--db", store_url, "--json").stdout) == []


def test_a_case_id_used_by_a_bundle_and_a_case_file_is_refused(tmp_path):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    clash = tmp_path / "clash.yaml"
    clash.write_text("id: pt-4711\n")
    proc = run("import", str(clash), str(FOREIGN), "--db", db, check=False)
    assert proc.returncode == 1 and "case id 'pt-4711' is also used by" in proc.stderr
    assert json.loads(run("list", "--db", db, "--json").stdout) == []


def test_an_earlier_version_exports_as_it_was(tmp_path):
    store_url = f"sqlite:///{tmp_path / 's.sqlite'}"
    run("import", str(SEED), "--db", store_url)
    changed = tmp_path / "changed.yaml"
    text = SEED.read_text(encoding="utf-8")
    assert "age: {value: 28," in text
    changed.write_text(text.replace("age: {value: 28,", "age: {value: 29,"), encoding="utf-8")
    run("import", str(changed), "--db", store_url)

    def exported(*extra: str):
        out = run("export", "seed-000-ph-pos-cart", "--format", "fhir", "--db", store_url, *extra)
        return bundle_to_case(json.loads(out.stdout)).patient.age

    assert exported("--version", "1").value == 28
    assert exported().value == 29
    refused = run("export", "--format", "csv", "--version", "1", "--db", store_url, check=False)
    assert refused.returncode == 1 and "--version needs a case id" in refused.stderr


def test_validate_checks_bundles_beside_case_files_and_stores_nothing(tmp_path):
    checked = json.loads(run("validate", str(SEED), str(FOREIGN), "--json").stdout)
    assert [(c["id"], c["format"], c["valid"]) for c in checked] == [
        ("seed-000-ph-pos-cart", "case file", True),
        ("pt-4711", "FHIR Bundle", True),
    ]
    assert "ok " in run("validate", str(FOREIGN)).stdout
    bad = json.loads(FOREIGN.read_text())
    bad["entry"][8]["resource"]["medicationCodeableConcept"] = {"text": "Blinkyto"}
    bad_file = tmp_path / "from-ehr.json"
    bad_file.write_text(json.dumps(bad))
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    proc = run("validate", str(bad_file), str(broken), check=False)
    assert proc.returncode == 1
    # every problem of every file at once, each located
    assert f"{bad_file}: entry[8] (MedicationAdministration ma-blina)" in proc.stderr
    assert str(broken) in proc.stderr and proc.stdout == ""
    assert not list(tmp_path.glob("*.sqlite"))
