"""The case page shows the report data saved with a version and derives only what is missing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from markupsafe import escape

from remission import api
from remission.casefile import load_file
from remission.examples import example_paths
from remission.report.case_data import case_report_data

from .conftest import Web

EXAMPLE = next(p for p in example_paths() if p.name.startswith("synthetic"))


def _save(web: Web, case_id: str, report: dict | None) -> str:
    case = load_file(EXAMPLE).document.model_copy(update={"id": case_id})
    record = replace(api.record_for(case), report=report)
    web.store.save(record, author="tester", reason="page test")
    return case_report_data(case)["patient_line"]


def test_a_saved_case_shows_the_report_data_kept_with_its_version(web: Web) -> None:
    case = load_file(EXAMPLE).document.model_copy(update={"id": "pt-page-1"})
    web.store.save(api.record_for(case), author="tester", reason="import")
    stored = web.store.get("pt-page-1").report
    assert stored is not None and stored["case_id"] == "pt-page-1"
    page = web.client("viewer").get("/cases/pt-page-1")
    assert page.status_code == 200
    assert str(escape(stored["patient_line"])) in page.text
    for episode in stored["episodes"]:
        assert episode["drivers"] and str(escape(episode["drivers"])) in page.text


def test_the_page_reads_the_stored_data_rather_than_deriving_it_again(web: Web) -> None:
    report = case_report_data(load_file(EXAMPLE).document.model_copy(update={"id": "pt-page-2"}))
    _save(web, "pt-page-2", {**report, "patient_line": "line kept in the store"})
    page = web.client("viewer").get("/cases/pt-page-2")
    assert "line kept in the store" in page.text


@pytest.mark.parametrize(
    "stamp", ["remission 0.0.1, report data 1", "remission 0.1.0, report data 0", None]
)
def test_data_of_another_version_or_none_at_all_is_derived_again(
    web: Web, stamp: str | None
) -> None:
    case_id = f"pt-page-{abs(hash(stamp)) % 10_000}"
    report = None
    if stamp is not None:
        report = {**case_report_data(load_file(EXAMPLE).document), "stamp": stamp}
        report["patient_line"] = "stale line"
    derived_line = _save(web, case_id, report)
    page = web.client("viewer").get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert "stale line" not in page.text and str(escape(derived_line)) in page.text


def test_damaged_stored_data_is_derived_again_rather_than_failing(web: Web) -> None:
    report = case_report_data(load_file(EXAMPLE).document.model_copy(update={"id": "pt-page-9"}))
    damaged = {k: v for k, v in report.items() if k != "outcomes"}
    derived_line = _save(web, "pt-page-9", {**damaged, "patient_line": "damaged line"})
    page = web.client("viewer").get("/cases/pt-page-9")
    assert page.status_code == 200
    assert "damaged line" not in page.text and str(escape(derived_line)) in page.text
