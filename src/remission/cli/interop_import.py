"""The ``import-table`` command: a CSV table or a REDCap export, mapped to Cases.

A dry run lists the cases that would be created or updated, with their summaries, and every
failing row with its row and column; without ``--dry-run`` the cases are stored in one
transaction, and only when no row fails (docs/interop.md, "REDCap and CSV import").
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from remission.cli._common import (
    DbOption,
    JsonOption,
    err,
    handles_errors,
    open_store,
    out,
    print_json,
    print_table,
)
from remission.exceptions import InputError, Problem, TableProblem
from remission.interop.table_import import (
    TablePlan,
    plan_table_import,
    planned_actions,
    save_table_plan,
)
from remission.rules.summary import summarize


def _problem_json(p: Problem) -> dict[str, Any]:
    row = {"file": p.where, "line": p.line, "field": p.field, "message": p.message}
    if isinstance(p, TableProblem):
        row.update(row_number=p.row, record=p.record, column=p.column)
    return row


def _refuse(error: InputError, json_out: bool) -> None:
    """Print problems that stop the import before any row is read; exit 1."""
    if json_out:
        print_json(
            {"stored": False, "cases": [], "problems": [_problem_json(p) for p in error.problems]}
        )
        raise typer.Exit(1)
    n = len(error.problems)
    err.print(
        f"[bold red]error:[/] {n} problem{'s' if n != 1 else ''} found; nothing was stored.",
        highlight=False,
    )
    for problem in error.problems:
        err.print(f"  {problem}", markup=False, highlight=False)
    raise typer.Exit(1)


def _yesno(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _case_rows(plan: TablePlan, actions: dict[str, str]) -> list[list[str]]:
    rows = []
    for planned in plan.cases:
        s = summarize(planned.case)
        therapies = ", ".join(
            t.therapy_class + (f" {t.agent}" if t.agent else "") for t in s.index_therapies
        )
        rows.append(
            [
                planned.id,
                planned.record,
                actions.get(planned.id, "-"),
                str(len(planned.case.timeline)),
                _yesno(s.age_years),
                _yesno(s.sex),
                _yesno(s.relapse_count),
                therapies or "-",
                _yesno(s.response),
                _yesno(s.mrd_negative),
                _yesno(s.crs_max_grade),
                _yesno(s.icans_max_grade),
                _yesno(s.alive_at_last_follow_up),
                _yesno(s.follow_up_months),
            ]
        )
    return rows


def _print_problems(plan: TablePlan) -> None:
    rows = [
        [
            _yesno(p.row),
            _yesno(p.line),
            p.record or "-",
            p.column or "-",
            (f"{p.field}: " if p.field else "") + p.message,
        ]
        for p in plan.problems
    ]
    print_table(
        f"{len(rows)} failing row(s) in {plan.where}",
        ["row", "line", "record", "column", "problem"],
        rows,
    )


@handles_errors
def import_table(
    data: Annotated[
        Path,
        typer.Argument(
            help="The CSV file (a REDCap records export, raw data, or a plain table).",
            show_default=False,
        ),
    ],
    mapping: Annotated[
        Path,
        typer.Option(
            "--mapping", help="The mapping file (YAML); see docs/interop.md.", show_default=False
        ),
    ],
    dictionary: Annotated[
        Path | None,
        typer.Option(
            "--dictionary",
            help="The REDCap data dictionary (CSV): choice labels, and a check of the mapping.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show what would be stored and every failing row; store nothing."
        ),
    ] = False,
    db: DbOption = None,
    author: Annotated[
        str | None, typer.Option(help="Who is importing (default: REMISSION_USER or your login).")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, kept with each new version.")] = "table import",
    json_out: JsonOption = False,
) -> None:
    """Import a CSV table or REDCap export through a mapping: all records or none."""
    try:
        plan = plan_table_import(data, mapping, dictionary=dictionary)
    except InputError as exc:
        _refuse(exc, json_out)
        return
    stored = False
    outcomes: list[dict[str, Any]] = []
    with open_store(db) as store:
        actions = planned_actions(store, plan)
        if plan.ok and not dry_run:
            report = save_table_plan(store, plan, author=author, reason=reason)
            stored = True
            outcomes = [o.__dict__ for o in report.outcomes]
    if json_out:
        print_json(
            {
                "file": plan.where,
                "dry_run": dry_run,
                "stored": stored,
                "records": plan.records,
                "cases": [
                    {
                        "id": c.id,
                        "record": c.record,
                        "action": actions.get(c.id),
                        "rows": list(c.rows),
                        "summary": summarize(c.case).model_dump(mode="json", by_alias=True),
                    }
                    for c in plan.cases
                ],
                "saved": outcomes,
                "problems": [_problem_json(p) for p in plan.problems],
            }
        )
        if not plan.ok:
            raise typer.Exit(1)
        return
    headers = [
        "case",
        "record",
        "action",
        "events",
        "age",
        "sex",
        "relapses",
        "index therapy",
        "response",
        "MRD-",
        "CRS",
        "ICANS",
        "alive",
        "FU mo",
    ]
    verb = "would be stored" if dry_run or not plan.ok else "stored"
    print_table(
        f"{len(plan.cases)} of {plan.records} record(s) valid in {plan.where}; {verb}",
        headers,
        _case_rows(plan, actions),
    )
    if plan.problems:
        _print_problems(plan)
        n = len(plan.problems)
        err.print(
            f"[bold red]error:[/] {n} problem{'s' if n != 1 else ''} in "
            f"{len(plan.failed_records) or 'the'} record(s); nothing was stored.",
            highlight=False,
        )
        raise typer.Exit(1)
    if dry_run:
        out.print("dry run: nothing was stored.", highlight=False)
        return
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for o in outcomes:
        counts[o["action"]] += 1
    out.print(
        f"imported {len(outcomes)} case(s) from {plan.where}: {counts['created']} new, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("import-table")(import_table)
