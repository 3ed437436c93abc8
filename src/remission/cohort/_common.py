"""Small helpers shared by the cohort modules: units, numbers as plain data, caveats."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

from remission.exceptions import EstimationWarning
from remission.model.time import DAYS_PER_MONTH

__all__ = [
    "DAYS_PER_MONTH",
    "FEW_EVENTS",
    "SMALL_N",
    "caveat",
    "clean",
    "days_to_months",
    "months_to_days",
    "rounded",
]

#: Below this many patients an estimate is flagged as resting on a small cohort. A convention of
#: this package (no published rule); the caveat is a warning, never a refusal.
SMALL_N = 10

#: Below this many events a survival or incidence estimate is flagged as resting on few events
#: (a convention of this package, as above).
FEW_EVENTS = 5


def days_to_months(days: float) -> float:
    """Days to months of 30.4375 days (365.25 / 12), the project's one conversion."""
    return days / DAYS_PER_MONTH


def months_to_days(months: float) -> float:
    return months * DAYS_PER_MONTH


def clean(value: Any) -> float | None:
    """A number as plain data: NaN and infinities (lifelines' 'not reached') become None."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def caveat(notes: list[str], message: str, *, stacklevel: int = 3) -> None:
    """Record a statistical caveat in ``notes`` and raise it as an :class:`EstimationWarning`."""
    notes.append(message)
    warnings.warn(message, EstimationWarning, stacklevel=stacklevel)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def join_ids(ids: Iterable[str], limit: int = 8) -> str:
    ids = list(ids)
    if len(ids) <= limit:
        return ", ".join(ids)
    return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"
