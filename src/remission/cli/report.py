"""``remission report``: a self-contained HTML report of a stored case, or of a cohort."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from remission.api import get_document, load_documents
from remission.cli._common import DbOption, err, handles_errors, open_store
from remission.exceptions import InputError
from remission.model import Case


@handles_errors
def report(
    case_id: Annotated[
        str | None, typer.Argument(help="A stored case id (omit with --cohort).")
    ] = None,
    cohort: Annotated[
        bool, typer.Option("--cohort", help="Report on the cohort of stored cases instead.")
    ] = False,
    search: Annotated[
        str | None,
        typer.Option(help="With --cohort: only cases whose id or summary contains this text."),
    ] = None,
    aggregates: Annotated[
        bool, typer.Option(help="With --cohort: include published aggregate series.")
    ] = True,
    title: Annotated[str, typer.Option(help="With --cohort: the report title.")] = "Cohort report",
    db: DbOption = None,
    version: Annotated[
        int | None, typer.Option(min=1, help="A past version (case report).")
    ] = None,
    day0: Annotated[
        str | None,
        typer.Option(
            "--day0",
            help="Case report: the timeline's day 0, an event id or 'diagnosis' "
            "(default: the first index therapy).",
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--out", "-o", help="HTML file to write.")] = None,
) -> None:
    """Write one self-contained HTML report that works offline.

    A case: timeline, summary with definitions, graded toxicity, responses, outcome intervals,
    CAR-T kinetics and laboratory figures. A cohort (--cohort): Table 1, rates with exact
    intervals, Kaplan-Meier with numbers at risk, relapse vs non-relapse mortality, swimmer plot
    and subgroups, plus everything that could not be estimated and why.
    """
    if cohort == (case_id is not None):
        raise InputError("give a case id, or --cohort for a cohort report (not both)")
    if case_id is not None:
        from remission.report import render_case_report

        with open_store(db) as store:
            doc, record = get_document(store, case_id, version)
        if not isinstance(doc, Case):
            raise InputError(f"{case_id} is a cohort aggregate; a case report needs a case")
        line = f"Version {record.version} of {record.current_version}, saved by {record.author} ({record.reason})."
        path = output or Path(f"{case_id}.html")
        path.write_text(render_case_report(doc, version_line=line, day0=day0), encoding="utf-8")
        err.print(f"wrote {path}", highlight=False)
        return
    from remission.report.cohort_report import render_cohort_report

    with (
        open_store(db) as store,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as bar,
    ):
        task = bar.add_task("reading cases", total=None)
        docs = load_documents(
            store,
            kind=None if aggregates else "case",
            search=search,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
        gc.freeze()  # the documents live until the command ends: keep the collector off them
        stage = bar.add_task("cohort report", total=None)
        html = render_cohort_report(
            docs,
            title=title,
            filter_text=f"search {search!r}" if search else "",
            progress=lambda msg: bar.update(stage, description=msg),
        )
    path = output or Path("cohort-report.html")
    path.write_text(html, encoding="utf-8")
    err.print(f"wrote {path} ({len(docs)} documents)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
