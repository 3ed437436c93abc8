"""The page routes over HTTP against the running app (no browser): the list's HTMX fragment,
figure images, version diffs, downloads, and account administration. Runs on SQLite and on
PostgreSQL like the browser tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from openpyxl import load_workbook

from remission.web.testing import signed_in_client

from .conftest import PASSWORDS, Site

CASE = "synthetic-annotated-001"
REPORT = Path(__file__).parent / "data" / "report.txt"


@pytest.fixture
def admin(site: Site) -> Iterator[httpx.Client]:
    with signed_in_client(site.url, "admin", PASSWORDS["admin"]) as client:
        yield client


def test_htmx_asks_for_the_results_table_only(admin: httpx.Client) -> None:
    fragment = admin.get(
        "/cases?ph_positive=true", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "seed-000-ph-pos-cart" in fragment.text
    assert CASE not in fragment.text
    page = admin.get("/cases?ph_positive=true")
    assert "<html" in page.text and 'id="results"' in page.text


def test_a_bad_filter_value_is_named_and_ignored(admin: httpx.Client) -> None:
    page = admin.get("/cases?crs_min_grade=seven")
    assert page.status_code == 200
    assert str(escape("CRS grade at least: 'seven' is not accepted")) in page.text


def test_figures_are_images_per_version_and_missing_ones_are_404(
    site: Site, admin: httpx.Client
) -> None:
    png = admin.get(f"/cases/{CASE}/figures/timeline.png?v=1")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = admin.get(f"/cases/{CASE}/figures/kinetics.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert admin.get(f"/cases/{CASE}/figures/timeline.gif").status_code == 404
    assert admin.get(f"/cases/{CASE}/figures/nonsense.png").status_code == 404
    assert admin.get("/cases/seed-001-cns-cart/figures/labs.png").status_code == 404  # no labs
    again = admin.get(f"/cases/{CASE}/figures/timeline.png?v=1")
    assert again.content == png.content  # served from the per-version cache


def test_the_diff_of_two_versions_names_the_changed_fields(site: Site, admin: httpx.Client) -> None:
    case_id = "seed-001-cns-cart"
    with site.store() as store:
        newest = store.get(case_id).version
    text = admin.get(f"/cases/{case_id}/export.yaml").text
    saved = admin.post(
        f"/cases/{case_id}/edit",
        data={
            "yaml": text.replace(
                f"id: {case_id}\n", f"id: {case_id}\nnotes: CNS3 at the lumbar puncture\n"
            ),
            "expected_version": str(newest),
            "reason": "CNS status from the lumbar puncture",
        },
    )
    assert saved.status_code == 303
    diff = admin.get(f"/cases/{case_id}/diff?a={newest}&b={newest + 1}")
    assert "<code>notes</code>" in diff.text and "CNS3 at the lumbar puncture" in diff.text
    assert admin.get(f"/cases/{case_id}/diff?a=1&b=99").status_code == 404


def test_downloads_are_attachments_of_the_right_kind(admin: httpx.Client) -> None:
    report = admin.get(f"/cases/{CASE}/report.html")
    assert report.headers["content-disposition"].startswith("attachment")
    assert "<html" in report.text and CASE in report.text
    yaml_file = admin.get(f"/cases/{CASE}/export.yaml?version=1")
    assert f"id: {CASE}" in yaml_file.text
    archive = zipfile.ZipFile(io.BytesIO(admin.get("/cohort/tables.zip").content))
    assert set(archive.namelist()) == {
        "case_summaries.csv",
        "observations.csv",
        "data_dictionary.csv",
    }
    workbook = load_workbook(io.BytesIO(admin.get("/cohort/tables.xlsx?ph_positive=true").content))
    rows = list(workbook["case_summaries"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["seed-000-ph-pos-cart"]  # the filter applies


def test_an_admin_manages_accounts_with_clear_refusals(site: Site, admin: httpx.Client) -> None:
    name = f"nurse-{site.backend}"
    short = admin.post(
        "/admin/users",
        data={"action": "add", "username": name, "role": "editor", "password": "short"},
    )
    assert short.status_code == 422 and "at least 10 characters" in short.text
    added = admin.post(
        "/admin/users",
        data={"action": "add", "username": name, "role": "editor", "password": "a good long one"},
    )
    assert added.status_code == 303
    assert name in admin.get("/admin/users").text
    unsure = admin.post("/admin/users", data={"action": "remove", "username": name})
    assert unsure.status_code == 422 and "tick" in unsure.text
    removed = admin.post(
        "/admin/users", data={"action": "remove", "username": name, "confirm": "yes"}
    )
    assert removed.status_code == 303
    itself = admin.post(
        "/admin/users", data={"action": "remove", "username": "admin", "confirm": "yes"}
    )
    assert itself.status_code == 422
    with signed_in_client(site.url, "editor", PASSWORDS["editor"]) as editor:
        assert editor.get("/admin/users").status_code == 403


def test_two_reviewers_deciding_on_one_version_the_second_is_told(
    site: Site, admin: httpx.Client
) -> None:
    text = REPORT.read_text(encoding="utf-8")
    made = admin.post("/extract", data={"label": f"twice-{site.backend}", "text": text})
    assert made.status_code == 200 and "1 draft stored" in made.text
    draft_id = (
        f"draft-twice-{site.backend}-" + made.text.split(f"draft-twice-{site.backend}-")[1][:8]
    )
    assert admin.get(f"/drafts/{draft_id}/review").status_code == 200
    decision = {"field": "sex", "expected_version": "1"}
    first = admin.post(
        f"/drafts/{draft_id}/review",
        data={**decision, "action": "accept"},
        headers={"HX-Request": "true"},
    )
    assert first.status_code == 200 and "Accepted sex." in first.text
    second = admin.post(
        f"/drafts/{draft_id}/review",
        data={**decision, "action": "reject"},
        headers={"HX-Request": "true"},
    )
    assert second.status_code == 409 and "someone else changed this draft" in second.text
    with site.store() as store:
        record = store.get(draft_id)
    assert record.version == 2 and record.summary["sex"] == "female"  # the first decision stands
    again = admin.post("/extract", data={"label": f"twice-{site.backend}", "text": text})
    assert again.status_code == 422 and "already stored" in again.text  # never overwritten
