"""``remission synth``: write a virtual cohort of synthetic case files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from remission.cli._common import JsonOption, err, handles_errors, out, print_json
from remission.exceptions import InputError

#: From this many cases on, a progress bar is shown (when stderr is a terminal).
PROGRESS_FROM = 200


@handles_errors
def synth(
    n: Annotated[int, typer.Option("--n", min=1, help="How many cases to write.")] = 100,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed: the same seed writes the same files.")
    ] = 0,
    output: Annotated[
        Path, typer.Option("--out", help="Folder for the case files (created if needed).")
    ] = Path("out/synth"),
    therapy: Annotated[
        str,
        typer.Option(
            "--therapy", help="Index therapy of the cohort: car_t, blinatumomab or mixed."
        ),
    ] = "mixed",
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes", min=1, help="Worker processes (default: one per CPU for large cohorts)."
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Write realistic synthetic case files (virtual patients) for demos, tests and benchmarks.

    Rates come from published series (ELIANA, ZUMA-3, FELIX, TOWER, the paediatric
    blinatumomab study); every rate and its source is listed in docs/synth.md. Files are named
    synth-000001.yaml ...; every one passes `remission validate`.
    """
    from remission.synth import DEFAULT_PARAMS, THERAPIES, write_cohort

    choice = therapy.strip().lower().replace("-", "_")
    if choice not in THERAPIES:
        raise InputError(f"--therapy must be one of {', '.join(THERAPIES)}, not {therapy!r}")
    if output.exists() and not output.is_dir():
        raise InputError(f"--out {output} is a file, not a folder")
    params = DEFAULT_PARAMS.with_therapy(choice)  # type: ignore[arg-type]

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=n < PROGRESS_FROM or not err.is_terminal,
    )
    with bar:
        task = bar.add_task("writing case files", total=n)
        report = write_cohort(
            output,
            n,
            seed,
            params,
            processes=processes,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    if json_out:
        print_json(report.to_dict())
        return
    arms = ", ".join(f"{k} {v}" for k, v in sorted(report.arms.items()))
    out.print(
        f"wrote {report.n} case files to {report.out} in {report.seconds:.1f} s "
        f"(seed {seed}, {choice}: {arms})",
        highlight=False,
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
