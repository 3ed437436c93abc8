"""Shared pieces of the command line: the store option, error printing, JSON output."""

from __future__ import annotations

import functools
import json
import math
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from remission.exceptions import CaseFileError, DuplicateIdError, InputError, RemissionError
from remission.store import Store, default_url

F = TypeVar("F", bound=Callable[..., Any])

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="REMISSION_DB",
        help="Database URL (sqlite:///file.sqlite, postgresql+psycopg://user@host/db) or a "
        "SQLite file path. Default: REMISSION_DB, else a SQLite file in your data folder.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def fail(error: RemissionError) -> None:
    """Print an error for a person and exit with status 1."""
    if isinstance(error, InputError):
        n = len(error.problems)
        stored = (
            "; nothing was stored" if isinstance(error, CaseFileError | DuplicateIdError) else ""
        )
        err.print(
            f"[bold red]error:[/] {n} problem{'s' if n != 1 else ''} found{stored}.",
            highlight=False,
        )
        for problem in error.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
    else:
        err.print("error: " + str(error), style="red", markup=False, highlight=False)
    raise typer.Exit(1)


def handles_errors(func: F) -> F:
    """Turn remission's own errors into a message on stderr and exit status 1.

    Warnings (statistical caveats) are printed on stderr as ``warning: ...``, never on stdout,
    so ``--json`` output stays clean.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return func(*args, **kwargs)
            except RemissionError as exc:
                fail(exc)
            finally:
                for w in caught:
                    if issubclass(w.category, DeprecationWarning | PendingDeprecationWarning):
                        continue  # libraries' notes to their developers, not caveats for users
                    err.print(f"warning: {w.message}", markup=False, highlight=False)

    return wrapper  # type: ignore[return-value]


@contextmanager
def open_store(db: str | None) -> Iterator[Store]:
    with Store(db or default_url()) as store:
        yield store


def jsonable(x: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null, numpy scalars plain Python numbers."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, str | int):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    item = getattr(x, "item", None)  # numpy scalars
    if callable(item):
        return jsonable(item())
    return x


def print_json(value: Any) -> None:
    """Write JSON (only JSON) on stdout: indented for a terminal, compact (and much faster for
    long listings, since indenting forces the pure-Python encoder) when piped to a program."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(
        json.dumps(jsonable(value), indent=indent, ensure_ascii=False, default=str) + "\n"
    )


#: Above this many rows, tables are printed as plain aligned text: Rich's layout of thousands of
#: rows takes seconds, and a long listing is for scrolling or grepping, not for boxes.
PLAIN_TABLE_ROWS = 200


def print_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """A table for people: Rich boxes for short listings, aligned plain text for long ones."""
    if len(rows) <= PLAIN_TABLE_ROWS:
        from rich.markup import escape
        from rich.table import Table

        # cells hold stored text: never let "[/bold]" in a value be read as Rich markup
        table = Table(*(escape(h) for h in headers), title=escape(title))
        for row in rows:
            table.add_row(*(escape(c) for c in row))
        out.print(table)
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
    sys.stdout.write("\n".join(lines) + "\n")
