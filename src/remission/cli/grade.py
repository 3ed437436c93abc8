"""``remission grade``: the bedside CRS/ICANS calculator (ASTCT 2019).

Reads a JSON array of assessments (the vocabulary of :mod:`remission.model.assessment`) on stdin
or from ``--file`` and prints one result per assessment: a Rich table for people, or with
``--json`` a JSON array of ``{syndrome, grade, drivers, notes, scale, reason, at_least}``.
Bad input: every problem on stderr (item index, field, allowed values), exit status 1, nothing
on stdout. The grading itself is :func:`remission.rules.grade_many`; nothing is re-implemented
here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from remission.api import get_document
from remission.cli._common import DbOption, handles_errors, open_store, print_json
from remission.exceptions import GradingInputError, Problem
from remission.model import Case
from remission.model.assessment import GradeResult
from remission.rules import grade_many
from remission.rules.episodes import grade_case

__all__ = ["grade_json", "register"]

_EXAMPLE = (
    '[{"syndrome": "crs", "temperature_c": 38.6, "vasopressors": ["norepinephrine"]}, '
    '{"syndrome": "icans", "age_years": 34, "ice_score": 6}]'
)


def grade_json(text: str, where: str = "<stdin>") -> list[GradeResult]:
    """Grade the assessments in a JSON text (an array of objects).

    Raises :class:`GradingInputError` for text that is not JSON, not an array, or has bad
    items, with every problem located (line for syntax errors, ``[index].field`` otherwise).
    """
    if not text.strip():
        raise GradingInputError(
            Problem(f"no input: give a JSON array of assessments, e.g. {_EXAMPLE}", where=where)
        )
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GradingInputError(
            Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", where=where, line=exc.lineno)
        ) from None
    if not isinstance(data, list):
        kind = "an object" if isinstance(data, dict) else f"a {type(data).__name__}"
        raise GradingInputError(
            Problem(
                f"expected a JSON array of assessments, got {kind}; wrap a single assessment "
                "in [ ]",
                where=where,
            )
        )
    return grade_many(data, where=where)


def _table(results: list[GradeResult]) -> Table:
    table = Table(title="Toxicity grades (ASTCT 2019)", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("Syndrome")
    table.add_column("Grade", justify="center")
    table.add_column("Set by")
    table.add_column("Notes")
    for i, r in enumerate(results):
        if r.grade is None:
            grade = Text("not assessable", style="bold yellow")
            why = r.reason or ""
            if r.at_least:
                why = f"at least grade {r.at_least}. {why}"
        else:
            grade = Text(str(r.grade), style="bold red" if r.grade >= 3 else "bold")
            why = "\n".join(r.drivers)
        table.add_row(
            str(i),
            r.syndrome.upper(),
            grade,
            Text(why),
            Text("\n".join(f"- {n}" for n in r.notes)),
        )
    return table


def grade_command(
    case_id: Annotated[
        str | None,
        typer.Argument(help="A stored case whose daily assessments to grade."),
    ] = None,
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array of results instead of a table.")
    ] = False,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="Read the JSON array from this file instead of stdin.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Grade CRS and ICANS assessments by ASTCT 2019 (a JSON array on stdin).

    Example: echo '[{"syndrome": "crs", "temperature_c": 38.4}]' | remission grade --json
    """
    if case_id is not None:
        _grade_stored_case(case_id, db, as_json)
        return
    if file is not None:
        where = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            typer.echo(f"{where}: cannot read: {exc.strerror}", err=True)
            raise typer.Exit(1) from None
    else:
        where = "<stdin>"
        if sys.stdin is None or sys.stdin.isatty():
            typer.echo(
                f"remission grade: pipe a JSON array of assessments on stdin, e.g.\n  echo "
                f"'{_EXAMPLE}' | remission grade --json",
                err=True,
            )
            raise typer.Exit(1)
        text = sys.stdin.read()
    try:
        results = grade_json(text, where=where)
    except GradingInputError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    if as_json:
        payload = [r.model_dump(mode="json") for r in results]
        # ASCII escapes ("\u2192" for the arrow) keep the JSON valid on any console encoding.
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    Console(file=sys.stdout).print(_table(results))


@handles_errors
def _grade_stored_case(case_id: str, db: str | None, as_json: bool) -> None:
    """Grade every bedside assessment of a stored case and build its CRS/ICANS episodes."""
    with open_store(db) as store:
        case, _ = get_document(store, case_id)
    if not isinstance(case, Case):
        raise GradingInputError(f"{case_id} is a cohort aggregate: it has no assessments to grade")
    grading = grade_case(case)
    if as_json:
        print_json(grading.to_dict())
        return
    console = Console(file=sys.stdout)
    table = Table(
        "when", "syndrome", "grade", "drivers", title=f"{case_id}: bedside assessments (ASTCT 2019)"
    )
    for a in grading.assessments:
        r = a.result
        grade = "n/a" if r.grade is None else str(r.grade)
        table.add_row(
            str(a.at), r.syndrome.upper(), grade, "; ".join(r.drivers) or (r.reason or "")
        )
    console.print(table)
    episodes = Table("syndrome", "#", "follows", "onset", "resolved", "max grade", title="episodes")
    for ep in grading.episodes:
        episodes.add_row(
            ep.syndrome.upper(),
            str(ep.number),
            ep.follows or "-",
            str(ep.onset_at),
            str(ep.resolution_at) if ep.resolution_at is not None else "ongoing",
            str(ep.max_grade),
        )
    console.print(episodes)
    for note in grading.notes:
        console.print(f"note: {note}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``grade`` command to a Typer app."""
    app.command("grade")(grade_command)
