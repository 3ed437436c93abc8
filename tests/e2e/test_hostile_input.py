"""Hostile input to every form of the pages, over HTTP against the running app: script in text
fields is stored as text and shown escaped; oversized uploads, path tricks in file names, wrong
content types and nonsense numbers are refused with a clear message, and the store is left
exactly as it was. Pages are unreachable without signing in; viewers cannot change anything.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from remission.web.testing import signed_in_client

from .conftest import PASSWORDS, Site

SCRIPT = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'

GOOD_CASE = """\
schema_version: 1
kind: case
id: {case_id}
patient: {{sex: female, age: {{value: 40, unit: years, at: diagnosis}}}}
diagnosis: {{disease: B-ALL, date: 2019-05}}
timeline:
  - {{id: car1, type: car_t_infusion, date: 2020-01-10, product: tisagenlecleucel}}
"""


@pytest.fixture
def editor(site: Site) -> Iterator[httpx.Client]:
    with signed_in_client(site.url, "editor", PASSWORDS["editor"]) as client:
        yield client


def _snapshot(site: Site) -> list[tuple[str, int]]:
    with site.store() as store:
        return [(row.id, row.version) for row in store.list()]


def test_pages_need_a_signed_in_user(site: Site) -> None:
    with httpx.Client(base_url=site.url) as anonymous:
        for path in (
            "/",
            "/cases",
            "/cases/synthetic-annotated-001",
            "/cases/synthetic-annotated-001/figures/timeline.png",
            "/cases/new",
            "/cases/synthetic-annotated-001/assess",
            "/cohort",
            "/cohort/tables.xlsx",
            "/import",
            "/extract",
            "/admin/users",
        ):
            response = anonymous.get(path)
            assert response.status_code in (303, 401), path
            if response.status_code == 303:
                assert response.headers["location"].startswith("/login")


def test_a_viewer_cannot_change_a_case(site: Site) -> None:
    before = _snapshot(site)
    with signed_in_client(site.url, "viewer", PASSWORDS["viewer"]) as viewer:
        for path in ("/cases/new", "/cases/synthetic-annotated-001/edit", "/import", "/extract"):
            assert viewer.get(path).status_code == 403, path
        refused = viewer.post(
            "/cases/synthetic-annotated-001/assess",
            data={
                "assess_crs": "on",
                "temperature_c": "39",
                "at": "car1+1d",
                "expected_version": "1",
            },
        )
        assert refused.status_code == 403
    assert _snapshot(site) == before


def test_script_in_every_text_field_is_kept_as_text_and_escaped(
    site: Site, editor: httpx.Client
) -> None:
    case_id = f"hostile-fields-{site.backend}"
    text = GOOD_CASE.format(case_id=case_id).replace(
        "diagnosis: {", f"notes: '{SCRIPT}'\ndiagnosis: {{subtype: '{SCRIPT}', "
    )
    saved = editor.post("/cases/new", data={"yaml": text, "reason": SCRIPT})
    assert saved.status_code == 303
    assessed = editor.post(
        f"/cases/{case_id}/assess",
        data={
            "assess_crs": "on",
            "temperature_c": "38.5",
            "at": "car1+1d",
            "note": SCRIPT,
            "expected_version": "1",
        },
    )
    assert assessed.status_code == 303
    with site.store() as store:
        record = store.get(case_id)
    assert record.document["notes"] == SCRIPT  # stored exactly as typed
    assert record.document["assessments"][0]["note"] == SCRIPT
    for path in (f"/cases/{case_id}", f"/cases?q={SCRIPT}", f"/cases/{case_id}/edit"):
        page = editor.get(path).text
        assert SCRIPT not in page, path
        assert "<script>alert" not in page and "onerror=alert" not in page.replace(
            html.escape("onerror=alert"), ""
        )
    assert str(escape(SCRIPT)) in editor.get(f"/cases/{case_id}").text  # shown, as text


def test_an_unknown_case_is_a_clear_404(editor: httpx.Client) -> None:
    response = editor.get("/cases/no-such-case-at-all")
    assert response.status_code == 404
    assert str(escape("no record with id 'no-such-case-at-all'")) in response.text


@pytest.mark.parametrize(
    ("name", "content_type", "status", "words"),
    [
        ("../escape.yaml", "application/x-yaml", 422, "folder or '..'"),
        ("..\\escape.yaml", "application/x-yaml", 422, "folder or '..'"),
        ("/etc/cron.d/x.yaml", "application/x-yaml", 422, "folder or '..'"),
        ("case.exe", "application/x-yaml", 422, "ending in .yaml"),
        ("case.yaml", "image/png", 415, "YAML text, not 'image/png'"),
        ("case.yaml", "application/pdf", 415, "not 'application/pdf'"),
    ],
)
def test_uploads_with_path_tricks_or_wrong_types_are_refused(
    site: Site, editor: httpx.Client, name: str, content_type: str, status: int, words: str
) -> None:
    before = _snapshot(site)
    body = GOOD_CASE.format(case_id=f"upload-trick-{site.backend}").encode()
    response = editor.post("/import", files=[("files", (name, body, content_type))])
    assert response.status_code == status
    assert str(escape(words)) in response.text and "Nothing was stored." in response.text
    assert _snapshot(site) == before


def test_an_oversized_upload_is_refused_and_nothing_is_stored(
    site: Site, editor: httpx.Client
) -> None:
    before = _snapshot(site)
    good = GOOD_CASE.format(case_id=f"upload-good-{site.backend}").encode()
    huge = b"# padding\n" * 600_000  # 6 MB, over the 5 MB limit
    response = editor.post(
        "/import",
        files=[
            ("files", ("good.yaml", good, "application/x-yaml")),
            ("files", ("huge.yaml", huge, "application/x-yaml")),
        ],
    )
    assert response.status_code == 413
    assert "huge.yaml: the file is larger than 5 MB" in response.text
    assert _snapshot(site) == before


def test_nonsense_in_the_assessment_form_is_refused_in_words(
    site: Site, editor: httpx.Client
) -> None:
    before = _snapshot(site)
    for field, value, words in (
        ("temperature_c", "hot", "'hot' is not a number"),
        ("temperature_c", "102", "looks like deg F"),
        ("ice_score", "11", "ICANS ice_score"),
        ("flow_l_min", "-3", "CRS oxygen.flow_l_min"),
    ):
        data = {"assess_crs": "on", "assess_icans": "on", "age_years": "30", "at": "car1+2d"}
        data["temperature_c"] = "38.6"
        data["oxygen_device"] = "nasal_cannula"
        data[field] = value
        data["expected_version"] = "1"
        response = editor.post("/cases/seed-001-cns-cart/assess", data=data)
        assert response.status_code == 422, (field, value)
        assert str(escape(words)) in response.text, words
    assert _snapshot(site) == before


def test_an_id_that_names_a_page_is_refused(site: Site, editor: httpx.Client) -> None:
    before = _snapshot(site)
    response = editor.post("/cases/new", data={"yaml": GOOD_CASE.format(case_id="new")})
    assert response.status_code == 422
    assert "names a page of the web app" in response.text
    assert _snapshot(site) == before


def test_a_new_case_cannot_take_the_id_of_a_stored_one(site: Site, editor: httpx.Client) -> None:
    before = _snapshot(site)
    response = editor.post(
        "/cases/new", data={"yaml": GOOD_CASE.format(case_id="seed-001-cns-cart")}
    )
    assert response.status_code == 409
    assert "a case with the id seed-001-cns-cart already exists" in response.text
    assert "it was not overwritten" in response.text
    assert _snapshot(site) == before


def test_an_edit_cannot_change_the_case_id(site: Site, editor: httpx.Client) -> None:
    before = _snapshot(site)
    response = editor.post(
        "/cases/seed-001-cns-cart/edit",
        data={"yaml": GOOD_CASE.format(case_id="renamed-case"), "expected_version": "1"},
    )
    assert response.status_code == 422 and "a case keeps its id" in response.text
    assert _snapshot(site) == before


def test_a_yaml_bomb_in_the_editor_is_refused(site: Site, editor: httpx.Client) -> None:
    before = _snapshot(site)
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
    response = editor.post("/cases/new", data={"yaml": bomb})
    assert response.status_code == 422
    assert "alias" in response.text.lower()
    assert _snapshot(site) == before


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=300))
def test_any_text_in_the_editor_gets_an_answer_and_is_escaped(
    site: Site, editor: httpx.Client, text: str
) -> None:
    response = editor.post("/cases/validate", data={"yaml": text}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert ("problem" in response.text) or ("Valid" in response.text)
    assert "<script" not in response.text


@pytest.mark.parametrize(
    ("name", "content_type", "body", "words"),
    [
        ("../report.txt", "text/plain", b"A 40-year-old man", "a file name, not a path"),
        ("report.pdf", "application/pdf", b"%PDF-1.4", "plain .txt file"),
        ("report.txt", "image/png", b"\x89PNG", "plain text, not 'image/png'"),
        ("report.txt", "text/plain", b"x" * 2_000_001, "larger than 2 MB"),
        ("report.txt", "text/plain", b"\x00\x01binary", "binary"),
    ],
)
def test_report_uploads_that_are_not_plain_text_files_are_refused(
    site: Site, editor: httpx.Client, name: str, content_type: str, body: bytes, words: str
) -> None:
    before = _snapshot(site)
    response = editor.post(
        "/extract", data={"label": "x"}, files=[("file", (name, body, content_type))]
    )
    assert response.status_code == 422
    assert str(escape(words)) in response.text and "Nothing was drafted" in response.text
    assert _snapshot(site) == before
