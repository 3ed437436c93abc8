"""The JSON API does what the command line does, with the same messages: create, read, list and
filter, edit with a version check, history and diffs, validation, grading, derived values,
kinetics, reports, tables and imports; every change is a version by the signed-in user."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from remission.casefile import parse_document_text
from remission.cli.grade import grade_json
from remission.examples import example_paths
from remission.exceptions import CaseFileError
from remission.store import Store
from remission.web.app import create_app
from remission.web.settings import WebSettings
from remission.web.testing import LiveServer, signed_in_client

from .conftest import PASSWORDS, Web, seed_text

YAML = {"content-type": "application/yaml"}


def _create(client, text: str) -> dict:
    response = client.post("/api/cases", content=text, headers=YAML)
    assert response.status_code == 201, response.text
    return response.json()


def _edited(text: str, **patient: object) -> str:
    data = yaml.safe_load(text)
    data.setdefault("patient", {}).update(patient)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def test_a_case_created_as_yaml_is_stored_with_the_user_as_author(web: Web) -> None:
    editor = web.client("editor")
    saved = _create(editor, seed_text("seed-001"))
    assert saved["version"] == 1 and saved["action"] == "created"
    case = editor.get(f"/api/cases/{saved['id']}").json()
    assert case["author"] == "editor" and case["current_version"] == 1
    assert case["summary"]["cns_involvement"] is True
    assert web.store.history(saved["id"])[0].author == "editor"


def test_a_case_created_as_json_is_the_same_document(web: Web) -> None:
    editor = web.client("editor")
    document = parse_document_text(seed_text("seed-000")).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    response = editor.post("/api/cases", json=document)
    assert response.status_code == 201, response.text
    assert web.store.get(document["id"]).document == document


def test_creating_an_id_that_exists_is_refused_not_overwritten(web: Web) -> None:
    editor = web.client("editor")
    saved = _create(editor, seed_text("seed-001"))
    again = editor.post(
        "/api/cases", content=_edited(seed_text("seed-001"), sex="female"), headers=YAML
    )
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]
    assert len(web.store.history(saved["id"])) == 1


def test_two_users_editing_one_case_the_second_save_is_refused(web: Web) -> None:
    first, second = web.client("editor"), web.client("admin")
    case_id = _create(first, seed_text("seed-001"))["id"]
    start = first.get(f"/api/cases/{case_id}").json()["current_version"]
    text = seed_text("seed-001")

    ok = first.put(
        f"/api/cases/{case_id}?expected_version={start}&reason=age+corrected",
        content=_edited(text, sex="female"),
        headers=YAML,
    )
    assert ok.status_code == 200 and ok.json() == {"id": case_id, "version": 2, "action": "updated"}

    late = second.put(
        f"/api/cases/{case_id}",
        content=_edited(text, sex="male"),
        headers={**YAML, "If-Match": str(start)},
    )
    assert late.status_code == 409
    detail = late.json()["detail"]
    assert "saved by someone else" in detail and "nothing was overwritten" in detail
    history = web.store.history(case_id)
    assert [(v.version, v.author, v.reason) for v in history] == [
        (1, "editor", "entered in the web app"),
        (2, "editor", "age corrected"),
    ]
    assert web.store.get(case_id).document["patient"]["sex"] == "female"


def test_an_edit_must_say_which_version_it_started_from(web: Web) -> None:
    editor = web.client("editor")
    case_id = _create(editor, seed_text("seed-001"))["id"]
    response = editor.put(f"/api/cases/{case_id}", content=seed_text("seed-001"), headers=YAML)
    assert response.status_code == 428
    assert "expected_version" in response.json()["detail"]


def test_an_edit_cannot_change_the_id(web: Web) -> None:
    editor = web.client("editor")
    case_id = _create(editor, seed_text("seed-001"))["id"]
    other = seed_text("seed-000")
    response = editor.put(f"/api/cases/{case_id}?expected_version=1", content=other, headers=YAML)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "id"
    assert len(web.store.history(case_id)) == 1


def test_saving_an_identical_case_makes_no_version(web: Web) -> None:
    editor = web.client("editor")
    case_id = _create(editor, seed_text("seed-001"))["id"]
    same = editor.put(
        f"/api/cases/{case_id}?expected_version=1", content=seed_text("seed-001"), headers=YAML
    )
    assert same.json()["action"] == "unchanged"
    assert len(web.store.history(case_id)) == 1


def test_history_versions_and_diffs(web: Web) -> None:
    editor = web.client("editor")
    case_id = _create(editor, seed_text("seed-000"))["id"]
    editor.put(
        f"/api/cases/{case_id}?expected_version=1",
        content=_edited(seed_text("seed-000"), sex="female"),
        headers=YAML,
    )
    history = editor.get(f"/api/cases/{case_id}/history").json()
    assert [v["version"] for v in history] == [1, 2]
    assert editor.get(f"/api/cases/{case_id}/versions/1").json()["version"] == 1
    diff = editor.get(f"/api/cases/{case_id}/diff?from_version=1").json()
    assert diff["to_version"] == 2
    assert {
        "path": "patient.sex",
        "change": "changed",
        "before": "male",
        "after": "female",
    } in diff["changes"]
    assert "-  sex: male" in diff["unified"] and "+  sex: female" in diff["unified"]
    missing = editor.get(f"/api/cases/{case_id}/versions/7")
    assert missing.status_code == 404 and "versions 1 to 2" in missing.json()["detail"]


def test_validation_gives_the_command_line_messages(web: Web, tmp_path: Path) -> None:
    text = seed_text("seed-000").replace("sex: male", "sex: mail")
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseFileError) as cli:
        parse_document_text(text, "<request body>")
    response = web.client("viewer").post("/api/validate", content=text, headers=YAML)
    assert response.status_code == 200
    result = response.json()
    assert result["valid"] is False
    assert [p["text"] for p in result["problems"]] == [str(p) for p in cli.value.problems]
    assert result["problems"][0]["line"] is not None
    good = web.client("viewer").post("/api/validate", content=seed_text("seed-001"), headers=YAML)
    assert good.json()["valid"] is True and good.json()["summary"]["cns_involvement"] is True


def test_the_list_filters_by_summary_fields(web: Web) -> None:
    editor = web.client("editor")
    for path in example_paths():
        _create(editor, Path(path).read_text(encoding="utf-8"))
    everything = editor.get("/api/cases").json()
    assert everything["total"] == len(list(example_paths()))
    cns = editor.get("/api/cases?cns_involvement=true&kind=case").json()
    assert cns["total"] >= 2
    assert all(row["summary"]["cns_involvement"] is True for row in cns["items"])
    ph = editor.get("/api/cases?ph_positive=true").json()
    assert [r["id"] for r in ph["items"]] == ["seed-000-ph-pos-cart"]
    text = editor.get("/api/cases?q=ponatinib").json()
    assert {r["id"] for r in text["items"]} <= {r["id"] for r in everything["items"]}
    page = editor.get("/api/cases?limit=2&offset=1").json()
    assert page["total"] == everything["total"] and len(page["items"]) == 2
    bad = editor.get("/api/cases?crs_min_grade=9")
    assert bad.status_code == 422 and "crs_min_grade" in bad.json()["problems"][0]["field"]
    unknown = editor.get("/api/cases?colour=red")
    assert unknown.status_code == 422


def test_grading_matches_the_command_line(web: Web) -> None:
    assessments = [
        {"syndrome": "crs", "temperature_c": 39.2, "vasopressors": ["norepinephrine"]},
        {"syndrome": "icans", "age_years": 34, "ice_score": 6},
    ]
    response = web.client("viewer").post("/api/grade", json=assessments)
    assert response.status_code == 200
    expected = [r.model_dump(mode="json") for r in grade_json(json.dumps(assessments))]
    assert response.json() == expected
    bad = web.client("viewer").post("/api/grade", json=[{"syndrome": "crs", "oxygen": "lots"}])
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["text"].startswith("<request body>")


def test_derived_values_kinetics_and_summary_of_a_stored_case(web: Web) -> None:
    editor = web.client("editor")
    case_id = _create(editor, seed_text("synthetic-annotated"))["id"]
    derived = editor.get(f"/api/cases/{case_id}/derived").json()
    assert derived["episodes"] and derived["responses"]
    assert {"overall_survival", "event_free_survival", "duration_of_response"} <= set(
        derived["outcomes"]
    )
    grades = editor.get(f"/api/cases/{case_id}/grades").json()
    assert grades["episodes"]
    kinetics = editor.get(f"/api/cases/{case_id}/kinetics?curve=true").json()
    assert kinetics["series"] and kinetics["series"][0]["nca"] is not None
    summary = editor.get(f"/api/cases/{case_id}/summary").json()
    assert summary == web.store.get(case_id).summary


def test_reports_and_tables_are_downloads(web: Web) -> None:
    editor = web.client("editor")
    for name in ("seed-001", "seed-002", "synthetic-annotated"):
        _create(editor, seed_text(name))
    case = editor.get("/api/cases/seed-001-cns-cart/report.html")
    assert case.status_code == 200
    assert case.headers["content-disposition"] == 'attachment; filename="seed-001-cns-cart.html"'
    assert "<html" in case.text
    cohort = editor.get("/api/cohort/report.html?kind=case")
    assert cohort.status_code == 200 and "attachment" in cohort.headers["content-disposition"]
    xlsx = editor.get("/api/tables.xlsx")
    assert xlsx.content[:2] == b"PK"
    archive = zipfile.ZipFile(io.BytesIO(editor.get("/api/tables.zip").content))
    assert set(archive.namelist()) == {
        "case_summaries.csv",
        "observations.csv",
        "data_dictionary.csv",
    }
    rows = archive.read("case_summaries.csv").decode().splitlines()
    assert len(rows) == 1 + 3
    exported = editor.get("/api/cases/seed-001-cns-cart/export.yaml")
    assert parse_document_text(exported.text).id == "seed-001-cns-cart"
    analysis = editor.get("/api/cohort?cns_involvement=true").json()
    assert analysis["cohort"]["n_patients"] >= 1 and "table1" in analysis


def test_an_import_is_all_or_nothing(web: Web) -> None:
    editor = web.client("editor")
    good = ("good.yaml", seed_text("seed-001").encode(), "application/yaml")
    broken = ("broken.yaml", b"id: x\npatient: [\n", "application/yaml")
    refused = editor.post("/api/import", files=[("files", good), ("files", broken)])
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["where"] == "broken.yaml"
    assert web.store.count() == 0
    second = ("second.yaml", seed_text("seed-002").encode(), "application/octet-stream")
    done = editor.post(
        "/api/import", files=[("files", good), ("files", second)], data={"reason": "batch 1"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["created"] == 2
    assert {o["file"] for o in done.json()["outcomes"]} == {"good.yaml", "second.yaml"}
    assert web.store.get("seed-001-cns-cart").reason == "batch 1"
    assert web.store.get("seed-001-cns-cart").author == "editor"


def test_two_files_with_one_id_are_refused_with_both_names(web: Web) -> None:
    editor = web.client("editor")
    one = ("one.yaml", seed_text("seed-001").encode(), "text/yaml")
    two = ("two.yaml", seed_text("seed-001").encode(), "text/yaml")
    response = editor.post("/api/import", files=[("files", one), ("files", two)])
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert problem["where"] == "two.yaml" and "one.yaml" in problem["message"]
    assert web.store.count() == 0


def test_a_deidentified_copy_needs_the_servers_key(web: Web, accounts_url: str) -> None:
    editor = web.client("editor")
    case_id = _create(editor, seed_text("synthetic-annotated"))["id"]
    refused = editor.get(f"/api/cases/{case_id}/export.yaml?deidentify=true")
    assert refused.status_code == 422 and "REMISSION_DEID_KEY" in refused.json()["detail"] + str(
        refused.json()["problems"]
    )
    keyed = create_app(WebSettings(db_url=accounts_url, deid_key="k" * 32))
    with TestClient(keyed) as client:
        client.cookies.set("remission_session", editor.cookies.get("remission_session"))
        shared = client.get(f"/api/cases/{case_id}/export.yaml?deidentify=true")
    assert shared.status_code == 200, shared.text
    copy = parse_document_text(shared.text)
    assert copy.id != case_id and case_id not in shared.text
    assert shared.headers["content-disposition"] == 'attachment; filename="deidentified-case.yaml"'


def test_every_export_format_downloads_for_a_filter_and_de_identified(
    web: Web, accounts_url: str
) -> None:
    editor = web.client("editor")
    for name in ("seed-001", "synthetic-annotated"):
        _create(editor, seed_text(name))

    def names(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text
        return set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())

    assert "data_clinical_patient.txt" in names(editor.get("/api/export/cbioportal.zip"))
    assert {"registry.csv", "registry_dictionary.csv", "registry_missing.csv"} == names(
        editor.get("/api/export/registry.zip")
    )
    assert names(editor.get("/api/export/fhir.zip?q=seed-001")) == {
        "seed-001-cns-cart.json"
    }
    assert "case_summaries.csv" in names(editor.get("/api/export/csv.zip"))
    assert editor.get("/api/export/pdf.zip").status_code == 422
    refused = editor.get("/api/export-deidentified/fhir.zip")
    assert refused.status_code == 422 and "REMISSION_DEID_KEY" in refused.text
    keyed = create_app(WebSettings(db_url=accounts_url, deid_key="k" * 32))
    with TestClient(keyed) as client:
        client.cookies.set("remission_session", editor.cookies.get("remission_session"))
        shared = client.get("/api/export-deidentified/fhir.zip")
    archive = zipfile.ZipFile(io.BytesIO(shared.content))
    assert len(archive.namelist()) == 2
    for name in archive.namelist():
        text = archive.read(name).decode()
        assert "seed-001-cns-cart" not in text and "synthetic-annotated" not in text


def test_simultaneous_edits_of_one_version_save_exactly_one(live: LiveServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with signed_in_client(live.url, "editor", PASSWORDS["editor"]) as client:
        case_id = _create(client, seed_text("seed-000"))["id"]
        token = client.headers["X-CSRF-Token"]
        cookies = dict(client.cookies)
    ages = [30 + n for n in range(6)]

    def edit(age: int) -> int:
        data = yaml.safe_load(seed_text("seed-000"))
        data["patient"]["age"]["value"] = age
        with httpx.Client(base_url=live.url, cookies=cookies, timeout=60) as c:
            response = c.put(
                f"/api/cases/{case_id}?expected_version=1&reason=age+{age}",
                content=yaml.safe_dump(data),
                headers={**YAML, "X-CSRF-Token": token},
            )
        return response.status_code

    with ThreadPoolExecutor(max_workers=len(ages)) as pool:
        codes = list(pool.map(edit, ages))
    assert sorted(codes) == [200] + [409] * (len(ages) - 1)
    with Store(live.settings.db_url or "") as store:
        history = store.history(case_id)
        assert [v.version for v in history] == [1, 2]
        saved_age = store.get(case_id).document["patient"]["age"]["value"]
        assert history[1].reason == f"age {saved_age:g}"
