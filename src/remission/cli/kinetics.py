"""``remission kinetics``: NCA, Stein 2019 fits and simulation, blinatumomab exposure.

A thin face over :mod:`remission.kinetics` (computation) and
:mod:`remission.interop.profile_csv` (reading CSV profiles): parse options, call the API, print a
table for people or JSON for scripts (``--json`` prints JSON only, on stdout). Errors go to stderr
with file, line and column, and the exit status is 1. See docs/kinetics.md "Command line".
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer

from remission.api import get_document
from remission.cli._common import DbOption, handles_errors, open_store, print_json
from remission.exceptions import KineticsInputError, Problem
from remission.interop.profile_csv import read_profile_csv
from remission.kinetics import (
    PKNCA_BLQ_RULE,
    REGIMENS,
    STEIN2019_TYPICAL,
    BLQRule,
    InfusionStep,
    Profile,
    Regimen,
    blinatumomab_exposure,
    fit_stein,
    label_regimen,
    nca,
    simulate_profile,
    stein_auc,
    stein_concentration,
)
from remission.kinetics.from_case import profile_from_series
from remission.kinetics.stein import PARAMETER_NAMES
from remission.model import Case

__all__ = ["kinetics_app", "register"]

F = TypeVar("F", bound=Callable[..., Any])

kinetics_app = typer.Typer(
    name="kinetics",
    help="CAR-T kinetics (NCA, Stein 2019 model) and blinatumomab exposure.",
    no_args_is_help=True,
    rich_markup_mode=None,  # help texts hold units like [ug/m2], not Rich markup
    add_completion=False,
    pretty_exceptions_enable=False,
)


def register(app: typer.Typer) -> None:
    """Add the ``kinetics`` command group to the main app."""
    app.add_typer(kinetics_app, name="kinetics")


# ---------------------------------------------------------------------------- helpers
def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _num(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def _load(
    source: Path,
    unit: str,
    analyte: str,
    lloq: float | None,
    db: str | None = None,
    series: str | None = None,
) -> Profile:
    """A CSV file, or a stored case id (its first CAR-T series, or ``--series``)."""
    if source.exists() or source.suffix.lower() in (".csv", ".tsv", ".txt"):
        profile = read_profile_csv(source, unit=unit, analyte=analyte)
    else:
        with open_store(db) as store:
            case, _ = get_document(store, str(source))
        if not isinstance(case, Case):
            raise KineticsInputError([Problem(f"{source} is a cohort aggregate, not a case")])
        profile = profile_from_series(case, series)
    if lloq is not None:
        if not lloq > 0:
            raise KineticsInputError([Problem("--lloq must be positive", field="--lloq")])
        q = np.where(np.isnan(profile.lloq), lloq, profile.lloq)
        profile = Profile.from_arrays(
            profile.days,
            profile.values,
            blq=profile.blq,
            lloq=q,
            unit=profile.unit,
            analyte=profile.analyte,
            label=profile.label,
            lines=profile.lines,
        )
    return profile


def _window(text: str) -> tuple[float, float]:
    try:
        a, b = text.split("-", 1) if "-" in text.strip()[1:] else ("0", text)
        return float(a), float(b)
    except ValueError:
        raise KineticsInputError(
            [Problem(f"window {text!r}: write START-END in days, e.g. 0-28", field="--window")]
        ) from None


def _kv(items: list[str], option: str) -> dict[str, float]:
    out: dict[str, float] = {}
    problems = []
    for it in items:
        if "=" not in it:
            problems.append(Problem(f"{it!r}: write name=value", field=option))
            continue
        k, v = (s.strip() for s in it.split("=", 1))
        if k not in PARAMETER_NAMES:
            problems.append(
                Problem(
                    f"unknown parameter {k!r}; known: {', '.join(PARAMETER_NAMES)}", field=option
                )
            )
            continue
        try:
            out[k] = float(v)
        except ValueError:
            problems.append(Problem(f"{k}={v!r} is not a number", field=option))
    if problems:
        raise KineticsInputError(problems)
    return out


def _days(text: str) -> list[float]:
    """``0,1,3,7`` or ``START:STOP:STEP`` (inclusive) or a mix, comma-separated."""
    out: list[float] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if ":" in part:
                bits = [float(x) for x in part.split(":")]
                if len(bits) != 3 or bits[2] <= 0 or bits[1] < bits[0]:
                    raise ValueError
                n = math.floor((bits[1] - bits[0]) / bits[2] + 1e-9) + 1
                out.extend(bits[0] + i * bits[2] for i in range(n))
            else:
                out.append(float(part))
    except ValueError:
        raise KineticsInputError(
            [
                Problem(
                    f"days {text!r}: write a list (0,1,3,7) or START:STOP:STEP (0:28:1)",
                    field="--days",
                )
            ]
        ) from None
    if not out:
        raise KineticsInputError([Problem("no days given", field="--days")])
    return out


def _plot(profile: Profile, path: Path | None, **kwargs: Any) -> None:
    if path is None:
        return
    from remission.figures.kinetics import plot_kinetic_profile

    fig = plot_kinetic_profile(profile, title=Path(profile.label).name or None, **kwargs)
    fig.savefig(path)
    _err(f"figure written to {path}")


Source = Annotated[
    Path,
    typer.Argument(
        help="CSV profile with columns day,value and optional lloq, blq, unit; or a stored case id.",
        show_default=False,
    ),
]
SeriesOpt = Annotated[
    str | None,
    typer.Option(
        "--series",
        help="For a case id: the observation series to analyse (default: the first CAR-T series).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON only, for scripts.")]
UnitOpt = Annotated[str, typer.Option(help="Unit of the values (copies/ug, cells/uL, %).")]
AnalyteOpt = Annotated[str, typer.Option(help="What was measured (for labels).")]
LloqOpt = Annotated[
    float | None,
    typer.Option("--lloq", help="LLOQ for samples whose row gives none.", show_default=False),
]
PlotOpt = Annotated[
    Path | None,
    typer.Option(
        "--plot", help="Also write a figure (PNG, PDF or SVG) to this path.", show_default=False
    ),
]


# ---------------------------------------------------------------------------- nca
@kinetics_app.command("nca")
@handles_errors
def nca_cmd(
    source: Source,
    method: Annotated[
        str, typer.Option(help="AUC method: linup_logdown or linear.")
    ] = "linup_logdown",
    window: Annotated[
        list[str] | None,
        typer.Option(
            help="AUC window START-END in days (repeatable). Default 0-28 and 0-84.",
            show_default=False,
        ),
    ] = None,
    blq_first: Annotated[
        str, typer.Option(help="BLQ before the first level: zero, drop, half_lloq.")
    ] = PKNCA_BLQ_RULE.first,
    blq_middle: Annotated[str, typer.Option(help="BLQ between levels.")] = PKNCA_BLQ_RULE.middle,
    blq_last: Annotated[str, typer.Option(help="BLQ after the last level.")] = PKNCA_BLQ_RULE.last,
    extrapolate: Annotated[
        bool,
        typer.Option(
            help="Complete windows past a quantifiable last sample with the terminal phase."
        ),
    ] = False,
    unit: UnitOpt = "",
    analyte: AnalyteOpt = "",
    lloq: LloqOpt = None,
    plot: PlotOpt = None,
    db: DbOption = None,
    series: SeriesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Non-compartmental figures of one profile: Cmax, Tmax, AUCs, Tlast, persistence, T½."""
    profile = _load(source, unit, analyte, lloq, db, series)
    rule = BLQRule(blq_first, blq_middle, blq_last)  # type: ignore[arg-type]
    windows = [_window(w) for w in window] if window else [(0.0, 28.0), (0.0, 84.0)]
    res = nca(
        profile,
        windows=windows,
        method=method,  # type: ignore[arg-type]
        blq_rule=rule,
        extrapolate=extrapolate,
    )
    _plot(profile, plot, nca_result=res)
    if json_out:
        print_json({"source": str(source), **res.to_dict()})
        return
    d = res.to_dict()
    print(f"{source}: {res.n_samples} samples ({res.n_blq} BLQ), unit {res.unit or '—'}")
    print(f"method: {res.method_text}")
    width = max(len(m["label"]) for m in d["metrics"].values())
    for key, m in d["metrics"].items():
        val = _num(m["value"])
        extra = ""
        if m.get("extrapolated_pct"):
            extra = f"  ({m['extrapolated_pct']:.1f} % extrapolated)"
        if key == "persistence" and m["value"] is not None:
            extra = "  (censored: still quantifiable at last sample)" if m["censored"] else ""
        if m["value"] is None:
            extra = f"  ({res.unavailable.get(key, 'not computed')})"
        print(
            f"  {m['label']:<{width}}  {val:>12} {m['unit'] if m['value'] is not None else ''}"
            f"{extra}"
        )
    for n in res.notes:
        print(f"note: {n}")


# ---------------------------------------------------------------------------- fit
@kinetics_app.command("fit")
@handles_errors
def fit_cmd(
    source: Source,
    model: Annotated[str, typer.Option(help="Kinetic model (only stein2019).")] = "stein2019",
    prior: Annotated[
        str,
        typer.Option(
            help="none, or stein2019 for a MAP fit with the published between-patient variability."
        ),
    ] = "none",
    fix: Annotated[
        list[str] | None,
        typer.Option(
            help="Hold a parameter, name=value (repeatable), e.g. fb=0.0079.", show_default=False
        ),
    ] = None,
    sigma: Annotated[
        str, typer.Option(help="Residual SD on the log scale: auto, estimate or a number.")
    ] = "auto",
    unit: UnitOpt = "",
    analyte: AnalyteOpt = "",
    lloq: LloqOpt = None,
    curve: Annotated[bool, typer.Option(help="Include the fitted curve (JSON).")] = False,
    plot: PlotOpt = None,
    db: DbOption = None,
    series: SeriesOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fit the Stein 2019 model (log scale, BLQ as censored) to one profile."""
    if model != "stein2019":
        raise KineticsInputError(
            [Problem(f"unknown model {model!r}; available: stein2019", field="--model")]
        )
    profile = _load(source, unit, analyte, lloq, db, series)
    sig: Any = sigma
    if sigma not in ("auto", "estimate"):
        try:
            sig = float(sigma)
        except ValueError:
            raise KineticsInputError(
                [Problem(f"--sigma {sigma!r}: auto, estimate or a number", field="--sigma")]
            ) from None
    if prior not in ("none", "stein2019"):
        raise KineticsInputError(
            [Problem(f"--prior {prior!r}: none or stein2019", field="--prior")]
        )
    fit = fit_stein(
        profile,
        sigma=sig,
        prior=None if prior == "none" else "stein2019",
        fixed=_kv(fix or [], "--fix"),
        warn=True,
    )
    _plot(profile, plot, fit=fit)
    if json_out:
        t_end = max(float(np.max(profile.days)), 28.0)
        print_json(
            {"source": str(source), **fit.to_dict(np.linspace(0.0, t_end, 201) if curve else None)}
        )
        return
    print(
        f"{source}: Stein 2019 fit, {fit.n_quantified} quantified + {fit.n_censored} "
        f"censored samples; {'converged' if fit.converged else 'NOT converged'}"
    )
    print(f"method: {fit.method}")
    for e in fit.estimates:
        ci = (
            "fixed"
            if e.fixed
            else "on bound"
            if e.at_bound
            else "not identifiable"
            if e.ci_low is None
            else f"95 % CI {_num(e.ci_low)}–{_num(e.ci_high)}"
        )
        print(f"  {e.name:<6} {_num(e.value):>12} {e.unit:<10} {ci}")
    p = fit.params
    print(
        f"  doubling {p.doubling_time:.3g} d, fast t½ {p.fast_half_life:.3g} d, "
        f"terminal t½ {p.terminal_half_life:.3g} d; model AUC0–28d {_num(fit.auc(0, 28))}"
    )
    print(
        f"  residual SD {fit.sigma:.3g} (log scale, "
        f"{'estimated' if fit.sigma_estimated else 'fixed'}); log-likelihood "
        f"{fit.log_likelihood:.2f}, AIC {fit.aic:.1f}"
    )


# ---------------------------------------------------------------------------- simulate
@kinetics_app.command("simulate")
@handles_errors
def simulate_cmd(
    days: Annotated[
        str, typer.Option(help="Sample days: 0,1,3,7 or START:STOP:STEP.")
    ] = "0,1,3,7,10,14,21,28",
    model: Annotated[str, typer.Option(help="Kinetic model (only stein2019).")] = "stein2019",
    param: Annotated[
        list[str] | None,
        typer.Option(help="Override a typical value, name=value (repeatable).", show_default=False),
    ] = None,
    sigma: Annotated[
        float, typer.Option(help="Residual SD on the log scale (0 = exact curve).")
    ] = 0.0,
    lloq: Annotated[
        float | None,
        typer.Option(help="Mark simulated levels below this as BLQ.", show_default=False),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.", show_default=False)] = None,
    json_out: JsonOpt = False,
) -> None:
    """Simulate a Stein 2019 profile (typical values unless overridden); CSV on stdout."""
    if model != "stein2019":
        raise KineticsInputError(
            [Problem(f"unknown model {model!r}; available: stein2019", field="--model")]
        )
    if not (sigma >= 0 and math.isfinite(sigma)):
        raise KineticsInputError([Problem("--sigma must be >= 0", field="--sigma")])
    params = STEIN2019_TYPICAL.replace(**_kv(param or [], "--param"))
    t = _days(days)
    prof = simulate_profile(params, t, sigma=sigma, lloq=lloq, rng=seed)
    if json_out:
        print_json(
            {
                "model": "stein2019",
                "params": params.to_dict(),
                "sigma": sigma,
                "exact": stein_concentration(t, params).tolist(),
                "auc_0_28d": stein_auc(params, 0, 28),
                "auc_0_inf": stein_auc(params, 0, math.inf),
                "profile": prof.to_dict(),
            }
        )
        return
    sys.stdout.write("day,value,blq" + (",lloq" if lloq is not None else "") + "\n")
    for d, v, b in zip(prof.days, prof.values, prof.blq, strict=True):
        val = "" if b else f"{v:.6g}"
        row = f"{d:g},{val},{'true' if b else 'false'}"
        if lloq is not None:
            row += f",{lloq:g}"
        sys.stdout.write(row + "\n")


# ---------------------------------------------------------------------------- blinatumomab
def _dose_step(spec: str, cap: float | None) -> InfusionStep:
    """``DOSE[/m2][:FIRST-LAST]``: µg/day (or µg/m²/day) on label days FIRST–LAST (1-based)."""
    try:
        dose_txt, _, days_txt = spec.partition(":")
        per_m2 = dose_txt.lower().endswith("/m2")
        dose = float(dose_txt[:-3] if per_m2 else dose_txt)
        first, last = (1.0, 28.0)
        if days_txt:
            a, b = days_txt.split("-", 1)
            first, last = float(a), float(b)
        if not (last >= first >= 1):
            raise ValueError
    except ValueError:
        raise KineticsInputError(
            [
                Problem(
                    f"dose {spec!r}: write DOSE[/m2][:FIRST-LAST], e.g. 9:1-7, 28:8-28 or 15/m2:8-28",
                    field="--dose",
                )
            ]
        ) from None
    if per_m2:
        return InfusionStep(first - 1, last, ug_per_m2_per_day=dose, max_ug_per_day=cap)
    return InfusionStep(first - 1, last, ug_per_day=dose)


@kinetics_app.command("blinatumomab")
@handles_errors
def blinatumomab_cmd(
    dose: Annotated[
        list[str] | None,
        typer.Option(
            help="Infusion step DOSE[/m2][:FIRST-LAST] in µg/day on label days (repeatable), "
            "e.g. --dose 9:1-7 --dose 28:8-28.",
            show_default=False,
        ),
    ] = None,
    regimen: Annotated[
        str | None, typer.Option(help=f"Label regimen: {', '.join(REGIMENS)}.", show_default=False)
    ] = None,
    bsa: Annotated[
        float | None, typer.Option(help="Body-surface area (m²).", show_default=False)
    ] = None,
    height: Annotated[
        float | None, typer.Option(help="Height (cm), with --weight for BSA.", show_default=False)
    ] = None,
    weight: Annotated[
        float | None,
        typer.Option(
            help="Weight (kg); picks the label regimen when no dose is given.", show_default=False
        ),
    ] = None,
    bsa_formula: Annotated[str, typer.Option(help="mosteller or dubois.")] = "mosteller",
    max_per_day: Annotated[
        float | None, typer.Option(help="Cap (µg/day) for per-m² doses.", show_default=False)
    ] = None,
    cycle_days: Annotated[float, typer.Option(help="Cycle length in days.")] = 42.0,
    threshold: Annotated[
        list[float] | None,
        typer.Option(
            help="Report hours at or above this level (pg/mL; repeatable).", show_default=False
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Blinatumomab Css, cycle AUC and time to steady state (Clements 2020 popPK)."""
    if dose and regimen:
        raise KineticsInputError([Problem("give --dose or --regimen, not both", field="--dose")])
    if dose:
        reg: Regimen | str = Regimen(
            "custom", tuple(_dose_step(s, max_per_day) for s in dose), cycle_days, "command line"
        )
    elif regimen:
        reg = regimen
    elif weight is not None:
        reg = label_regimen(weight)
    else:
        raise KineticsInputError(
            [Problem("give --dose, --regimen, or --weight for the label regimen", field="--dose")]
        )
    exp = blinatumomab_exposure(
        reg,
        bsa_m2=bsa,
        height_cm=height,
        weight_kg=weight,
        bsa_formula=bsa_formula,  # type: ignore[arg-type]
        thresholds_pg_per_ml=threshold or (),
    )
    if json_out:
        print_json(exp.to_dict())
        return
    d = exp.to_dict()
    print(f"{d['regimen']}: {d['regimen_text']}")
    print(
        f"model: {d['model']}; CL {exp.clearance_l_per_h:.3g} L/h, V {exp.volume_l:.3g} L, "
        f"t½ {exp.half_life_h:.2f} h"
        + (f", BSA {exp.bsa_m2:.2f} m² ({exp.bsa_formula})" if exp.bsa_m2 else "")
    )
    for s in exp.steps:
        print(
            f"  days {s.start_day + 1:g}–{s.end_day:g}: {s.ug_per_day:.3g} µg/day"
            f"{' (capped)' if s.capped else ''} → Css {s.css_pg_per_ml:.1f} pg/mL"
        )
    print(
        f"  total dose {exp.total_dose_ug:.4g} µg; AUC over the cycle "
        f"{exp.auc_cycle_h_ug_per_l:.1f} h·µg/L"
    )
    print(
        "  time to steady state: "
        + ", ".join(f"{k} {v:.1f} h" for k, v in d["time_to_steady_state_h"].items())
    )
    for k, v in d["time_above_h"].items():
        print(f"  time at or above {k}: {v:.1f} h")
    for n in exp.notes:
        print(f"note: {n}")
