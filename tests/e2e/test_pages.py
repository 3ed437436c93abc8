"""The pages in a real browser: sign-in, case list and case page, case entry with a validation
error, grading as findings are typed, the cohort page, the import page, a version conflict
between two users, and hostile text shown as text. Runs once on SQLite and once on PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from remission.api import history
from remission.rules import grade_many

from .conftest import PASSWORDS, Site, csp_violations, sign_in

REPORT = Path(__file__).parent / "data" / "report.txt"

BAD_CASE = """\
schema_version: 1
kind: case
id: {case_id}
patient:
  sex: male
  age: {{value: 9, unit: years, at: diagnosis}}
diagnosis:
  disease: B-ALL
  date: 2020-02
timeline:
  - id: rel1
    type: relapse
    date: 2021-06
    sites: [marrow, tesitis]
  - id: car1
    type: car_t_infusion
    date: 2021-09-14
    product: tisagenlecleucel
"""


def _wait_text(page: Any, selector: str, pattern: str) -> str:
    page.wait_for_function(
        "([s, p]) => { const e = document.querySelector(s); return e && new RegExp(p).test(e.textContent); }",
        arg=[selector, pattern],
        timeout=15_000,
    )
    return str(page.text_content(selector))


def test_sign_in_refuses_a_wrong_password_then_lets_the_user_in(open_page: Any, site: Site) -> None:
    page = open_page(None)
    page.goto(f"{site.url}/cases")
    assert "/login" in page.url  # no page without signing in
    sign_in(page, site, "editor", "not the password")
    assert page.locator(".alert.error").is_visible()
    site.shot(page, "01-login-refused")
    sign_in(page, site, "editor", PASSWORDS["editor"])
    page.wait_for_url(f"{site.url}/cases")
    assert page.locator("table.cases a", has_text="synthetic-annotated-001").is_visible()
    site.shot(page, "02-case-list")


def test_the_case_list_filters_without_reloading_and_opens_a_case(
    open_page: Any, site: Site
) -> None:
    page = open_page("viewer")
    page.select_option("#f-ph_positive", "true")
    page.wait_for_function(
        "() => !document.querySelector('#results').textContent.includes('synthetic-annotated-001')"
    )
    assert page.locator("#results a", has_text="seed-000-ph-pos-cart").is_visible()
    assert "ph_positive=true" in page.url  # the filter is in the address (bookmarkable)
    site.shot(page, "03-case-list-filtered")
    page.goto(f"{site.url}/cases/synthetic-annotated-001")
    page.wait_for_selector("text=Stein 2019 model fit", timeout=20_000)
    for heading in (
        "Therapeutic process",
        "Toxicity (CRS and ICANS)",
        "Responses",
        "Outcome intervals",
        "Cytokines and ferritin",
        "Version history",
    ):
        assert page.locator("h2", has_text=heading).is_visible()
    page.wait_for_function(
        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("a.button", has_text="Edit").count() == 0  # a viewer cannot edit
    site.shot(page, "04-case-page")


def test_case_entry_shows_the_cli_validation_message_then_saves(open_page: Any, site: Site) -> None:
    case_id = f"web-entry-{site.backend}"
    page = open_page("editor")
    page.goto(f"{site.url}/cases/new")
    page.fill("#yaml", BAD_CASE.format(case_id=case_id))
    message = _wait_text(page, "#validation", "tesitis")
    assert "did you mean 'testis'" in message
    assert re.search(
        r"editor:14: timeline\[0\] \(relapse 'rel1'\)\.sites\[1\]", message
    )  # file:line: field, as the CLI says
    site.shot(page, "05-new-case-invalid")
    page.click("#editor-form button[type=submit]")  # saving an invalid case is refused
    assert page.locator(".alert.error", has_text="tesitis").first.is_visible()
    with site.store() as store:
        assert case_id not in store.existing([case_id])
    page.fill("#yaml", BAD_CASE.format(case_id=case_id).replace("tesitis", "testis"))
    _wait_text(page, "#validation", "Valid case")
    page.fill("#reason", "entered from the clinic letter")
    page.click("#editor-form button[type=submit]")
    page.wait_for_url(f"{site.url}/cases/{case_id}")
    site.shot(page, "06-new-case-saved")
    with site.store() as store:
        (version,) = history(store, case_id)
    assert (version.author, version.reason) == ("editor", "entered from the clinic letter")


def test_the_assessment_page_grades_as_findings_are_typed(open_page: Any, site: Site) -> None:
    page = open_page("editor")
    page.goto(f"{site.url}/cases/seed-002-cns-sequential-cart/assess")
    page.fill("#temperature_c", "39.2")
    _wait_text(page, "#grade-crs", "Grade 1")
    page.check("input[name=hypotension]")
    page.check("input[name=vasopressors][value=norepinephrine]")
    page.fill("#age_years", "14")
    page.fill("#ice_score", "5")
    expected = grade_many(
        [
            {
                "syndrome": "crs",
                "temperature_c": 39.2,
                "hypotension": True,
                "vasopressors": ["norepinephrine"],
            },
            {"syndrome": "icans", "age_years": 14, "ice_score": 5},
        ]
    )
    _wait_text(page, "#grade-crs", f"Grade {expected[0].grade}")
    _wait_text(page, "#grade-icans", f"Grade {expected[1].grade}")
    assert "norepinephrine" in page.text_content("#grade-result")
    site.shot(page, "07-assessment-adult")
    # a child: the CAPD path
    page.fill("#ice_score", "")
    page.fill("#age_years", "8")
    page.fill("#capd_score", "12")
    (child,) = grade_many([{"syndrome": "icans", "age_years": 8, "capd_score": 12}])
    _wait_text(page, "#grade-icans", f"Grade {child.grade}")
    assert "CAPD" in page.text_content("#grade-result")
    page.fill("#at", "car1+9d")
    page.click("#assess-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/assess\?saved=\d+"))
    assert page.locator("text=was saved as version").is_visible()
    site.shot(page, "08-assessment-saved")
    with site.store() as store:
        latest = history(store, "seed-002-cns-sequential-cart")[-1]
    assert latest.author == "editor" and "car1+9d" in latest.reason


def test_the_cohort_page_shows_table_1_rates_survival_and_swimmer(
    open_page: Any, site: Site
) -> None:
    page = open_page("viewer")
    page.goto(f"{site.url}/cohort")
    for heading in (
        "Patients (Table 1)",
        "Response, MRD and toxicity rates",
        "Survival",
        "Swimmer plot",
        "Subgroups",
    ):
        assert page.locator("h2", has_text=heading).is_visible()
    assert page.locator("text=95 % CI").first.is_visible()
    assert page.locator("img[alt^='Kaplan']").is_visible()
    site.shot(page, "09-cohort")
    response = page.request.get(f"{site.url}/cohort/report.html?status=final")
    assert response.ok and "attachment" in response.headers["content-disposition"]
    assert "Table 1" in response.text()


def test_the_import_page_stores_all_or_nothing(open_page: Any, site: Site) -> None:
    page = open_page("editor")
    page.goto(f"{site.url}/import")
    good = BAD_CASE.format(case_id=f"web-import-{site.backend}").replace("tesitis", "testis")
    bad = BAD_CASE.format(case_id=f"web-import-bad-{site.backend}")
    page.set_input_files(
        "#files",
        [
            {"name": "good.yaml", "mimeType": "application/x-yaml", "buffer": good.encode()},
            {"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": bad.encode()},
        ],
    )
    page.click("form.card button[type=submit]")
    problems = page.text_content(".alert.error") or ""
    assert "bad.yaml:" in problems and "tesitis" in problems and "Nothing was stored" in problems
    with site.store() as store:
        assert not store.existing([f"web-import-{site.backend}"])
    site.shot(page, "10-import-refused")
    page.set_input_files(
        "#files", [{"name": "good.yaml", "mimeType": "application/x-yaml", "buffer": good.encode()}]
    )
    page.click("form.card button[type=submit]")
    assert page.locator(".alert.ok", has_text="1 new").is_visible()
    site.shot(page, "11-import-done")


def test_a_second_save_of_the_same_case_is_refused_with_the_text_kept(
    open_page: Any, site: Site
) -> None:
    first, second = open_page("editor"), open_page("admin")
    for page in (first, second):
        page.goto(f"{site.url}/cases/seed-003-donor-cart-em-relapse/edit")
    first.fill(
        "#yaml",
        first.input_value("#yaml").replace("sex: female", "sex: female\n  ethnicity: first edit"),
    )
    first.click("#editor-form button[type=submit]")
    first.wait_for_url(f"{site.url}/cases/seed-003-donor-cart-em-relapse")
    mine = second.input_value("#yaml").replace(
        "sex: female", "sex: female\n  ethnicity: second edit"
    )
    second.fill("#yaml", mine)
    second.click("#editor-form button[type=submit]")
    alert = second.text_content("#conflict") or ""
    assert "someone else saved this case" in alert and "saved by someone else" in alert
    assert second.input_value("#yaml") == mine  # the unsaved text is kept
    site.shot(second, "12-version-conflict")
    with site.store() as store:
        record = store.get("seed-003-donor-cart-em-relapse")
    assert record.document["patient"]["ethnicity"] == "first edit"  # nothing overwritten
    second.click("#conflict button[name=override_version]")  # a deliberate choice, after the diff
    second.wait_for_url(f"{site.url}/cases/seed-003-donor-cart-em-relapse")
    with site.store() as store:
        versions = history(store, "seed-003-donor-cart-em-relapse")
        latest = store.get("seed-003-donor-cart-em-relapse")
    assert [(v.version, v.author) for v in versions][-2:] == [(2, "editor"), (3, "admin")]
    assert latest.document["patient"]["ethnicity"] == "second edit"  # both kept in the history


def test_script_in_text_fields_is_shown_as_text(open_page: Any, site: Site) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page = open_page("editor")
    case_id = f"web-hostile-{site.backend}"
    page.goto(f"{site.url}/cases/new")
    text = BAD_CASE.format(case_id=case_id).replace("tesitis", "testis")
    text = text.replace("sex: male", f"sex: male\n  note: '{hostile}'")
    page.fill("#yaml", text)
    page.fill("#reason", hostile)
    page.click("#editor-form button[type=submit]")
    page.wait_for_url(f"{site.url}/cases/{case_id}")
    page.goto(f"{site.url}/cases?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    page.goto(f"{site.url}/cases/{case_id}")
    assert page.locator("form.diff-form td", has_text=hostile).is_visible()  # the reason, as text
    assert page.locator("script:not([src])").count() == 0
    assert not [m for m in site.console if m.startswith("dialog")]
    site.shot(page, "13-hostile-text-escaped")


def test_an_extraction_is_reviewed_value_by_value_then_finalised(
    open_page: Any, site: Site
) -> None:
    page = open_page("editor")
    page.goto(f"{site.url}/extract")
    page.fill("#label", f"review-{site.backend}")
    page.fill("#text", REPORT.read_text(encoding="utf-8"))
    page.click("form.card button[type=submit]")
    site.shot(page, "14-extracted")
    assert int(page.text_content("table td.num") or "0") >= 10  # values drafted from the text
    page.click("table a.button", timeout=60_000)
    page.wait_for_selector("#review")
    draft_id = page.url.split("/drafts/")[1].split("/")[0]
    assert page.locator(".report-text mark[id]").count() >= 10  # every value's words, marked
    crs = page.locator("ul.values li", has=page.locator(".field", has_text="crs_max_grade"))
    crs.locator("button[data-spans]").click()
    assert page.locator("mark.active").count() >= 1  # its words light up in the text
    site.shot(page, "15-review")
    crs.locator("button[value=accept]").click()
    page.wait_for_selector("text=Accepted crs_max_grade.")
    follow_up = page.locator(
        "ul.values li", has=page.locator(".field", has_text="follow_up_months")
    )
    follow_up.locator("input[name=value]").fill("15")
    follow_up.locator("button[value=edit]").click()
    page.wait_for_selector("text=Changed follow_up_months.")
    sex = page.locator("ul.values li", has=page.locator(".field", has_text="sex"))
    sex.locator("button[value=reject]").click()
    page.wait_for_selector("text=Rejected sex.")
    assert page.locator("#finalize").is_disabled()  # values still pending
    page.click("text=Accept all pending")
    page.wait_for_selector("text=Accepted every pending value.")
    site.shot(page, "16-review-decided")
    page.click("#finalize")
    page.wait_for_url(f"{site.url}/cases/{draft_id}")
    site.shot(page, "17-review-finalised")
    with site.store() as store:
        record = store.get(draft_id)
        versions = history(store, draft_id)
    assert record.status == "final" and record.summary["follow_up_months"] == 15
    assert record.summary["sex"] is None  # a rejected value leaves the case
    assert {v.author for v in versions} == {"editor"}
    assert [v.reason for v in versions][1:4] == [
        "review: accept crs_max_grade",
        "review: edit follow_up_months",
        "review: reject sex",
    ]


def test_no_page_violated_the_content_security_policy(site: Site) -> None:
    assert site.console, "the other tests record the browser console"
    assert csp_violations(site) == []
