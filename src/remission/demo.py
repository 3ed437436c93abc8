"""The demo: load the bundled example documents and write what a user would look at.

Runs on any store (SQLite by default). Writes, under ``out_dir``: the summary table of the cases
(CSV and JSON), each stored document exported back to YAML, and a short README saying what is
where. Later stages (grades, reports) add their outputs here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from remission.api import (
    ImportReport,
    export_document,
    import_files,
    summarize_document,
    summary_table_csv,
)
from remission.examples import example_paths
from remission.model import Case, CaseSummary
from remission.store import Store

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    out_dir: Path
    store_url: str
    report: ImportReport
    files: dict[str, Path] = field(default_factory=dict)
    summaries: list[tuple[str, CaseSummary]] = field(default_factory=list)


def run_demo(store: Store, out_dir: str | Path) -> DemoResult:
    """Import the bundled examples into ``store`` and write the demo outputs to ``out_dir``."""
    out = Path(out_dir)
    (out / "cases").mkdir(parents=True, exist_ok=True)
    report = import_files(store, example_paths(), reason="demo: bundled seed examples")
    result = DemoResult(out, store.url, report)
    all_summaries = {}
    for outcome in report.outcomes:
        text = export_document(store, outcome.id)
        path = out / "cases" / f"{outcome.id}.yaml"
        path.write_text(text, encoding="utf-8")
        from remission.casefile import parse_document_text

        doc = parse_document_text(text, str(path))
        summary = summarize_document(doc)
        all_summaries[outcome.id] = json.loads(summary.model_dump_json(by_alias=True))
        if isinstance(doc, Case):
            assert isinstance(summary, CaseSummary)
            result.summaries.append((doc.id, summary))
    csv_path = out / "case-summaries.csv"
    csv_path.write_text(summary_table_csv(result.summaries), encoding="utf-8")
    json_path = out / "summaries.json"
    json_path.write_text(json.dumps(all_summaries, indent=2, ensure_ascii=False), encoding="utf-8")
    result.files.update(
        {
            "case summaries (CSV)": csv_path,
            "all summaries (JSON)": json_path,
            "exported case files": out / "cases",
        }
    )
    readme = out / "README.txt"
    readme.write_text(
        "remission demo output\n\n"
        f"store: {store.url}\n"
        + "".join(f"{label}: {path}\n" for label, path in result.files.items()),
        encoding="utf-8",
    )
    result.files["this listing"] = readme
    return result
