"""The ``remission`` command line: a thin Typer face over the Python API.

Each command module exposes ``register(app)``; this package wires them together. Commands never
re-implement clinical logic: they parse arguments, call the API, and print (Rich tables for
people, ``--json`` for scripts).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="remission",
    help="Relapsed/refractory B-ALL courses under CD19-directed immunotherapy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    from remission.cli import cases, grade, kinetics

    cases.register(app)
    grade.register(app)
    kinetics.register(app)


def main() -> None:
    """Console-script entry point."""
    _register_all()
    app()
