"""Tables for export: the CaseSummary rows, long-format observations and a data dictionary.

CSV (a folder of files) and XLSX (one workbook, a sheet per table) hold the same tables. Column
meanings come from the model's own field descriptions, so the dictionary cannot drift from it.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from remission.model import Case, CaseSummary, ObservationSeries, load_vocabulary
from remission.rules import summarize

__all__ = [
    "OBSERVATION_COLUMNS",
    "data_dictionary",
    "observation_rows",
    "summary_rows",
    "write_csv_tables",
    "write_xlsx_tables",
]

OBSERVATION_COLUMNS: dict[str, str] = {
    "case_id": "Case id.",
    "series_id": "Observation series id within the case.",
    "analyte": "Analyte (vocabulary 'analytes').",
    "analyte_label": "Analyte, in words.",
    "unit": "Unit of value and lloq.",
    "specimen": "Specimen (blood, marrow, csf, serum, plasma).",
    "anchor": "Event whose day 0 the day counts from.",
    "day": "Days from the anchor (for points given by date: placed when the case allows, else empty).",
    "at": "The point's own time as written, when given by date or offset.",
    "value": "Measured value (empty for a below-quantification point without a value).",
    "blq": "Below the limit of quantification.",
    "lloq": "Lower limit of quantification of the series, when stated.",
}


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):  # index therapies
            return "; ".join(
                ":".join(str(v) for v in (t.get("class"), t.get("agent") or t.get("target")) if v)
                for t in value
            )
        return ";".join(str(v) for v in value)
    return value


def summary_rows(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """One row per case: ``case_id`` then every CaseSummary field (lists joined with ';')."""
    rows = []
    for case in cases:
        data = summarize(case).model_dump(mode="json", by_alias=True)
        rows.append({"case_id": case.id, **{k: _cell(v) for k, v in data.items()}})
    return rows


def _day(case: Case, series: ObservationSeries, at: Any) -> float | None:
    if series.anchor is None or at is None:
        return None
    iv = case.interval(series.anchor, str(at))
    return iv.days if iv is not None and iv.exact else None


def observation_rows(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """Every observation point of every case, one row each (long format)."""
    vocab = load_vocabulary("analytes")
    rows = []
    for case in cases:
        for s in case.observations:
            for p in s.points:
                rows.append(
                    {
                        "case_id": case.id,
                        "series_id": s.id,
                        "analyte": s.analyte,
                        "analyte_label": vocab.get(s.analyte).label,
                        "unit": s.unit,
                        "specimen": s.specimen,
                        "anchor": s.anchor,
                        "day": p.day if p.day is not None else _day(case, s, p.at),
                        "at": str(p.at) if p.at is not None else None,
                        "value": p.value,
                        "blq": p.blq,
                        "lloq": s.lloq,
                    }
                )
    return rows


def data_dictionary() -> list[dict[str, str]]:
    """Every exported column: table, column, meaning."""
    rows = [{"table": "case_summaries", "column": "case_id", "meaning": "Case id."}]
    rows += [
        {"table": "case_summaries", "column": info.alias or name, "meaning": info.description or ""}
        for name, info in CaseSummary.model_fields.items()
    ]
    rows += [
        {"table": "observations", "column": k, "meaning": v} for k, v in OBSERVATION_COLUMNS.items()
    ]
    return rows


def _tables(cases: Sequence[Case]) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    summary_cols = ["case_id", *(info.alias or n for n, info in CaseSummary.model_fields.items())]
    return {
        "case_summaries": (summary_cols, summary_rows(cases)),
        "observations": (list(OBSERVATION_COLUMNS), observation_rows(cases)),
        "data_dictionary": (["table", "column", "meaning"], data_dictionary()),
    }


def write_csv_tables(cases: Sequence[Case], folder: Path) -> list[Path]:
    """Write ``case_summaries.csv``, ``observations.csv`` and ``data_dictionary.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (columns, rows) in _tables(cases).items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        written.append(path)
    return written


def write_xlsx_tables(cases: Sequence[Case], path: Path) -> Path:
    """One workbook with a sheet per table."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, (columns, rows) in _tables(cases).items():
        ws = wb.create_sheet(name)
        ws.append(columns)
        for row in rows:
            ws.append([row.get(c) for c in columns])
        ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
