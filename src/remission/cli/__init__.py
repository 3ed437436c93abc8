"""The ``remission`` command line: a thin Typer face over the Python API.

Each command module exposes ``register(app)``; this package wires them together. Commands never
re-implement clinical logic: they parse arguments, call the API, and print (Rich tables for
people, ``--json`` for scripts).
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="remission",
    help="Relapsed/refractory B-ALL courses under CD19-directed immunotherapy.",
    no_args_is_help=True,
    rich_markup_mode=None,  # help texts hold units like [ug/m2], not Rich markup
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all(argv: list[str] | None = None) -> None:
    """Register the command modules.

    The kinetics commands load numpy and scipy (about half a second), so they are registered only
    when asked for, or when the command list itself is shown.
    """
    from remission.cli import cases, extract, grade, interop_import, report, synth, web

    cases.register(app)
    extract.register(app)
    grade.register(app)
    interop_import.register(app)
    report.register(app)
    synth.register(app)
    web.register(app)
    args = sys.argv[1:] if argv is None else argv
    command = next((a for a in args if not a.startswith("-")), None)
    if command in (None, "kinetics"):
        from remission.cli import kinetics

        kinetics.register(app)


def main() -> None:
    """Console-script entry point."""
    _register_all()
    app()
