"""The demo: load the bundled example documents and write what a user would look at.

Runs on any store (SQLite by default). Writes, under ``out_dir``: the summary table of the cases
(CSV and JSON), each stored document exported back to YAML, and a short README saying what is
where. Later stages (grades, reports) add their outputs here.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from remission.api import (
    ImportReport,
    export_document,
    import_files,
    load_documents,
    prepare_import,
    save_prepared,
    summarize_document,
)
from remission.casefile import parse_document_text
from remission.examples import example_paths
from remission.exceptions import EstimationWarning, RemissionError
from remission.model import Case, CaseSummary
from remission.report import render_case_report
from remission.report.cohort_report import render_cohort_report
from remission.report.tables import write_csv_tables
from remission.rules.episodes import grade_case
from remission.rules.outcomes import duration_of_response, event_free_survival, overall_survival
from remission.rules.response import case_responses
from remission.store import Store
from remission.synth import write_cohort

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    out_dir: Path
    store_url: str
    report: ImportReport
    files: dict[str, Path] = field(default_factory=dict)
    summaries: list[tuple[str, CaseSummary]] = field(default_factory=list)
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    virtual: ImportReport | None = None


def derive(case: Case) -> dict[str, Any]:
    """What the rules derive from a case: graded episodes, responses and outcome intervals."""
    grading = grade_case(case)
    outcomes = {}
    for name, func in (
        ("overall_survival", overall_survival),
        ("event_free_survival", event_free_survival),
        ("duration_of_response", duration_of_response),
    ):
        try:
            outcomes[name] = func(case).to_dict()
        except RemissionError as exc:
            outcomes[name] = {"computable": False, "reason": str(exc)}
    return {
        "episodes": [ep.to_dict() for ep in grading.episodes],
        "responses": [call.to_dict() for call in case_responses(case)],
        "outcomes": outcomes,
    }


#: Size of the virtual cohort the demo adds beside the bundled cases.
DEMO_VIRTUAL_PATIENTS = 200


def run_demo(
    store: Store, out_dir: str | Path, *, virtual: int = DEMO_VIRTUAL_PATIENTS, seed: int = 2026
) -> DemoResult:
    """Import the bundled examples (and a virtual cohort of ``virtual`` patients) into ``store``
    and write the demo outputs to ``out_dir``, ending with the cohort report of them all."""
    out = Path(out_dir)
    (out / "cases").mkdir(parents=True, exist_ok=True)
    report = import_files(store, example_paths(), reason="demo: bundled seed examples")
    result = DemoResult(out, store.url, report)
    all_summaries = {}
    docs = []
    for outcome in report.outcomes:
        text = export_document(store, outcome.id)
        path = out / "cases" / f"{outcome.id}.yaml"
        path.write_text(text, encoding="utf-8")
        doc = parse_document_text(text, str(path))
        docs.append(doc)
        summary = summarize_document(doc)
        all_summaries[outcome.id] = json.loads(summary.model_dump_json(by_alias=True))
        if isinstance(doc, Case):
            assert isinstance(summary, CaseSummary)
            result.summaries.append((doc.id, summary))
            result.derived[doc.id] = derive(doc)
            reports = out / "reports"
            reports.mkdir(exist_ok=True)
            (reports / f"{doc.id}.html").write_text(render_case_report(doc), encoding="utf-8")
    cases = [doc for doc in docs if isinstance(doc, Case)]
    tables = write_csv_tables(cases, out / "tables")
    csv_path = tables[0]
    json_path = out / "summaries.json"
    json_path.write_text(json.dumps(all_summaries, indent=2, ensure_ascii=False), encoding="utf-8")
    derived_path = out / "derived.json"
    derived_path.write_text(
        json.dumps(result.derived, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    result.files.update(
        {
            "derived grades, responses and intervals (JSON)": derived_path,
            "tables: case summaries, observations, data dictionary (CSV)": csv_path.parent,
            "all summaries (JSON)": json_path,
            "exported case files": out / "cases",
            "case reports (HTML, open in a browser)": out / "reports",
        }
    )
    if virtual > 0:
        folder = out / "virtual-cohort"
        written = write_cohort(folder, virtual, seed)
        prepared = prepare_import(written.files)
        result.virtual = save_prepared(store, prepared, reason=f"demo: virtual cohort, seed {seed}")
        result.files["virtual cohort case files"] = folder
    result.files.update(_fhir_bundles(cases, out / "fhir"))
    result.files.update(_extraction(out / "extraction"))
    everyone = load_documents(store)
    cohort_path = out / "cohort-report.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # listed in the report itself
        cohort_path.write_text(
            render_cohort_report(everyone, title="Bundled cases and a virtual cohort"),
            encoding="utf-8",
        )
    result.files["cohort report (HTML)"] = cohort_path
    readme = out / "README.txt"
    readme.write_text(
        "remission demo output\n\n"
        f"store: {store.url}\n"
        + "".join(f"{label}: {path}\n" for label, path in result.files.items()),
        encoding="utf-8",
    )
    result.files["this listing"] = readme
    return result


def _fhir_bundles(cases: list[Case], folder: Path) -> dict[str, Path]:
    """Each bundled case as a FHIR R4 Bundle (docs/interop.md): `remission import` reads them."""
    from remission.interop.fhir import case_to_bundle

    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        (folder / f"{case.id}.json").write_text(
            json.dumps(case_to_bundle(case), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
    return {"FHIR R4 Bundles of the bundled cases": folder}


#: Corpus texts the demo extracts: a case report, a case series and a cohort abstract.
DEMO_REPORTS = ("001", "005", "006")


def _extraction(folder: Path) -> dict[str, Path]:
    """Extract a few report texts of the annotated corpus (written for the project) into draft
    case files and the `remission extract --json` objects (docs/extraction.md)."""
    from remission.evidence.api import drafts_for, extract_files, write_drafts
    from remission.evidence.corpus import load_corpus

    chosen = [d.text_path for d in load_corpus(splits=("dev",)) if d.name[:3] in DEMO_REPORTS]
    items = extract_files(chosen)
    drafts = [doc for item in items for doc in drafts_for(item)]
    write_drafts(drafts, folder / "drafts")
    results = folder / "extracted.json"
    results.write_text(
        json.dumps([item.result.to_json() for item in items], indent=2, ensure_ascii=False),
        encoding="utf-8",
    )
    return {
        "report texts read (extract)": chosen[0].parent,
        "extracted values with evidence (JSON)": results,
        "draft case files to review (remission review)": folder / "drafts",
    }
