"""Virtual cohorts: realistic synthetic r/r B-ALL courses as validated case files.

``remission synth --n N --seed S --out DIR`` writes them; the Python API is below. Every rate
is data in :mod:`remission.synth.rates`, with its published source (docs/synth.md); the
generator (:mod:`remission.synth.generator`) is pure and deterministic for a seed; writing lives
in :mod:`remission.synth.write`.
"""

from remission.synth.generator import (
    case_id,
    case_rng,
    generate_case,
    generate_case_data,
    generate_cohort,
)
from remission.synth.rates import (
    ARMS,
    DEFAULT_ARM_WEIGHTS,
    DEFAULT_PARAMS,
    GENERAL,
    SOURCES,
    THERAPIES,
    ArmRates,
    GeneralRates,
    Rate,
    SynthParams,
    rate_rows,
    rates_markdown,
)
from remission.synth.write import WriteReport, case_text, write_cohort

__all__ = [
    "ARMS",
    "DEFAULT_ARM_WEIGHTS",
    "DEFAULT_PARAMS",
    "GENERAL",
    "SOURCES",
    "THERAPIES",
    "ArmRates",
    "GeneralRates",
    "Rate",
    "SynthParams",
    "WriteReport",
    "case_id",
    "case_rng",
    "case_text",
    "generate_case",
    "generate_case_data",
    "generate_cohort",
    "rate_rows",
    "rates_markdown",
    "write_cohort",
]
