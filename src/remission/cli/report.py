"""``remission report``: a self-contained HTML report of a stored case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from remission.api import get_document
from remission.cli._common import DbOption, err, handles_errors, open_store
from remission.exceptions import InputError
from remission.model import Case


@handles_errors
def report(
    case_id: Annotated[str, typer.Argument(help="A stored case id.")],
    db: DbOption = None,
    version: Annotated[int | None, typer.Option(min=1, help="A past version.")] = None,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="HTML file to write (default: ID.html).")
    ] = None,
) -> None:
    """Write one self-contained HTML report (works offline): timeline, summary with definitions,
    graded toxicity, responses, outcome intervals, CAR-T kinetics and laboratory figures."""
    from remission.report import render_case_report

    with open_store(db) as store:
        doc, record = get_document(store, case_id, version)
    if not isinstance(doc, Case):
        raise InputError(f"{case_id} is a cohort aggregate; a case report needs a case")
    line = f"Version {record.version} of {record.current_version}, saved by {record.author} ({record.reason})."
    html = render_case_report(doc, version_line=line)
    path = output or Path(f"{case_id}.html")
    path.write_text(html, encoding="utf-8")
    err.print(f"wrote {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
