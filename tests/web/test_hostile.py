"""Hostile input through the API: script in every free-text field, oversized bodies and uploads,
malformed JSON, path tricks in upload names, wrong content types. Each is refused with a clear
message or kept as inert text, and the store is left exactly as it was."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.casefile import document_from_data, parse_document_text
from remission.exceptions import CaseFileError
from remission.store import Store
from remission.web.app import create_app
from remission.web.settings import WebSettings
from remission.web.testing import add_account

from .conftest import PASSWORDS, Web, seed_text

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
YAML = {"content-type": "application/yaml"}


def _snapshot(store: Store) -> dict[str, list[tuple[int, str]]]:
    """Every record's versions with their content hashes: equal before and after = untouched."""
    return {i: [(v.version, v.content_hash) for v in store.history(i)] for i in store.ids()}


def _string_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _string_leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _string_leaves(v, (*path, i))
    elif isinstance(value, str):
        yield path


def _set(document: dict[str, Any], path: tuple[Any, ...], value: str) -> None:
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _free_text_fields(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The string fields that accept any text (the others are ids, dates and vocabulary terms)."""
    accepted = []
    for path in _string_leaves(document):
        if path[-1] == "id" or path == ("id",):
            continue
        trial = copy.deepcopy(document)
        _set(trial, path, PAYLOAD)
        try:
            document_from_data(trial)
        except CaseFileError:
            continue
        accepted.append(path)
    return accepted


def test_script_in_every_free_text_field_is_stored_as_text_and_escaped(web: Web) -> None:
    editor = web.client("editor")
    base = parse_document_text(seed_text("synthetic-annotated")).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    fields = _free_text_fields(base)
    assert len(fields) >= 3, fields
    hostile = copy.deepcopy(base)
    for path in fields:
        _set(hostile, path, PAYLOAD)
    response = editor.post("/api/cases", json=hostile)
    assert response.status_code == 201, response.text
    stored = web.store.get(hostile["id"]).document
    # stored as the model reads it (a few fields normalise their text), never altered further
    assert stored == document_from_data(hostile).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    verbatim = 0
    for path in fields:
        value: Any = stored
        for key in path:
            value = value[key]
        verbatim += value == PAYLOAD
    assert verbatim >= 3
    shown = editor.get(f"/api/cases/{hostile['id']}")
    assert shown.headers["content-type"] == "application/json"
    report = editor.get(f"/api/cases/{hostile['id']}/report.html").text
    assert "<script>alert" not in report and "<img src=x onerror" not in report
    assert "&lt;script&gt;" in report


def test_an_error_page_shows_hostile_paths_as_text(web: Web) -> None:
    page = web.client("viewer").get("/no-such-page-<script>alert(1)</script>")
    assert page.status_code == 404
    assert "<script>alert(1)" not in page.text


def test_malformed_json_is_refused_with_its_line_and_nothing_is_stored(web: Web) -> None:
    editor = web.client("editor")
    editor.post("/api/cases", content=seed_text("seed-001"), headers=YAML)
    before = _snapshot(web.store)
    broken = editor.post(
        "/api/cases",
        content='{\n  "id": "x",\n  "kind": "case",\n',
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 422
    problem = broken.json()["problems"][0]
    assert problem["line"] == 4 and "not valid JSON" in problem["message"]
    users = editor.post(
        "/api/auth/login", content='{"username": ', headers={"content-type": "application/json"}
    )
    assert users.status_code == 422
    assert users.json()["problems"][0]["where"] == "body"
    assert _snapshot(web.store) == before


WRONG_TYPES = [
    ("/api/cases", "text/plain"),
    ("/api/cases", "application/xml"),
    ("/api/cases", "multipart/form-data; boundary=x"),
    ("/api/validate", "text/html"),
    ("/api/grade", "text/plain"),
    ("/api/import", "application/json"),
]


def test_a_body_of_the_wrong_type_is_refused_with_415(web: Web) -> None:
    editor = web.client("editor")
    before = _snapshot(web.store)
    for route, content_type in WRONG_TYPES:
        response = editor.post(
            route, content=seed_text("seed-001"), headers={"content-type": content_type}
        )
        assert response.status_code == 415, (route, content_type, response.text)
        assert response.json()["detail"]
    assert _snapshot(web.store) == before


def test_an_uploaded_file_that_is_not_yaml_is_refused(web: Web) -> None:
    editor = web.client("editor")
    response = editor.post(
        "/api/import", files=[("files", ("case.yaml", b"\x89PNG\r\n\x1a\n", "image/png"))]
    )
    assert response.status_code == 415 and "case.yaml" in response.json()["detail"]
    assert web.store.count() == 0


TRICKY_NAMES = [
    "../escape.yaml",
    "..\\escape.yaml",
    "/etc/escape.yaml",
    "sub/escape.yaml",
    ".hidden.yaml",
    "escape.yaml.exe",
    "escape<script>.yaml",
    "",
]


def test_path_tricks_in_upload_names_are_refused(web: Web) -> None:
    editor = web.client("editor")
    for name in TRICKY_NAMES:
        response = editor.post(
            "/api/import",
            files=[("files", (name, seed_text("seed-001").encode(), "application/yaml"))],
        )
        assert response.status_code == 422, (name, response.text)
        assert response.json()["problems"], name
    assert web.store.count() == 0
    assert not list(Path("/tmp").glob("escape*")) and not list(Path("/etc").glob("escape*"))


def test_a_windows_path_in_an_upload_name_is_reduced_to_its_file_name(web: Web) -> None:
    # the multipart parser keeps only the part after the last backslash of "C:\\..." names
    response = web.client("editor").post(
        "/api/import",
        files=[("files", ("C:\\escape.yaml", seed_text("seed-001").encode(), "text/yaml"))],
    )
    assert response.status_code == 200
    assert response.json()["outcomes"][0]["file"] == "escape.yaml"


@pytest.fixture
def small_limits(accounts_url: str) -> Iterator[tuple[TestClient, Store]]:
    app = create_app(
        WebSettings(db_url=accounts_url, max_file_bytes=20_000, max_request_bytes=60_000)
    )
    with TestClient(app) as client, Store(accounts_url) as store:
        login = client.post(
            "/api/auth/login", json={"username": "editor", "password": PASSWORDS["editor"]}
        )
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield client, store


def test_oversized_uploads_and_bodies_are_refused_with_413(
    small_limits: tuple[TestClient, Store],
) -> None:
    client, store = small_limits
    padded = seed_text("seed-001") + "#" + "x" * 25_000 + "\n"
    upload = client.post(
        "/api/import", files=[("files", ("big.yaml", padded.encode(), "text/yaml"))]
    )
    assert upload.status_code == 413 and "big.yaml" in upload.json()["detail"]
    body = client.post("/api/cases", content=padded, headers=YAML)
    assert body.status_code == 413
    huge = client.post("/api/cases", content="#" + "y" * 70_000, headers=YAML)
    assert huge.status_code == 413 and "MB" in huge.json()["detail"]
    assert store.count() == 0


class _SignedIn:
    def __init__(self, editor: TestClient) -> None:
        self.editor = editor


@pytest.fixture(scope="module")
def web_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_SignedIn]:
    """One app on one SQLite store for every example of a hypothesis test."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'store.sqlite'}"
    add_account(url, "editor", PASSWORDS["editor"], role="editor")
    with TestClient(create_app(WebSettings(db_url=url))) as client:
        login = client.post(
            "/api/auth/login", json={"username": "editor", "password": PASSWORDS["editor"]}
        )
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        yield _SignedIn(client)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(note=st.text(min_size=1, max_size=300).filter(lambda s: s.strip() and "\x00" not in s))
def test_any_text_in_a_note_comes_back_as_written(web_sqlite: _SignedIn, note: str) -> None:
    editor = web_sqlite.editor
    document = parse_document_text(seed_text("synthetic-annotated")).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    document["source"]["note"] = note
    checked = editor.post("/api/validate", json=document).json()
    if not checked["valid"]:  # text the model itself refuses (e.g. control characters)
        return
    current = editor.get(f"/api/cases/{document['id']}")
    if current.status_code == 404:
        saved = editor.post("/api/cases", json=document)
    else:
        version = current.json()["current_version"]
        saved = editor.put(f"/api/cases/{document['id']}?expected_version={version}", json=document)
    assert saved.status_code in (200, 201), saved.text
    expected = document_from_data(document).model_dump(mode="json", by_alias=True)
    stored = editor.get(f"/api/cases/{document['id']}").json()["document"]
    assert stored["source"]["note"] == expected["source"]["note"]  # as the model reads it
    assert note.strip() in stored["source"]["note"] or not note.strip()
